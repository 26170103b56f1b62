// Far JMP, CALL and RET in protected mode (SDM vol. 2 JMP, CALL, RET; vol. 3
// §5.8): direct transfers to conforming and non-conforming code segments,
// call gates (16- and 32-bit) with the inward stack switch from the TSS and
// the parameter copy, and returns to the same or an outer privilege level.
// Every check comes before anything is changed: the new stack is written
// first, then SS, CS, ESP and the CPL are committed, so a fault leaves the
// state of the instruction's start (the run loop restores EIP and ESP).
// Task gates and TSS targets go to ./tasks.ts.

import type { Cpu } from './cpu';
import { GuestFault } from './faults';
import {
  Descriptor, checkReturnCodeSegment, checkStackSegment, commitSegment, dplOf, fetchDescriptor,
  nullInaccessibleDataSegments, readSystem16, readSystem32, selectorFault,
} from './segments';
import { ATTR_DB, ATTR_P, ATTR_S, ATTR_TYPE_CODE, ATTR_TYPE_EXPAND_DOWN, CS, ESP, SS, VEC_GP, VEC_NP, VEC_SS, VEC_TS } from './state';
import { switchTask } from './tasks';

/** System descriptor types (S = 0) a far JMP/CALL may name. */
const TSS16_AVAILABLE = 0x1, CALL_GATE16 = 0x4, TASK_GATE = 0x5, TSS32_AVAILABLE = 0x9, CALL_GATE32 = 0xc;

const isCode = (attr: number): boolean => (attr & (ATTR_S | ATTR_TYPE_CODE)) === (ATTR_S | ATTR_TYPE_CODE);
const isConforming = (attr: number): boolean => (attr & ATTR_TYPE_EXPAND_DOWN) !== 0;

/**
 * Load CS for privilege level `cpl` (RPL = CPL) and jump; #GP(0) past the
 * limit, before anything changes. The descriptor's L bit means nothing outside
 * IA-32e mode (SDM vol. 3 §3.4.5): D alone gives the code size.
 */
function enterCode(cpu: Cpu, selector: number, d: Descriptor, offset: number, cpl: number): void {
  if (offset > d.limit) throw new GuestFault(VEC_GP, 0);
  cpu.cpl = cpl;
  commitSegment(cpu, CS, (selector & 0xfffc) | cpl, d);
  cpu.eip = offset >>> 0;
}

/**
 * A code segment reached directly (no gate), by JMP or CALL: conforming with
 * DPL <= CPL, or non-conforming with RPL <= CPL and DPL = CPL (#GP(selector));
 * present (#NP(selector)). The CPL never changes.
 */
function checkDirectCode(cpu: Cpu, selector: number, d: Descriptor): void {
  const dpl = dplOf(d);
  if (isConforming(d.attributes) ? dpl > cpu.cpl : (selector & 3) > cpu.cpl || dpl !== cpu.cpl) throw selectorFault(VEC_GP, selector);
  if ((d.attributes & ATTR_P) === 0) throw selectorFault(VEC_NP, selector);
}

/** The descriptor a far JMP/CALL names: null is #GP(0), outside its table #GP(selector). */
function farTarget(cpu: Cpu, selector: number): Descriptor {
  if ((selector & 0xfffc) === 0) throw new GuestFault(VEC_GP, 0);
  return fetchDescriptor(cpu, selector);
}

/** A call gate's fields. */
interface CallGate {
  selector: number;
  offset: number;
  count: number;
  bits32: boolean;
}

/**
 * Check a call gate named by `selector` (gate DPL >= CPL and >= RPL,
 * #GP(gate); present, #NP(gate)) and the code segment it names (null #GP(0),
 * outside the table or not code or DPL > CPL #GP(code), not present
 * #NP(code)). A 16-bit gate's offset is its low word only.
 */
function checkCallGate(cpu: Cpu, selector: number, gate: Descriptor): [CallGate, Descriptor] {
  const dpl = dplOf(gate);
  if (dpl < cpu.cpl || dpl < (selector & 3)) throw selectorFault(VEC_GP, selector);
  if ((gate.attributes & ATTR_P) === 0) throw selectorFault(VEC_NP, selector);
  const bits32 = (gate.attributes & 0xf) === CALL_GATE32;
  const g: CallGate = {
    selector: gate.lo >>> 16,
    offset: bits32 ? ((gate.lo & 0xffff) | (gate.hi & 0xffff0000)) >>> 0 : gate.lo & 0xffff,
    count: gate.hi & 0x1f,
    bits32,
  };
  if ((g.selector & 0xfffc) === 0) throw new GuestFault(VEC_GP, 0);
  const code = fetchDescriptor(cpu, g.selector);
  if (!isCode(code.attributes) || dplOf(code) > cpu.cpl) throw selectorFault(VEC_GP, g.selector);
  if ((code.attributes & ATTR_P) === 0) throw selectorFault(VEC_NP, g.selector);
  return [g, code];
}

/** The task-switch targets (TSS descriptors and task gates) of JMP and CALL; other system types are #GP(selector). */
function farSystemTarget(cpu: Cpu, selector: number, d: Descriptor, kind: 'jmp' | 'call'): boolean {
  const type = d.attributes & 0xf;
  if (type === TSS16_AVAILABLE || type === TSS32_AVAILABLE || type === TASK_GATE) {
    switchTask(cpu, selector, d, kind);
    return true;
  }
  if (type !== CALL_GATE16 && type !== CALL_GATE32) throw selectorFault(VEC_GP, selector);
  return false;
}

/** Far JMP in protected mode; `offset` is already masked to the operand size. */
export function jumpFarProtected(cpu: Cpu, selector: number, offset: number): void {
  const d = farTarget(cpu, selector);
  if (isCode(d.attributes)) {
    checkDirectCode(cpu, selector, d);
    enterCode(cpu, selector, d, offset, cpu.cpl);
    return;
  }
  if ((d.attributes & ATTR_S) !== 0) throw selectorFault(VEC_GP, selector); // a data segment
  if (farSystemTarget(cpu, selector, d, 'jmp')) return;
  // A call gate: a JMP never changes privilege, so the code must be reachable at this CPL.
  const [g, code] = checkCallGate(cpu, selector, d);
  const dpl = dplOf(code);
  if (isConforming(code.attributes) ? dpl > cpu.cpl : dpl !== cpu.cpl) throw selectorFault(VEC_GP, g.selector);
  enterCode(cpu, g.selector, code, g.offset, cpu.cpl);
}

/** Far CALL in protected mode: the return address is CS:EIP now (EIP past the instruction). */
export function callFarProtected(cpu: Cpu, selector: number, offset: number): void {
  const d = farTarget(cpu, selector);
  const returnCs = cpu.segSel[CS];
  const returnEip = cpu.eip;
  if (isCode(d.attributes)) {
    checkDirectCode(cpu, selector, d);
    if (offset > d.limit) throw new GuestFault(VEC_GP, 0);
    cpu.pushV(returnCs);
    cpu.pushV(returnEip);
    enterCode(cpu, selector, d, offset, cpu.cpl);
    return;
  }
  if ((d.attributes & ATTR_S) !== 0) throw selectorFault(VEC_GP, selector);
  if (farSystemTarget(cpu, selector, d, 'call')) return;
  const [g, code] = checkCallGate(cpu, selector, d);
  const dpl = dplOf(code);
  if (!isConforming(code.attributes) && dpl < cpu.cpl) {
    callInward(cpu, g, code, returnCs, returnEip);
    return;
  }
  // Same privilege through the gate: the return address at the gate's size.
  if (g.offset > code.limit) throw new GuestFault(VEC_GP, 0);
  if (g.bits32) {
    cpu.push32(returnCs);
    cpu.push32(returnEip);
  } else {
    cpu.push16(returnCs);
    cpu.push16(returnEip);
  }
  enterCode(cpu, g.selector, code, g.offset, cpu.cpl);
}

/** The stack for privilege level `cpl` from the current TSS (32- or 16-bit); #TS(TSS) when the TSS is too short. */
export function tssStack(cpu: Cpu, cpl: number, ext = 0): { ss: number; esp: number } {
  const type = cpu.tr.attributes & 0xf;
  const base = cpu.tr.base | 0;
  if (type === 0x9 || type === 0xb) {
    if (cpl * 8 + 4 + 5 > cpu.tr.limit) throw selectorFault(VEC_TS, cpu.tr.selector, ext);
    return { esp: readSystem32(cpu, (base + 4 + cpl * 8) | 0), ss: readSystem16(cpu, (base + 8 + cpl * 8) | 0) };
  }
  if (type === 0x1 || type === 0x3) {
    if (cpl * 4 + 2 + 3 > cpu.tr.limit) throw selectorFault(VEC_TS, cpu.tr.selector, ext);
    return { esp: readSystem16(cpu, (base + 2 + cpl * 4) | 0), ss: readSystem16(cpu, (base + 4 + cpl * 4) | 0) };
  }
  throw selectorFault(VEC_TS, cpu.tr.selector, ext); // no usable TSS
}

/**
 * Write `values` (each `size` bytes, first pushed first) onto a stack not yet
 * loaded: segment `d`, stack pointer `esp`, at privilege `cpl`. Each slot must
 * lie within the segment (expand-down ones too), or #SS(selector|ext); the
 * new stack pointer is returned. Used by inward calls and interrupts.
 */
export function pushOnNewStack(cpu: Cpu, ssSelector: number, d: Descriptor, esp: number, size: number, values: number[], cpl: number, ext = 0): number {
  const big = (d.attributes & ATTR_DB) !== 0;
  const mask = big ? 0xffffffff : 0xffff;
  const expandDown = (d.attributes & (ATTR_TYPE_CODE | ATTR_TYPE_EXPAND_DOWN)) === ATTR_TYPE_EXPAND_DOWN;
  let sp = (esp & mask) >>> 0;
  const slots: number[] = [];
  for (let i = 0; i < values.length; i++) {
    sp = ((sp - size) & mask) >>> 0;
    const last = sp + size - 1;
    const inside = expandDown ? sp > d.limit && last <= mask : last <= d.limit;
    if (!inside) throw selectorFault(VEC_SS, ssSelector, ext);
    slots.push(sp);
  }
  const saved = cpu.cpl;
  cpu.cpl = cpl;
  try {
    for (let i = 0; i < values.length; i++) {
      const linear = (d.base + slots[i]) | 0;
      if (size === 4) cpu.writeLinear32(linear, values[i]);
      else cpu.writeLinear16(linear, values[i]);
    }
  } finally {
    cpu.cpl = saved;
  }
  return big ? sp : ((esp & ~0xffff) | sp) >>> 0;
}

/**
 * CALL through a call gate to a more privileged non-conforming segment (SDM
 * vol. 2 CALL, MORE-PRIVILEGE): SS:ESP for the code's DPL from the TSS,
 * checked as #TS(SS) (#SS(SS) when not present); the new stack gets the old
 * SS:ESP, the gate's count of parameters copied from the old stack, and the
 * return CS:EIP, all at the gate's size.
 */
function callInward(cpu: Cpu, g: CallGate, code: Descriptor, returnCs: number, returnEip: number): void {
  const newCpl = dplOf(code);
  const { ss, esp } = tssStack(cpu, newCpl);
  const ssd = checkStackSegment(cpu, ss, newCpl, VEC_TS);
  const size = g.bits32 ? 4 : 2;
  // The parameters, read from the caller's stack before anything changes.
  const oldSs = cpu.segSel[SS];
  const oldEsp = cpu.reg32[ESP];
  const oldSp = cpu.getSp();
  const params: number[] = [];
  for (let i = g.count - 1; i >= 0; i--) {
    const off = cpu.stack32 ? (oldSp + i * size) >>> 0 : (oldSp + i * size) & 0xffff;
    params.push(size === 4 ? cpu.read32(SS, off) : cpu.read16(SS, off));
  }
  if (g.offset > code.limit) throw new GuestFault(VEC_GP, 0);
  const frame = [oldSs, g.bits32 ? oldEsp : oldEsp & 0xffff, ...params, returnCs, returnEip];
  const newEsp = pushOnNewStack(cpu, ss, ssd, esp, size, frame, newCpl);
  cpu.cpl = newCpl;
  commitSegment(cpu, SS, ss, ssd);
  cpu.reg32[ESP] = newEsp;
  enterCode(cpu, g.selector, code, g.offset, newCpl);
}

/**
 * Far RET in protected mode (SDM vol. 2 RET): to the same level, or to an
 * outer one with the caller's SS:ESP popped after `release` bytes of
 * parameters (released on both stacks), and data segment registers the
 * outer level may not use made null.
 */
export function returnFarProtected(cpu: Cpu, release: number): void {
  const o32 = cpu.opsize32;
  const offset = o32 ? cpu.pop32() >>> 0 : cpu.pop16();
  const selector = (o32 ? cpu.pop32() : cpu.pop16()) & 0xffff;
  const code = checkReturnCodeSegment(cpu, selector);
  const rpl = selector & 3;
  if (rpl === cpu.cpl) {
    enterCode(cpu, selector, code, offset, rpl);
    cpu.adjustSp(release);
    return;
  }
  // Outward: the caller's stack pointer and SS follow the parameters.
  cpu.adjustSp(release);
  const esp = o32 ? cpu.pop32() : cpu.pop16();
  const ss = (o32 ? cpu.pop32() : cpu.pop16()) & 0xffff;
  const ssd = checkStackSegment(cpu, ss, rpl);
  if (offset > code.limit) throw new GuestFault(VEC_GP, 0);
  commitSegment(cpu, SS, ss, ssd);
  enterCode(cpu, selector, code, offset, rpl);
  // A 16-bit return's SP is zero-extended into a 32-bit stack's ESP (SDM vol. 2 RET: ESP <- tempESP).
  cpu.setSp(esp);
  cpu.adjustSp(release);
  nullInaccessibleDataSegments(cpu);
}
