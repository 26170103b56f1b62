// A Linux bzImage through the Linux/x86 boot protocol's 32-bit entry
// (Documentation/arch/x86/boot.rst): the setup header is checked (boot flag,
// "HdrS", protocol 2.02 or later, a bzImage loaded high), the protected-mode
// kernel goes to 1 MiB, and the "zero page" (struct boot_params) gets the
// setup header from the file with the loader's fields filled in (loader
// type, heap, command line pointer, initrd address and size), the screen
// information of the VGA text screen, the memory sizes and the E820 map.
// The kernel starts at its 32-bit entry (1 MiB, code32_start) with ESI = the zero page, EBX, EBP and
// EDI zero, flat segments 10h/18h (./bios/kernelHandover.ts).
//
// Layout: the zero page at 10000h, the command line right after it (below
// the EBDA, where every protocol version can reach it), the kernel at 1 MiB,
// and the initrd page-aligned as high as initrd_addr_max and the RAM allow,
// above the kernel's init_size (the room it decompresses into).

import type { GuestRam } from '../bus';
import { DirectBoot, Handover, KernelImageError, KernelRequest, MemoryRegion, PAGE, Piece, checkPieces, cString, writePieces } from './directBoot';

/** Offsets in the boot sector / setup header / boot_params (boot.rst, "THE REAL-MODE KERNEL HEADER" and zero-page.rst). */
const SETUP_SECTS = 0x1f1;
const BOOT_FLAG = 0x1fe;
const JUMP_OFFSET = 0x201;
const HEADER = 0x202;
const VERSION = 0x206;
const TYPE_OF_LOADER = 0x210;
const LOADFLAGS = 0x211;
const CODE32_START = 0x214;
const RAMDISK_IMAGE = 0x218;
const RAMDISK_SIZE = 0x21c;
const HEAP_END_PTR = 0x224;
const CMD_LINE_PTR = 0x228;
const INITRD_ADDR_MAX = 0x22c;
const CMDLINE_SIZE = 0x238;
const INIT_SIZE = 0x260;
/** boot_params fields outside the setup header. */
const EXT_MEM_K = 0x002;
const ORIG_VIDEO_MODE = 0x006;
const ORIG_VIDEO_COLS = 0x007;
const ORIG_VIDEO_LINES = 0x00e;
const ORIG_VIDEO_IS_VGA = 0x00f;
const ORIG_VIDEO_POINTS = 0x010;
const ALT_MEM_K = 0x1e0;
const E820_ENTRIES = 0x1e8;
const E820_TABLE = 0x2d0;
const E820_MAX = 128;

const LOADED_HIGH = 0x01;
const CAN_USE_HEAP = 0x80;
/** type_of_loader: no boot loader ID is assigned to vmexit ("undefined"). */
const LOADER_UNDEFINED = 0xff;

export const ZERO_PAGE = 0x10000;
const CMDLINE_AT = ZERO_PAGE + PAGE;
const KERNEL_AT = 0x100000;

/** A bzImage (a file with "HdrS" at 202h) laid out and checked; written by `place`. */
export function prepareLinux(request: KernelRequest): DirectBoot {
  const file = request.bytes;
  const where = request.path;
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (file.length < 0x264) throw new KernelImageError(`${where}: a Linux setup header cut off (${file.length} bytes)`);
  if (v.getUint16(BOOT_FLAG, true) !== 0xaa55) throw new KernelImageError(`${where}: a Linux setup header without the boot flag AA55h at 1FEh`);
  const version = v.getUint16(VERSION, true);
  const versionText = `${version >> 8}.${(version & 0xff).toString().padStart(2, '0')}`;
  if (version < 0x0202) throw new KernelImageError(`${where}: Linux boot protocol ${versionText}; vmexit needs 2.02 or later (a 32-bit entry with a command line pointer)`);
  const loadflags = file[LOADFLAGS];
  if (!(loadflags & LOADED_HIGH)) throw new KernelImageError(`${where}: a zImage (loaded below 1 MiB); vmexit boots bzImages only`);
  const setupSects = file[SETUP_SECTS] || 4;
  const kernelOffset = (setupSects + 1) * 512;
  if (kernelOffset >= file.length) throw new KernelImageError(`${where}: the setup code (${setupSects} sectors) takes the whole file: no protected-mode kernel`);
  const headerEnd = Math.min(HEADER + file[JUMP_OFFSET], 0x290);
  const initrdMax = version >= 0x0203 ? v.getUint32(INITRD_ADDR_MAX, true) : 0x37ffffff;
  const cmdlineMax = version >= 0x0206 ? v.getUint32(CMDLINE_SIZE, true) : 255;
  const initSize = version >= 0x020a ? v.getUint32(INIT_SIZE, true) : 0;

  const kernel = file.subarray(kernelOffset);
  // The kernel decompresses in place: it needs init_size bytes from where it is loaded.
  const kernelPiece: Piece = { address: KERNEL_AT, data: kernel, length: Math.max(kernel.length, initSize), what: 'the kernel' };
  const cmdline = cString(request.append);
  if (cmdline.length - 1 > cmdlineMax) throw new KernelImageError(`the command line is ${cmdline.length - 1} bytes; this kernel takes at most ${cmdlineMax}`);
  const pieces: Piece[] = [kernelPiece, { address: CMDLINE_AT, data: cmdline, length: cmdline.length, what: 'the command line' }];

  if (request.initrd.length > 1) throw new KernelImageError(`a Linux kernel takes one initrd, not ${request.initrd.length} (Multiboot modules are for Multiboot kernels)`);
  const initrd = request.initrd[0];
  let initrdAt = 0;
  if (initrd) {
    // As high as the kernel allows and the RAM reaches, page-aligned (as QEMU places it).
    const top = Math.min(initrdMax + 1, request.memoryBytes, 0x100000000);
    initrdAt = Math.floor((top - initrd.bytes.length) / PAGE) * PAGE;
    const kernelEnd = KERNEL_AT + kernelPiece.length;
    if (initrdAt < kernelEnd) {
      const need = Math.ceil((kernelEnd + initrd.bytes.length) / 0x100000);
      throw new KernelImageError(
        `the initrd '${initrd.path}' (${initrd.bytes.length} bytes) does not fit between the kernel and ${top === request.memoryBytes ? 'the top of memory' : `the kernel's limit ${initrdMax.toString(16)}h`} (about ${need} MiB of --memory needed)`,
      );
    }
    pieces.push({ address: initrdAt, data: initrd.bytes, length: initrd.bytes.length, what: `the initrd '${initrd.path}'` });
  }
  checkPieces(pieces, request.memoryBytes);

  return {
    description: `Linux kernel (bzImage, boot protocol ${versionText})`,
    place(ram: GuestRam, memoryMap: readonly MemoryRegion[]): Handover {
      const zero = new Uint8Array(PAGE);
      const z = new DataView(zero.buffer);
      zero.set(file.subarray(SETUP_SECTS, headerEnd), SETUP_SECTS);
      zero[TYPE_OF_LOADER] = LOADER_UNDEFINED;
      zero[LOADFLAGS] = (loadflags | CAN_USE_HEAP) & 0xff;
      z.setUint16(HEAP_END_PTR, 0xfe00, true);
      z.setUint32(CMD_LINE_PTR, CMDLINE_AT, true);
      z.setUint32(RAMDISK_IMAGE, initrd ? initrdAt : 0, true);
      z.setUint32(RAMDISK_SIZE, initrd ? initrd.bytes.length : 0, true);
      // The kernel sits at 1 MiB: that is where its 32-bit entry is.
      z.setUint32(CODE32_START, KERNEL_AT, true);
      // The screen as the BIOS left it: mode 3, 80x25 VGA text, 16-line characters.
      zero[ORIG_VIDEO_MODE] = 3;
      zero[ORIG_VIDEO_COLS] = 80;
      zero[ORIG_VIDEO_LINES] = 25;
      zero[ORIG_VIDEO_IS_VGA] = 1;
      z.setUint16(ORIG_VIDEO_POINTS, 16, true);
      const high = memoryMap.find((r) => r.base === 0x100000 && r.type === 1);
      const extKiB = Math.floor((high?.length ?? 0) / 1024);
      z.setUint16(EXT_MEM_K, Math.min(extKiB, 0xffff), true);
      z.setUint32(ALT_MEM_K, extKiB, true);
      const map = memoryMap.slice(0, E820_MAX);
      zero[E820_ENTRIES] = map.length;
      map.forEach((r, i) => {
        z.setBigUint64(E820_TABLE + i * 20, BigInt(r.base), true);
        z.setBigUint64(E820_TABLE + i * 20 + 8, BigInt(r.length), true);
        z.setUint32(E820_TABLE + i * 20 + 16, r.type, true);
      });
      writePieces(ram, [...pieces, { address: ZERO_PAGE, data: zero, length: PAGE, what: 'the zero page' }]);
      return { eip: KERNEL_AT, eax: 0, ebx: 0, esi: ZERO_PAGE };
    },
  };
}
