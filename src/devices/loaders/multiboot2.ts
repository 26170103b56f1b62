// Multiboot 2 (the Multiboot2 Specification, version 2.0): the header and
// its tags, an ELF32 or ELF64 kernel (or a flat image with an address tag),
// the modules, and the boot information tags the kernel finds at EBX with
// EAX = 36D76289h: command line, boot loader name, modules, basic memory
// information, memory map, and the framebuffer when the kernel asks for one
// vmexit can give (the VGA text screen). A header tag or an information
// request vmexit cannot satisfy refuses the kernel unless the tag is marked
// optional (flags bit 0), as the spec says.
//
// Layout as for Multiboot 1 (./multiboot1.ts): the kernel, each module
// page-aligned after it, then the information. As GRUB's multiboot2 and
// module2 commands pass them, the command line tag holds the --append text
// alone (not the kernel's name) and each module's string is the words after
// the file name in its --initrd entry ("m.bin a b" gives "a b").

import type { GuestRam } from '../bus';
import {
  DirectBoot, Handover, KernelImageError, KernelRequest, MemoryRegion, checkPieces, cString, layModules, writePieces,
} from './directBoot';
import { EM_386, EM_X86_64, elfPieces, isElf, readElf } from './elf';
import { BOOT_LOADER_NAME, loadByHeaderAddresses } from './multiboot1';

export const MULTIBOOT2_MAGIC = 0xe85250d6;
export const MULTIBOOT2_BOOTLOADER_MAGIC = 0x36d76289;
/** The header lies, 8-byte aligned, in the file's first 32 KiB (spec §3.1.1). */
export const MULTIBOOT2_SEARCH = 32768;

/** Header tag types (spec §3.1.3-3.1.13). */
const HT_END = 0;
const HT_INFO_REQUEST = 1;
const HT_ADDRESS = 2;
const HT_ENTRY = 3;
const HT_CONSOLE_FLAGS = 4;
const HT_FRAMEBUFFER = 5;
const HT_MODULE_ALIGN = 6;
const HT_EFI_BS = 7;
const HT_ENTRY_EFI32 = 8;
const HT_ENTRY_EFI64 = 9;
const HT_RELOCATABLE = 10;
const TAG_OPTIONAL = 1;

/** Information tag types (spec §3.6). */
const IT_END = 0;
const IT_CMDLINE = 1;
const IT_LOADER_NAME = 2;
const IT_MODULE = 3;
const IT_BASIC_MEMINFO = 4;
const IT_MMAP = 6;
const IT_FRAMEBUFFER = 8;

const INFO_NAMES: Record<number, string> = {
  5: 'BIOS boot device', 7: 'VBE', 9: 'ELF sections', 10: 'APM table', 11: 'EFI 32-bit system table', 12: 'EFI 64-bit system table',
  13: 'SMBIOS tables', 14: 'ACPI 1.0 RSDP', 15: 'ACPI 2.0 RSDP', 16: 'network', 17: 'EFI memory map', 18: 'EFI boot services',
  19: 'EFI 32-bit image handle', 20: 'EFI 64-bit image handle', 21: 'image load base',
};

const MMAP_ENTRY = 24;
const MMAP_MAX = 32;

export interface Multiboot2Header {
  offset: number;
  length: number;
}

/** The Multiboot 2 header of a file, or null when it has none (a bad checksum counts as none). */
export function findMultiboot2Header(file: Uint8Array): Multiboot2Header | null {
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const end = Math.min(MULTIBOOT2_SEARCH, file.length) - 16;
  for (let off = 0; off <= end; off += 8) {
    if (v.getUint32(off, true) !== MULTIBOOT2_MAGIC) continue;
    const arch = v.getUint32(off + 4, true);
    const length = v.getUint32(off + 8, true);
    if (((MULTIBOOT2_MAGIC + arch + length + v.getUint32(off + 12, true)) >>> 0) === 0) return { offset: off, length };
  }
  return null;
}

interface HeaderTag {
  type: number;
  optional: boolean;
  /** The tag's bytes, type and size included. */
  view: DataView;
  size: number;
}

function readTags(request: KernelRequest, header: Multiboot2Header): HeaderTag[] {
  const file = request.bytes;
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const arch = v.getUint32(header.offset + 4, true);
  if (arch !== 0) throw new KernelImageError(`${request.path}: a Multiboot 2 header for architecture ${arch}, not i386 (0)`);
  const end = header.offset + header.length;
  if (header.length < 24 || end > file.length) throw new KernelImageError(`${request.path}: the Multiboot 2 header's length (${header.length}) runs past the file`);
  const tags: HeaderTag[] = [];
  for (let at = header.offset + 16; ; ) {
    if (at + 8 > end) throw new KernelImageError(`${request.path}: the Multiboot 2 header has no end tag`);
    const type = v.getUint16(at, true);
    const size = v.getUint32(at + 4, true);
    if (type === HT_END) return tags;
    if (size < 8 || at + size > end) throw new KernelImageError(`${request.path}: Multiboot 2 header tag ${type} has a bad size (${size})`);
    tags.push({ type, optional: (v.getUint16(at + 2, true) & TAG_OPTIONAL) !== 0, view: new DataView(file.buffer, file.byteOffset + at, size), size });
    at += (size + 7) & ~7;
  }
}

/** Everything a Multiboot 2 kernel needs, laid out and checked; written by `place`. */
export function prepareMultiboot2(request: KernelRequest, header: Multiboot2Header): DirectBoot {
  const where = request.path;
  const tags = readTags(request, header);
  const refuse = (what: string): never => {
    throw new KernelImageError(`${where}: the Multiboot 2 header requires ${what}, which vmexit cannot give (the tag is not marked optional)`);
  };
  let addressTag: HeaderTag | null = null;
  let entryOverride: number | null = null;
  let textFramebuffer = false;
  const requested: { type: number; optional: boolean }[] = [];
  for (const tag of tags) {
    const u32 = (o: number): number => tag.view.getUint32(o, true);
    switch (tag.type) {
      case HT_INFO_REQUEST:
        for (let o = 8; o + 4 <= tag.size; o += 4) requested.push({ type: u32(o), optional: tag.optional });
        break;
      case HT_ADDRESS:
        addressTag = tag;
        break;
      case HT_ENTRY:
        entryOverride = u32(8);
        break;
      case HT_CONSOLE_FLAGS:
      case HT_MODULE_ALIGN:
      case HT_RELOCATABLE:
        // EGA text is there; modules are page-aligned anyway; a relocatable image may stay at its link address.
        break;
      case HT_FRAMEBUFFER: {
        // Only the VGA text screen: a kernel with no preference (0x0x0) gets it; a graphics mode cannot be given.
        const [width, height, depth] = [u32(8), u32(12), u32(16)];
        if (width === 0 && height === 0 && depth === 0) textFramebuffer = true;
        else if (!tag.optional) refuse(`a ${width}x${height}x${depth} graphics framebuffer (vmexit has the VGA text screen only)`);
        break;
      }
      case HT_EFI_BS:
      case HT_ENTRY_EFI32:
      case HT_ENTRY_EFI64:
        if (!tag.optional) refuse('EFI boot services (vmexit boots from a BIOS)');
        break;
      default:
        if (!tag.optional) refuse(`header tag type ${tag.type}, unknown to vmexit,`);
    }
  }
  const given = new Set([IT_CMDLINE, IT_LOADER_NAME, IT_MODULE, IT_BASIC_MEMINFO, IT_MMAP, ...(textFramebuffer ? [IT_FRAMEBUFFER] : [])]);
  const missing = requested.filter((r) => !r.optional && !given.has(r.type));
  if (missing.length > 0) refuse(`boot information ${missing.map((m) => `${INFO_NAMES[m.type] ?? 'of an unknown kind'} (tag ${m.type})`).join(', ')}`);

  // The kernel: by the address tag, else as ELF.
  let kernelPieces;
  let entry: number;
  let description: string;
  if (addressTag) {
    const u32 = (o: number): number => addressTag.view.getUint32(o, true);
    if (entryOverride === null) throw new KernelImageError(`${where}: a Multiboot 2 address tag without an entry address tag: nothing says where to start`);
    const piece = loadByHeaderAddresses(request, header.offset, { headerAddr: u32(8), loadAddr: u32(12), loadEndAddr: u32(16), bssEndAddr: u32(20) });
    kernelPieces = [piece];
    entry = entryOverride;
    description = 'Multiboot 2 kernel (flat image)';
  } else if (isElf(request.bytes)) {
    const elf = readElf(request.bytes, where);
    if (elf.machine !== EM_386 && elf.machine !== EM_X86_64) throw new KernelImageError(`${where}: an ELF file for machine ${elf.machine}, not i386 or x86-64`);
    kernelPieces = elfPieces(elf, where);
    entry = entryOverride ?? elf.entry;
    description = `Multiboot 2 kernel (ELF${elf.class})`;
  } else {
    throw new KernelImageError(`${where}: a Multiboot 2 header without an address tag in a file that is not ELF: nothing says where to load it`);
  }

  const { pieces, modules, next } = layModules(kernelPieces, request.initrd);
  const infoBase = next;
  const fixedTags: { type: number; payload: Uint8Array }[] = [
    { type: IT_CMDLINE, payload: cString(request.append) },
    { type: IT_LOADER_NAME, payload: cString(BOOT_LOADER_NAME) },
    ...modules.map((m) => {
      const s = cString(m.module.string.slice(m.module.path.length + 1));
      const payload = new Uint8Array(8 + s.length);
      const v = new DataView(payload.buffer);
      v.setUint32(0, m.piece.address, true);
      v.setUint32(4, m.piece.address + m.piece.length, true);
      payload.set(s, 8);
      return { type: IT_MODULE, payload };
    }),
  ];
  if (textFramebuffer) {
    // EGA text (type 2) at B8000h, 80x25 cells of 16 bits.
    const payload = new Uint8Array(24);
    const v = new DataView(payload.buffer);
    v.setBigUint64(0, 0xb8000n, true);
    v.setUint32(8, 160, true);
    v.setUint32(12, 80, true);
    v.setUint32(16, 25, true);
    v.setUint8(20, 16);
    v.setUint8(21, 2);
    fixedTags.push({ type: IT_FRAMEBUFFER, payload });
  }
  const tagSize = (payload: number): number => (8 + payload + 7) & ~7;
  // Room for the memory tags, filled in by `place` from the firmware's map.
  const infoSize = 8 + fixedTags.reduce((n, t) => n + tagSize(t.payload.length), 0) + tagSize(8) + tagSize(8 + MMAP_MAX * MMAP_ENTRY) + 8;
  checkPieces([...pieces, { address: infoBase, data: new Uint8Array(0), length: infoSize, what: 'the Multiboot 2 information' }], request.memoryBytes);

  return {
    description,
    place(ram: GuestRam, memoryMap: readonly MemoryRegion[]): Handover {
      const map = memoryMap.slice(0, MMAP_MAX);
      const low = memoryMap.find((r) => r.base === 0 && r.type === 1);
      const high = memoryMap.find((r) => r.base === 0x100000 && r.type === 1);
      const meminfo = new Uint8Array(8);
      new DataView(meminfo.buffer).setUint32(0, Math.min(640, Math.floor((low?.length ?? 0) / 1024)), true);
      new DataView(meminfo.buffer).setUint32(4, Math.floor((high?.length ?? 0) / 1024), true);
      const mmap = new Uint8Array(8 + map.length * MMAP_ENTRY);
      const mv = new DataView(mmap.buffer);
      mv.setUint32(0, MMAP_ENTRY, true);
      mv.setUint32(4, 0, true);
      map.forEach((r, i) => {
        mv.setBigUint64(8 + i * MMAP_ENTRY, BigInt(r.base), true);
        mv.setBigUint64(16 + i * MMAP_ENTRY, BigInt(r.length), true);
        mv.setUint32(24 + i * MMAP_ENTRY, r.type, true);
      });
      const all = [...fixedTags, { type: IT_BASIC_MEMINFO, payload: meminfo }, { type: IT_MMAP, payload: mmap }, { type: IT_END, payload: new Uint8Array(0) }];
      const info = new Uint8Array(8 + all.reduce((n, t) => n + tagSize(t.payload.length), 0));
      const iv = new DataView(info.buffer);
      iv.setUint32(0, info.length, true);
      let at = 8;
      for (const t of all) {
        iv.setUint32(at, t.type, true);
        iv.setUint32(at + 4, 8 + t.payload.length, true);
        info.set(t.payload, at + 8);
        at += tagSize(t.payload.length);
      }
      writePieces(ram, [...pieces, { address: infoBase, data: info, length: info.length, what: 'the Multiboot 2 information' }]);
      return { eip: entry, eax: MULTIBOOT2_BOOTLOADER_MAGIC, ebx: infoBase, esi: 0 };
    },
  };
}
