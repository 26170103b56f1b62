// The loadable segments of an ELF executable (ELF32 and ELF64, little
// endian), as a boot loader needs them: where each PT_LOAD segment goes in
// physical memory (p_paddr), what of it comes from the file and what is
// zero-filled, and the entry point. Symbols are the debugger's business
// (src/debugAdapter/symbols/elf.ts); this reads only the program headers.

import { HOLE_END, HOLE_START, KernelImageError, Piece } from './directBoot';

const PT_LOAD = 1;
export const EM_386 = 3;
export const EM_X86_64 = 62;

export interface ElfSegment {
  /** Physical load address (p_paddr). */
  paddr: number;
  /** Virtual address (p_vaddr), to translate the entry point. */
  vaddr: number;
  /** The bytes from the file (p_filesz of them). */
  data: Uint8Array;
  /** p_memsz: the rest past the file bytes is zeroed. */
  memsz: number;
}

export interface ElfImage {
  class: 32 | 64;
  machine: number;
  /** e_entry translated to a physical address when it falls inside a segment's virtual range. */
  entry: number;
  segments: ElfSegment[];
}

/** True when the file starts with the ELF magic. */
export function isElf(file: Uint8Array): boolean {
  return file.length >= 4 && file[0] === 0x7f && file[1] === 0x45 && file[2] === 0x4c && file[3] === 0x46;
}

/** A 64-bit field that must fit in 32 bits (the boot protocols load below 4 GiB). */
function low32(value: bigint, what: string, where: string): number {
  if (value > 0xffffffffn) throw new KernelImageError(`${where}: ${what} ${value.toString(16)}h lies above 4 GiB`);
  return Number(value);
}

/** The PT_LOAD segments of an ELF executable; `where` names the file in messages. */
export function readElf(file: Uint8Array, where: string): ElfImage {
  if (!isElf(file) || file.length < 52) throw new KernelImageError(`${where}: not an ELF file`);
  const cls = file[4];
  if (cls !== 1 && cls !== 2) throw new KernelImageError(`${where}: unknown ELF class ${cls}`);
  if (file[5] !== 1) throw new KernelImageError(`${where}: big-endian ELF, x86 needs little-endian`);
  const is64 = cls === 2;
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const u64 = (o: number): bigint => v.getBigUint64(o, true);
  const machine = v.getUint16(18, true);
  const entry = is64 ? low32(u64(24), 'entry point', where) : v.getUint32(24, true);
  const phoff = is64 ? low32(u64(32), 'program header offset', where) : v.getUint32(28, true);
  const phentsize = v.getUint16(is64 ? 54 : 42, true);
  const phnum = v.getUint16(is64 ? 56 : 44, true);
  if (phnum === 0) throw new KernelImageError(`${where}: the ELF file has no program headers`);
  if (phentsize < (is64 ? 56 : 32) || phoff + phnum * phentsize > file.length) {
    throw new KernelImageError(`${where}: the ELF program headers lie outside the file`);
  }
  const segments: ElfSegment[] = [];
  for (let i = 0; i < phnum; i++) {
    const h = phoff + i * phentsize;
    if (v.getUint32(h, true) !== PT_LOAD) continue;
    const offset = is64 ? low32(u64(h + 8), 'segment offset', where) : v.getUint32(h + 4, true);
    const vaddr = is64 ? Number(u64(h + 16) & 0xffffffffn) : v.getUint32(h + 8, true);
    const paddr = is64 ? low32(u64(h + 24), 'segment load address', where) : v.getUint32(h + 12, true);
    const filesz = is64 ? low32(u64(h + 32), 'segment size', where) : v.getUint32(h + 16, true);
    const memsz = is64 ? low32(u64(h + 40), 'segment size', where) : v.getUint32(h + 20, true);
    if (memsz === 0) continue;
    if (filesz > memsz) throw new KernelImageError(`${where}: an ELF segment has more file bytes than memory bytes`);
    if (offset + filesz > file.length) throw new KernelImageError(`${where}: an ELF segment lies outside the file (truncated?)`);
    segments.push({ paddr, vaddr, data: file.subarray(offset, offset + filesz), memsz });
  }
  if (segments.length === 0) throw new KernelImageError(`${where}: the ELF file has no loadable segment`);
  // A kernel linked at a virtual address enters at the physical copy of its entry point.
  const home = segments.find((s) => entry >= s.vaddr && entry < s.vaddr + s.memsz);
  const physicalEntry = home ? (entry - home.vaddr + home.paddr) >>> 0 : entry;
  return { class: is64 ? 64 : 32, machine, entry: physicalEntry, segments };
}

/**
 * The pieces a kernel's segments make in memory. GNU ld's default layout
 * puts the ELF headers in a segment of their own just below 1 MiB: there is
 * no RAM there, and QEMU drops such a segment the same way. A segment holding
 * the entry point is never dropped.
 */
export function elfPieces(elf: ElfImage, where: string): Piece[] {
  const holds = (s: ElfSegment): boolean => elf.entry >= s.paddr && elf.entry < s.paddr + s.memsz;
  const segments = elf.segments.filter((s) => !(s.paddr >= HOLE_START && s.paddr + s.memsz <= HOLE_END && !holds(s)));
  if (segments.length === 0) throw new KernelImageError(`${where}: every loadable segment lies in the video and BIOS area A0000h-FFFFFh`);
  return segments.map((s, i) => ({ address: s.paddr, data: s.data, length: s.memsz, what: `the kernel's segment ${i + 1}` }));
}
