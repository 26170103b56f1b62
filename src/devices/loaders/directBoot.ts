// What every direct kernel loader (--kernel) shares: the request (the
// kernel's bytes, the command line, the initrd or modules), the pieces it
// puts in guest memory, the registers it hands over, and the checks that a
// piece fits in RAM. A loader parses and lays out everything when the machine
// is built (bad input is a KernelImageError there, before the guest runs) and
// writes it into RAM when the built-in BIOS's boot step asks (INT 19h, see
// src/devices/bios/bios.ts), again after every reset as QEMU reloads its
// -kernel on reset.

import type { GuestRam } from '../bus';

/** Bad input in a kernel, initrd or module: one line for the user. */
export class KernelImageError extends Error {}

/** A file named in -initrd: the whole string as given ("mod.bin arg"), the file's path and its bytes. */
export interface KernelModule {
  string: string;
  path: string;
  bytes: Uint8Array;
}

export interface KernelRequest {
  /** The kernel's path as the user gave it (Multiboot puts it in front of the command line). */
  path: string;
  bytes: Uint8Array;
  /** --append (empty when not given). */
  append: string;
  /** --initrd: Multiboot modules, or the one Linux initrd. */
  initrd: KernelModule[];
  memoryBytes: number;
}

/** One region of the memory map the firmware reports (INT 15h E820h's entries). */
export interface MemoryRegion {
  base: number;
  length: number;
  /** 1 usable, 2 reserved, 3 ACPI reclaimable ... (E820 and Multiboot types agree). */
  type: number;
}

/**
 * The machine state at the kernel's first instruction. Both protocols enter
 * in 32-bit protected mode with flat 4 GiB code and data segments, paging and
 * interrupts off; they differ in the registers they pass.
 */
export interface Handover {
  eip: number;
  eax: number;
  ebx: number;
  esi: number;
}

/** A kernel laid out and ready to be written into RAM. */
export interface DirectBoot {
  /** What the loader took the file for, e.g. "Multiboot 1 kernel (ELF32)". */
  readonly description: string;
  /** Write the kernel, its modules and boot information into RAM; the memory map is the firmware's. */
  place(ram: GuestRam, memoryMap: readonly MemoryRegion[]): Handover;
}

/** Bytes at an address: `data`, then zeros up to `length` (a kernel's BSS). */
export interface Piece {
  address: number;
  data: Uint8Array;
  length: number;
  /** For messages: "the kernel", "module 'initrd.img'". */
  what: string;
}

export const PAGE = 0x1000;

export function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

/** The legacy video and ROM window: RAM there is not RAM the kernel can use. */
export const HOLE_START = 0xa0000;
export const HOLE_END = 0x100000;

/** Refuse pieces that fall outside RAM, into the video/ROM window below 1 MiB, or onto each other. */
export function checkPieces(pieces: readonly Piece[], memoryBytes: number): void {
  const mib = (n: number): string => `${Math.ceil(n / 0x100000)} MiB`;
  for (const p of pieces) {
    const end = p.address + p.length;
    if (end > memoryBytes) {
      throw new KernelImageError(
        `${p.what} does not fit in the guest's memory (it would end at ${end.toString(16)}h; --memory is ${mib(memoryBytes)}, at least ${mib(end)} needed)`,
      );
    }
    if (p.address < HOLE_END && end > HOLE_START) {
      throw new KernelImageError(`${p.what} would be loaded at ${p.address.toString(16)}h-${end.toString(16)}h, over the video and BIOS area A0000h-FFFFFh`);
    }
  }
  const sorted = [...pieces].sort((a, b) => a.address - b.address);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1];
    if (prev.address + prev.length > sorted[i].address) throw new KernelImageError(`${prev.what} and ${sorted[i].what} overlap in memory`);
  }
}

/** Write the pieces into RAM (the zeros past each one's data too). */
export function writePieces(ram: GuestRam, pieces: readonly Piece[]): void {
  const CHUNK = 0x10000;
  for (const p of pieces) {
    ram.writePhysical(p.address, p.data);
    const zeros = new Uint8Array(Math.min(CHUNK, Math.max(0, p.length - p.data.length)));
    for (let at = p.data.length; at < p.length; at += CHUNK) {
      ram.writePhysical(p.address + at, zeros.subarray(0, Math.min(CHUNK, p.length - at)));
    }
  }
}

/** A NUL-terminated string's bytes, UTF-8 as the host's argv bytes are (command lines, module strings). */
export function cString(text: string): Uint8Array {
  const bytes = new TextEncoder().encode(text);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

/** Each module page-aligned after the kernel's pieces (as QEMU and GRUB place them); `next` is the first page after them all. */
export function layModules(kernel: readonly Piece[], initrd: readonly KernelModule[]): { pieces: Piece[]; modules: { piece: Piece; module: KernelModule }[]; next: number } {
  let next = alignUp(Math.max(...kernel.map((p) => p.address + p.length)), PAGE);
  const modules = initrd.map((module) => {
    const piece: Piece = { address: next, data: module.bytes, length: module.bytes.length, what: `module '${module.path}'` };
    next = alignUp(next + module.bytes.length, PAGE);
    return { piece, module };
  });
  return { pieces: [...kernel, ...modules.map((m) => m.piece)], modules, next };
}
