// Multiboot 1 (the Multiboot Specification 0.6.96): finding and checking the
// header, loading an ELF32 kernel or an a.out-kludge image (header flag bit
// 16: the load addresses are in the header), the modules, and the boot
// information structure the kernel finds at EBX with EAX = 2BADB002h.
//
// Layout, as QEMU's -kernel does it: the kernel where it asks to be, each
// module page-aligned after it, then one page-aligned block with the
// information structure, the memory map, the module list and the strings.
// The command line is the kernel's path as given, a space, then --append;
// each module's string is its -initrd entry as given.

import type { GuestRam } from '../bus';
import {
  DirectBoot, Handover, KernelImageError, KernelRequest, MemoryRegion, Piece, checkPieces, cString, layModules, writePieces,
} from './directBoot';
import { EM_386, elfPieces, isElf, readElf } from './elf';

export const MULTIBOOT1_MAGIC = 0x1badb002;
/** EAX at the kernel's entry. */
export const MULTIBOOT1_BOOTLOADER_MAGIC = 0x2badb002;
/** The header must lie, 4-byte aligned, in the file's first 8 KiB (spec §3.1). */
export const MULTIBOOT1_SEARCH = 8192;
export const BOOT_LOADER_NAME = 'vmexit';

/** Header flags (spec §3.1.2). Bits 0-15 are requirements: an unknown one must refuse the kernel. */
const HDR_PAGE_ALIGN = 1 << 0;
const HDR_MEMORY_INFO = 1 << 1;
const HDR_VIDEO_MODE = 1 << 2;
const HDR_AOUT_KLUDGE = 1 << 16;
const HDR_KNOWN_REQUIREMENTS = HDR_PAGE_ALIGN | HDR_MEMORY_INFO | HDR_VIDEO_MODE;

/** Information structure flags (spec §3.3). */
const MBI_MEMORY = 1 << 0;
const MBI_CMDLINE = 1 << 2;
const MBI_MODS = 1 << 3;
const MBI_MMAP = 1 << 6;
const MBI_LOADER_NAME = 1 << 9;
const MBI_FRAMEBUFFER = 1 << 12;

/** The information structure's size up to and including the framebuffer fields. */
const MBI_SIZE = 116;
const MMAP_ENTRY = 24;
/** Room reserved for memory map entries (the built-in BIOS reports a handful). */
const MMAP_MAX = 32;
const MODULE_ENTRY = 16;

export interface Multiboot1Header {
  offset: number;
  flags: number;
}

/** The Multiboot 1 header of a file, or null when it has none (a bad checksum counts as none). */
export function findMultiboot1Header(file: Uint8Array): Multiboot1Header | null {
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const end = Math.min(MULTIBOOT1_SEARCH, file.length) - 12;
  for (let off = 0; off <= end; off += 4) {
    if (v.getUint32(off, true) !== MULTIBOOT1_MAGIC) continue;
    const flags = v.getUint32(off + 4, true);
    if (((MULTIBOOT1_MAGIC + flags + v.getUint32(off + 8, true)) >>> 0) === 0) return { offset: off, flags };
  }
  return null;
}

interface LoadedKernel {
  pieces: Piece[];
  entry: number;
  description: string;
}

/** Load addresses from a Multiboot header (both versions have them): header_addr, load_addr, load_end_addr, bss_end_addr. */
export interface HeaderAddresses {
  headerAddr: number;
  loadAddr: number;
  loadEndAddr: number;
  bssEndAddr: number;
}

/**
 * A flat image loaded by its header's addresses: the bytes from load_addr's
 * place in the file (found from where the header sits) up to load_end_addr
 * (0: the end of the file), then zeros up to bss_end_addr (0: none).
 */
export function loadByHeaderAddresses(request: KernelRequest, headerOffset: number, a: HeaderAddresses): Piece {
  const file = request.bytes;
  const where = `${request.path}: Multiboot`;
  if (a.loadAddr > a.headerAddr) throw new KernelImageError(`${where} load_addr ${a.loadAddr.toString(16)}h lies above header_addr ${a.headerAddr.toString(16)}h`);
  const fileOffset = headerOffset - (a.headerAddr - a.loadAddr);
  if (fileOffset < 0) throw new KernelImageError(`${where} header_addr - load_addr points before the start of the file`);
  const loadSize = a.loadEndAddr === 0 ? file.length - fileOffset : a.loadEndAddr - a.loadAddr;
  if (loadSize <= 0 || fileOffset + loadSize > file.length) {
    throw new KernelImageError(`${where} load_end_addr ${a.loadEndAddr.toString(16)}h lies outside the file`);
  }
  const end = a.bssEndAddr === 0 ? a.loadAddr + loadSize : a.bssEndAddr;
  if (end < a.loadAddr + loadSize) throw new KernelImageError(`${where} bss_end_addr ${a.bssEndAddr.toString(16)}h lies below the loaded image`);
  return { address: a.loadAddr, data: file.subarray(fileOffset, fileOffset + loadSize), length: end - a.loadAddr, what: 'the kernel' };
}

/** The a.out kludge: header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr after the checksum. */
function loadAoutKludge(request: KernelRequest, header: Multiboot1Header): LoadedKernel {
  const file = request.bytes;
  if (header.offset + 32 > file.length) throw new KernelImageError(`${request.path}: the Multiboot header's address fields are cut off`);
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const [headerAddr, loadAddr, loadEndAddr, bssEndAddr, entryAddr] = [12, 16, 20, 24, 28].map((o) => v.getUint32(header.offset + o, true));
  const piece = loadByHeaderAddresses(request, header.offset, { headerAddr, loadAddr, loadEndAddr, bssEndAddr });
  if (entryAddr < piece.address || entryAddr >= piece.address + piece.length) {
    throw new KernelImageError(`${request.path}: Multiboot entry_addr ${entryAddr.toString(16)}h lies outside the loaded image`);
  }
  return { pieces: [piece], entry: entryAddr, description: 'Multiboot 1 kernel (a.out kludge)' };
}

function loadElf32(request: KernelRequest): LoadedKernel {
  const elf = readElf(request.bytes, request.path);
  if (elf.class !== 32) throw new KernelImageError(`${request.path}: a 64-bit ELF file with a Multiboot 1 header (Multiboot 1 loads ELF32 kernels; use a Multiboot 2 header for ELF64)`);
  if (elf.machine !== EM_386) throw new KernelImageError(`${request.path}: an ELF file for machine ${elf.machine}, not i386 (3)`);
  return {
    pieces: elfPieces(elf, request.path),
    entry: elf.entry,
    description: 'Multiboot 1 kernel (ELF32)',
  };
}

/** Everything a Multiboot 1 kernel needs, laid out and checked; written by `place`. */
export function prepareMultiboot1(request: KernelRequest, header: Multiboot1Header): DirectBoot {
  const unknown = header.flags & 0xffff & ~HDR_KNOWN_REQUIREMENTS;
  if (unknown !== 0) {
    throw new KernelImageError(`${request.path}: the Multiboot header requires features vmexit does not know (flags bits ${unknown.toString(16)}h)`);
  }
  let kernel: LoadedKernel;
  if (header.flags & HDR_AOUT_KLUDGE) kernel = loadAoutKludge(request, header);
  else if (isElf(request.bytes)) kernel = loadElf32(request);
  else {
    throw new KernelImageError(
      `${request.path}: a Multiboot header without load addresses (flag bit 16) in a file that is not ELF: nothing says where to load it`,
    );
  }
  const { pieces, modules, next } = layModules(kernel.pieces, request.initrd);

  // The information block: structure, memory map, module list, then the strings.
  const infoBase = next;
  const mmapAt = infoBase + MBI_SIZE;
  const modsAt = mmapAt + MMAP_MAX * MMAP_ENTRY;
  let stringAt = modsAt + modules.length * MODULE_ENTRY;
  const strings: { at: number; bytes: Uint8Array }[] = [];
  const addString = (bytes: Uint8Array): number => {
    strings.push({ at: stringAt, bytes });
    stringAt += bytes.length;
    return stringAt - bytes.length;
  };
  const cmdline = addString(cString(`${request.path} ${request.append}`));
  const loaderName = addString(cString(BOOT_LOADER_NAME));
  const moduleStrings = modules.map((m) => addString(cString(m.module.string)));
  const info = new Uint8Array(stringAt - infoBase);
  pieces.push({ address: infoBase, data: info, length: info.length, what: 'the Multiboot information' });
  checkPieces(pieces, request.memoryBytes);

  const view = new DataView(info.buffer);
  const put32 = (at: number, value: number): void => view.setUint32(at - infoBase, value >>> 0, true);
  for (const s of strings) info.set(s.bytes, s.at - infoBase);
  modules.forEach((m, i) => {
    const e = modsAt + i * MODULE_ENTRY;
    put32(e, m.piece.address);
    put32(e + 4, m.piece.address + m.piece.length);
    put32(e + 8, moduleStrings[i]);
  });
  let flags = MBI_CMDLINE | MBI_MODS | MBI_LOADER_NAME;
  put32(infoBase + 16, cmdline);
  put32(infoBase + 20, modules.length);
  put32(infoBase + 24, modsAt);
  put32(infoBase + 64, loaderName);
  if (header.flags & HDR_VIDEO_MODE) {
    // Only VGA text is there: describe it as the EGA-text framebuffer (type 2), as GRUB does when it keeps text mode.
    flags |= MBI_FRAMEBUFFER;
    view.setBigUint64(88, 0xb8000n, true);
    put32(infoBase + 96, 160);
    put32(infoBase + 100, 80);
    put32(infoBase + 104, 25);
    view.setUint8(108, 16);
    view.setUint8(109, 2);
  }

  return {
    description: kernel.description,
    place(ram: GuestRam, memoryMap: readonly MemoryRegion[]): Handover {
      // The memory fields come from the firmware's map, filled in now.
      const map = memoryMap.slice(0, MMAP_MAX);
      map.forEach((r, i) => {
        const e = mmapAt + i * MMAP_ENTRY;
        put32(e, MMAP_ENTRY - 4);
        view.setBigUint64(e + 4 - infoBase, BigInt(r.base), true);
        view.setBigUint64(e + 12 - infoBase, BigInt(r.length), true);
        put32(e + 20, r.type);
      });
      const low = memoryMap.find((r) => r.base === 0 && r.type === 1);
      const high = memoryMap.find((r) => r.base === 0x100000 && r.type === 1);
      put32(infoBase, flags | MBI_MEMORY | MBI_MMAP);
      put32(infoBase + 4, Math.min(640, Math.floor((low?.length ?? 0) / 1024)));
      put32(infoBase + 8, Math.floor((high?.length ?? 0) / 1024));
      put32(infoBase + 44, map.length * MMAP_ENTRY);
      put32(infoBase + 48, mmapAt);
      writePieces(ram, pieces);
      return { eip: kernel.entry, eax: MULTIBOOT1_BOOTLOADER_MAGIC, ebx: infoBase, esi: 0 };
    },
  };
}
