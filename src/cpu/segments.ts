// Segment registers in protected mode: descriptor-table access, descriptor
// decoding into the hidden cache layout, and the checks of every segment
// load with its fault and error code (SDM vol. 3 §3.4-3.5, §5.5-5.8; vol. 2
// MOV, POP, LDS/LES/LFS/LGS/LSS, RET, IRET), the accessed bit, and the sregs
// view (KVM_GET/SET_SREGS). Far transfers through these checks are in
// ./farTransfers.ts; real-mode loads and the cache itself are
// Cpu.loadSegmentReal and Cpu.loadSegmentCache.
//
// Descriptor tables and the TSS are read and written as *implicit supervisor*
// accesses (SDM vol. 3 §4.6.1): at CPL 3 too, paging checks them as CPL 0.
// Error codes name the selector (index, TI) with EXT set when an external
// event caused the load (SDM vol. 3 §6.13).

import type { Cpu } from './cpu';
import { GuestFault } from './faults';
import {
  ATTR_G, ATTR_P, ATTR_S, ATTR_TYPE_ACCESSED, ATTR_TYPE_CODE, ATTR_TYPE_EXPAND_DOWN, ATTR_TYPE_WRITABLE,
  ATTR_UNUSABLE, CS, DS, ES, FS, GS, SS, Segment, Sregs, VEC_GP, VEC_NP, VEC_SS,
} from './state';

/** A descriptor as read from its table: the raw dwords, where it lives, and its hidden-cache form. */
export interface Descriptor {
  /** Linear address of the descriptor (for the accessed and busy bits). */
  address: number;
  lo: number;
  hi: number;
  base: number;
  /** Byte-granular limit. */
  limit: number;
  /** VMX access-rights layout (ATTR_*). */
  attributes: number;
}

/** The fault for a selector: its index and TI (RPL cleared), EXT for an external event. */
export function selectorFault(vector: number, selector: number, ext = 0): GuestFault {
  return new GuestFault(vector, (selector & 0xfffc) | ext);
}

// ---- Implicit supervisor accesses (descriptor tables, the TSS) ----

/** Read 2 or 4 bytes at `linear` as a supervisor access, whatever the CPL. */
function readSystem(cpu: Cpu, linear: number, size: 2 | 4): number {
  const cpl = cpu.cpl;
  cpu.cpl = 0;
  try {
    return size === 4 ? cpu.readLinear32(linear) : cpu.readLinear16(linear);
  } finally {
    cpu.cpl = cpl;
  }
}

export const readSystem32 = (cpu: Cpu, linear: number): number => readSystem(cpu, linear, 4);
export const readSystem16 = (cpu: Cpu, linear: number): number => readSystem(cpu, linear, 2);

export function writeSystem8(cpu: Cpu, linear: number, value: number): void {
  const cpl = cpu.cpl;
  cpu.cpl = 0;
  try {
    cpu.writeLinear8(linear, value);
  } finally {
    cpu.cpl = cpl;
  }
}

/** Decode a segment descriptor's base, limit and attributes into the hidden cache layout. */
export function decodeDescriptor(lo: number, hi: number): { base: number; limit: number; attributes: number } {
  const base = ((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000)) >>> 0;
  let limit = (lo & 0xffff) | (hi & 0xf0000);
  const attributes = ((hi >>> 8) & 0xff) | ((hi >>> 8) & 0xf000);
  if (attributes & ATTR_G) limit = ((limit << 12) | 0xfff) >>> 0;
  return { base, limit, attributes };
}

/**
 * Read the descriptor `selector` names from the GDT or LDT. Outside its
 * table (or through an unusable LDT) it is `vector`(selector) — #GP for
 * instructions, #TS for the loads of a task switch.
 */
export function fetchDescriptor(cpu: Cpu, selector: number, vector = VEC_GP, ext = 0): Descriptor {
  const index = selector & 0xfff8;
  const local = (selector & 4) !== 0;
  if (local && (cpu.ldtr.attributes & ATTR_UNUSABLE) !== 0) throw selectorFault(vector, selector, ext);
  const base = local ? cpu.ldtr.base : cpu.gdtrBase;
  const limit = local ? cpu.ldtr.limit : cpu.gdtrLimit;
  if (index + 7 > limit) throw selectorFault(vector, selector, ext);
  const address = (base + index) | 0;
  const lo = readSystem32(cpu, address);
  const hi = readSystem32(cpu, (address + 4) | 0);
  const d = decodeDescriptor(lo, hi);
  return { address, lo, hi, base: d.base, limit: d.limit, attributes: d.attributes };
}

/** Read an 8-byte descriptor from the GDT or LDT; #GP(selector) when outside the table. */
export function readDescriptor(cpu: Cpu, selector: number): [number, number] {
  const d = fetchDescriptor(cpu, selector);
  return [d.lo, d.hi];
}

export const dplOf = (d: Descriptor): number => (d.attributes >> 5) & 3;
const isCode = (attr: number): boolean => (attr & (ATTR_S | ATTR_TYPE_CODE)) === (ATTR_S | ATTR_TYPE_CODE);
const isConformingCode = (attr: number): boolean => isCode(attr) && (attr & ATTR_TYPE_EXPAND_DOWN) !== 0;

/** Set the descriptor's accessed bit in memory when a load finds it clear (SDM vol. 3 §3.4.5.1). */
export function markAccessed(cpu: Cpu, d: Descriptor): void {
  if ((d.attributes & (ATTR_S | ATTR_TYPE_ACCESSED)) !== ATTR_S) return;
  d.attributes |= ATTR_TYPE_ACCESSED;
  writeSystem8(cpu, (d.address + 5) | 0, (d.hi >>> 8) | ATTR_TYPE_ACCESSED);
}

/** Load a checked descriptor into segment register `seg`: accessed bit, then the hidden cache. */
export function commitSegment(cpu: Cpu, seg: number, selector: number, d: Descriptor): void {
  markAccessed(cpu, d);
  cpu.loadSegmentCache(seg, selector & 0xffff, d.base, d.limit, d.attributes);
}

/**
 * The checks of loading SS with `selector` for privilege level `cpl` (MOV/POP/LSS
 * at the CPL; RET and IRET outward, inward calls and interrupts at the new
 * one): a null selector is `invalid`(0), a selector outside its table, RPL or
 * DPL other than `cpl`, or anything but a writable data segment `invalid`
 * (selector); not present is #SS(selector). Returns the descriptor, not loaded.
 */
export function checkStackSegment(cpu: Cpu, selector: number, cpl: number, invalid = VEC_GP, ext = 0): Descriptor {
  if ((selector & 0xfffc) === 0) throw new GuestFault(invalid, ext);
  const d = fetchDescriptor(cpu, selector, invalid, ext);
  const writableData = (d.attributes & (ATTR_S | ATTR_TYPE_CODE | ATTR_TYPE_WRITABLE)) === (ATTR_S | ATTR_TYPE_WRITABLE);
  if ((selector & 3) !== cpl || !writableData || dplOf(d) !== cpl) throw selectorFault(invalid, selector, ext);
  if ((d.attributes & ATTR_P) === 0) throw selectorFault(VEC_SS, selector, ext);
  return d;
}

/**
 * Load DS, ES, FS or GS (SDM vol. 2 MOV, "IF DS, ES, FS, or GS is loaded"):
 * a null selector makes the register unusable; otherwise the descriptor must
 * be a data or readable code segment, and unless conforming code, its DPL at
 * least CPL and RPL (`invalid`(selector) else); not present is #NP(selector).
 */
export function loadDataSegment(cpu: Cpu, seg: number, selector: number, invalid = VEC_GP, ext = 0): void {
  selector &= 0xffff;
  if ((selector & 0xfffc) === 0) {
    cpu.loadSegmentCache(seg, selector, 0, 0, ATTR_UNUSABLE);
    return;
  }
  const d = fetchDescriptor(cpu, selector, invalid, ext);
  const attr = d.attributes;
  const readable = (attr & ATTR_S) !== 0 && ((attr & ATTR_TYPE_CODE) === 0 || (attr & ATTR_TYPE_WRITABLE) !== 0);
  if (!readable) throw selectorFault(invalid, selector, ext);
  if (!isConformingCode(attr)) {
    const dpl = dplOf(d);
    if ((selector & 3) > dpl || cpu.cpl > dpl) throw selectorFault(invalid, selector, ext);
  }
  if ((attr & ATTR_P) === 0) throw selectorFault(VEC_NP, selector, ext);
  commitSegment(cpu, seg, selector, d);
}

/** MOV/POP/LxS to a segment register in protected mode. */
export function loadSegmentProtected(cpu: Cpu, seg: number, selector: number): void {
  if (seg === SS) commitSegment(cpu, SS, selector, checkStackSegment(cpu, selector & 0xffff, cpu.cpl));
  else loadDataSegment(cpu, seg, selector);
}

/**
 * The code segment a RET or IRET returns to (SDM vol. 2 RET, IRET: a null
 * selector is #GP(0); outside the table, not code, RPL below CPL, conforming
 * with DPL above RPL or non-conforming with DPL other than RPL is
 * #GP(selector); not present #NP(selector)). The L bit is ignored: outside
 * IA-32e mode it is reserved and the processor does not look at it (SDM vol. 3
 * §3.4.5), and this CPU has no IA-32e mode.
 */
export function checkReturnCodeSegment(cpu: Cpu, selector: number): Descriptor {
  if ((selector & 0xfffc) === 0) throw new GuestFault(VEC_GP, 0);
  const d = fetchDescriptor(cpu, selector);
  const rpl = selector & 3;
  const dpl = dplOf(d);
  if (!isCode(d.attributes) || rpl < cpu.cpl) throw selectorFault(VEC_GP, selector);
  if (isConformingCode(d.attributes) ? dpl > rpl : dpl !== rpl) throw selectorFault(VEC_GP, selector);
  if ((d.attributes & ATTR_P) === 0) throw selectorFault(VEC_NP, selector);
  return d;
}

/**
 * After a return to an outer level (RET, IRET): DS, ES, FS and GS that hold a
 * data or non-conforming code segment with DPL below the new CPL become null
 * (SDM vol. 2 RET, IRET), so the outer level cannot keep a handle on inner data.
 */
export function nullInaccessibleDataSegments(cpu: Cpu): void {
  for (const seg of [ES, DS, FS, GS]) {
    const attr = cpu.segAttr[seg];
    if (attr & ATTR_UNUSABLE) continue;
    if (!isConformingCode(attr) && ((attr >> 5) & 3) < cpu.cpl) cpu.loadSegmentCache(seg, 0, 0, 0, ATTR_UNUSABLE);
  }
}

// ---- The I/O permission bitmap ----

/**
 * The I/O permission bitmap of the current 32-bit TSS (SDM vol. 1 §19.5.2)
 * allows `size` bytes at `port`: every bit for them clear. The bitmap starts
 * at the I/O map base (TSS offset 66h); bits beyond the TSS limit, or a
 * 16-bit TSS (which has none), deny. Two bytes are read, as hardware does, so
 * an access that spans a byte boundary is covered.
 */
export function ioBitmapAllows(cpu: Cpu, port: number, size: number): boolean {
  const tr = cpu.tr;
  if ((tr.attributes & 0xf) !== 0xb && (tr.attributes & 0xf) !== 0x9) return false;
  if (tr.limit < 0x67) return false;
  const offset = readSystem16(cpu, (tr.base + 0x66) | 0) + (port >>> 3);
  if (offset + 1 > tr.limit) return false;
  const bits = readSystem16(cpu, (tr.base + offset) | 0) >>> (port & 7);
  return (bits & ((1 << size) - 1)) === 0;
}

// ---- The sregs view ----

/** One segment register for the sregs view: an unusable one reports limit 0 (its -1 is internal). */
function segmentOf(cpu: Cpu, s: number): Segment {
  const unusable = (cpu.segAttr[s] & ATTR_UNUSABLE) !== 0;
  return { selector: cpu.segSel[s], base: cpu.segBase[s] >>> 0, limit: unusable ? 0 : cpu.segLimit[s], attributes: cpu.segAttr[s] };
}

/** The segment registers with their hidden caches, the descriptor tables and control registers (KVM_GET_SREGS). */
export function getSregs(cpu: Cpu): Sregs {
  return {
    es: segmentOf(cpu, ES), cs: segmentOf(cpu, CS), ss: segmentOf(cpu, SS),
    ds: segmentOf(cpu, DS), fs: segmentOf(cpu, FS), gs: segmentOf(cpu, GS),
    ldtr: { ...cpu.ldtr }, tr: { ...cpu.tr },
    gdtr: { base: cpu.gdtrBase >>> 0, limit: cpu.gdtrLimit },
    idtr: { base: cpu.idtrBase >>> 0, limit: cpu.idtrLimit },
    cr0: cpu.cr0 >>> 0, cr2: cpu.cr2 >>> 0, cr3: cpu.cr3 >>> 0, cr4: cpu.cr4 >>> 0,
    efer: cpu.efer >>> 0, apicBase: cpu.apicBase >>> 0,
  };
}

/** Load all of `getSregs`' state (KVM_SET_SREGS). */
export function setSregs(cpu: Cpu, s: Sregs): void {
  const segs = [s.es, s.cs, s.ss, s.ds, s.fs, s.gs];
  for (let i = 0; i < 6; i++) cpu.loadSegmentCache(i, segs[i].selector, segs[i].base, segs[i].limit, segs[i].attributes);
  cpu.ldtr = { ...s.ldtr };
  cpu.tr = { ...s.tr };
  cpu.gdtrBase = s.gdtr.base | 0;
  cpu.gdtrLimit = s.gdtr.limit;
  cpu.idtrBase = s.idtr.base | 0;
  cpu.idtrLimit = s.idtr.limit;
  cpu.cr0 = s.cr0 | 0;
  cpu.cr2 = s.cr2 | 0;
  cpu.cr3 = s.cr3 | 0;
  cpu.cr4 = s.cr4 | 0;
  cpu.efer = s.efer | 0;
  cpu.apicBase = s.apicBase | 0;
  cpu.cpl = cpu.protectedMode ? (cpu.segAttr[SS] >> 5) & 3 : 0;
}
