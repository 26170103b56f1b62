// Segment registers: the sregs view (KVM_GET/SET_SREGS), protected-mode
// segment loads: descriptor table reads, descriptor decoding
// into the hidden cache layout, and the checks of MOV Sreg / far transfers
// (SDM vol. 3 §3.4-3.5, §5.5-5.8). Real-mode loads and the cache itself are
// Cpu.loadSegmentReal and Cpu.loadSegmentCache.

import type { Cpu } from './cpu';
import { GuestFault, Unimplemented } from './faults';
import { ATTR_G, ATTR_L, ATTR_UNUSABLE, CS, DS, ES, FS, GS, SS, Segment, Sregs, VEC_GP, VEC_SS } from './state';

/** Read an 8-byte descriptor from the GDT or LDT; #GP(selector) when outside the table. */
export function readDescriptor(cpu: Cpu, selector: number): [number, number] {
  const index = selector & ~7;
  const local = (selector & 4) !== 0;
  const base = local ? cpu.ldtr.base : cpu.gdtrBase;
  const limit = local ? cpu.ldtr.limit : cpu.gdtrLimit;
  if (index + 7 > limit) throw new GuestFault(VEC_GP, selector & 0xfffc);
  const lin = (base + index) | 0;
  return [cpu.readLinear32(lin), cpu.readLinear32((lin + 4) | 0)];
}

/** Decode a segment descriptor's base, limit and attributes into the hidden cache layout. */
export function decodeDescriptor(lo: number, hi: number): { base: number; limit: number; attributes: number } {
  const base = ((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000)) >>> 0;
  let limit = (lo & 0xffff) | (hi & 0xf0000);
  const attributes = ((hi >>> 8) & 0xff) | ((hi >>> 8) & 0xf000);
  if (attributes & ATTR_G) limit = ((limit << 12) | 0xfff) >>> 0;
  return { base, limit, attributes };
}

/** MOV/POP/LxS to a data or stack segment register in protected mode: checks, then the descriptor cache. */
export function loadSegmentProtected(cpu: Cpu, seg: number, selector: number): void {
  selector &= 0xffff;
  if ((selector & 0xfffc) === 0) {
    if (seg === SS) throw new GuestFault(VEC_GP, 0);
    // A null selector makes the register unusable; a later access faults.
    cpu.loadSegmentCache(seg, selector, 0, 0, ATTR_UNUSABLE);
    return;
  }
  const [lo, hi] = readDescriptor(cpu, selector);
  const d = decodeDescriptor(lo, hi);
  const s = (d.attributes & 0x10) !== 0;
  const code = (d.attributes & 0x8) !== 0;
  const readable = !code || (d.attributes & 0x2) !== 0;
  if (!s || !readable || (seg === SS && (code || (d.attributes & 0x2) === 0))) throw new GuestFault(VEC_GP, selector & 0xfffc);
  if ((d.attributes & 0x80) === 0) throw new GuestFault(seg === SS ? VEC_SS : 11, selector & 0xfffc);
  cpu.loadSegmentCache(seg, selector, d.base, d.limit, d.attributes);
  if (seg === SS) cpu.cpl = selector & 3;
}

/** A far JMP/CALL/RET target in protected mode: a code segment descriptor (no gates or task switches yet). */
export function loadCodeSegmentProtected(cpu: Cpu, selector: number): void {
  selector &= 0xffff;
  if ((selector & 0xfffc) === 0) throw new GuestFault(VEC_GP, 0);
  const [lo, hi] = readDescriptor(cpu, selector);
  const d = decodeDescriptor(lo, hi);
  if ((d.attributes & 0x18) !== 0x18) {
    throw new Unimplemented(`far transfer through a system descriptor (selector ${selector.toString(16)}h)`);
  }
  if ((d.attributes & 0x80) === 0) throw new GuestFault(11, selector & 0xfffc);
  if (d.attributes & ATTR_L) throw new Unimplemented('64-bit code segments');
  cpu.loadSegmentCache(CS, (selector & ~3) | cpu.cpl, d.base, d.limit, d.attributes);
}

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
