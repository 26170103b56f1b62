// Interrupts and IRET in protected mode (SDM vol. 3 §6.10-6.12, vol. 2 INT n
// and IRET): interrupt and trap gates in the IDT, 16- and 32-bit, to the
// same privilege level or inward through the stack the TSS names; task gates
// and IRET with NT go to ./tasks.ts; leaving and re-entering virtual-8086
// mode uses ./vm86.ts.

import type { Cpu } from './cpu';
import { GuestFault } from './faults';
import { pushOnNewStack, tssStack } from './farTransfers';
import {
  checkReturnCodeSegment, checkStackSegment, commitSegment, dplOf, fetchDescriptor, nullInaccessibleDataSegments,
  readSystem32, selectorFault,
} from './segments';
import { interruptTask, returnFromTask } from './tasks';
import { interruptReturnVm86, nullDataSegmentsLeavingVm86, returnToVm86, vm86FrameHead } from './vm86';
import { ATTR_P, CS, ESP, IF, NT, RF, SS, TF, VEC_GP, VEC_NP, VEC_TS, VM } from './state';

/** Gate types (descriptor type field with S = 0). */
const GATE_TASK = 0x5, GATE_INT16 = 0x6, GATE_TRAP16 = 0x7, GATE_INT32 = 0xe, GATE_TRAP32 = 0xf;

/**
 * Deliver `vector` through the IDT. `software` is INT n/INT3/INTO (the gate's
 * DPL is checked, and the error codes of its faults have EXT clear);
 * `errorCode` is pushed when >= 0. Checks (SDM vol. 2 INT n, vol. 3 §6.12):
 * the gate's IDT entry as #GP(vector*8+2+EXT) (#NP when not present), the
 * handler's code segment as #GP(selector+EXT)/#NP, and for an inward
 * transfer the TSS stack as #TS(SS+EXT)/#SS; the frame is written onto the
 * new stack before SS, CS and the CPL change.
 */
export function deliverProtected(cpu: Cpu, vector: number, software: boolean, errorCode: number): void {
  const ext = software ? 0 : 1;
  const idtCode = vector * 8 + 2 + ext;
  if (vector * 8 + 7 > cpu.idtrLimit) throw new GuestFault(VEC_GP, idtCode);
  const entry = (cpu.idtrBase + vector * 8) | 0;
  const lo = readSystem32(cpu, entry);
  const hi = readSystem32(cpu, (entry + 4) | 0);
  const type = (hi >>> 8) & 0x1f;
  if (type !== GATE_TASK && type !== GATE_INT16 && type !== GATE_TRAP16 && type !== GATE_INT32 && type !== GATE_TRAP32) {
    throw new GuestFault(VEC_GP, idtCode);
  }
  if (software && ((hi >>> 13) & 3) < cpu.cpl) throw new GuestFault(VEC_GP, idtCode);
  if ((hi & 0x8000) === 0) throw new GuestFault(VEC_NP, idtCode);
  if (type === GATE_TASK) {
    interruptTask(cpu, lo, ext, errorCode);
    return;
  }
  const gate32 = (type & 8) !== 0;
  const selector = lo >>> 16;
  const offset = gate32 ? ((lo & 0xffff) | (hi & 0xffff0000)) >>> 0 : lo & 0xffff;

  if ((selector & 0xfffc) === 0) throw new GuestFault(VEC_GP, ext);
  const target = fetchDescriptor(cpu, selector, VEC_GP, ext);
  const dpl = dplOf(target);
  if ((target.attributes & 0x18) !== 0x18 || dpl > cpu.cpl) throw selectorFault(VEC_GP, selector, ext);
  if ((target.attributes & ATTR_P) === 0) throw selectorFault(VEC_NP, selector, ext);
  const conforming = (target.attributes & 0x4) !== 0;
  // From vm86 the handler must be ring-0 non-conforming code (SDM vol. 2 INT n, INTERRUPT-FROM-VIRTUAL-8086-MODE).
  const fromVm86 = (cpu.flags & VM) !== 0;
  if (fromVm86 && (conforming || dpl !== 0)) throw selectorFault(VEC_GP, selector, ext);
  const newCpl = conforming ? cpu.cpl : dpl;
  const flags = cpu.getFlags();
  const returnCs = cpu.segSel[CS];
  const returnEip = cpu.eip;

  if (newCpl < cpu.cpl) {
    // Inward: the handler's stack comes from the TSS (SDM vol. 3 §6.12.1).
    const { ss, esp } = tssStack(cpu, newCpl, ext);
    const ssd = checkStackSegment(cpu, ss, newCpl, VEC_TS, ext);
    if (offset > target.limit) throw new GuestFault(VEC_GP, ext);
    // From vm86 the frame also holds GS FS DS ES (./vm86.ts).
    const frame = fromVm86 ? vm86FrameHead(cpu) : [cpu.segSel[SS], cpu.reg32[ESP]];
    frame.push(flags, returnCs, returnEip);
    if (errorCode >= 0) frame.push(errorCode);
    const newEsp = pushOnNewStack(cpu, ss, ssd, esp, gate32 ? 4 : 2, frame, newCpl, ext);
    cpu.cpl = newCpl;
    commitSegment(cpu, SS, ss, ssd);
    cpu.reg32[ESP] = newEsp;
    if (fromVm86) nullDataSegmentsLeavingVm86(cpu);
  } else {
    if (offset > target.limit) throw new GuestFault(VEC_GP, ext);
    const push = gate32 ? (v: number) => cpu.push32(v) : (v: number) => cpu.push16(v);
    push(flags);
    push(returnCs);
    push(returnEip);
    if (errorCode >= 0) push(errorCode);
  }

  let newFlags = flags & ~(TF | NT | RF | VM);
  if ((type & 1) === 0) newFlags &= ~IF; // interrupt gates mask interrupts; trap gates do not
  cpu.flags = newFlags;
  cpu.lazy = 0;
  cpu.cpl = newCpl;
  commitSegment(cpu, CS, (selector & 0xfffc) | newCpl, target);
  cpu.eip = offset;
}

/** IRET in protected mode (SDM vol. 2 IRET), to the same or an outer privilege level. */
export function interruptReturnProtected(cpu: Cpu): void {
  if (cpu.flags & VM) {
    interruptReturnVm86(cpu);
    return;
  }
  if (cpu.flags & NT) {
    returnFromTask(cpu); // back along the previous-task link (./tasks.ts)
    return;
  }
  const o32 = cpu.opsize32;
  const pop = o32 ? () => cpu.pop32() : () => cpu.pop16();
  const eip = pop() >>> 0;
  const cs = pop() & 0xffff;
  const popped = pop();
  if (o32 && (popped & VM) !== 0 && cpu.cpl === 0) {
    returnToVm86(cpu, eip, cs, popped);
    return;
  }
  const target = checkReturnCodeSegment(cpu, cs);
  const rpl = cs & 3;

  // Which flags the return may change (SDM vol. 2 IRET): IOPL only at CPL 0, IF only when CPL <= IOPL.
  const old = cpu.getFlags();
  let changeable = 0x257fd5 & (o32 ? -1 : 0xffff);
  if (cpu.cpl > 0) changeable &= ~0x3000;
  if (cpu.cpl > ((old >> 12) & 3)) changeable &= ~IF;

  if (rpl > cpu.cpl) {
    // Outward: the interrupted stack follows the frame.
    const esp = pop();
    const ss = pop() & 0xffff;
    const ssd = checkStackSegment(cpu, ss, rpl);
    if (eip > target.limit) throw new GuestFault(VEC_GP, 0);
    commitSegment(cpu, SS, ss, ssd);
    cpu.setFlags((popped & changeable) | (old & ~changeable));
    cpu.cpl = rpl;
    commitSegment(cpu, CS, cs, target);
    cpu.setSp(esp); // a 16-bit IRET's SP zero-extended into a 32-bit stack's ESP, as RET does
    nullInaccessibleDataSegments(cpu);
  } else {
    if (eip > target.limit) throw new GuestFault(VEC_GP, 0);
    cpu.setFlags((popped & changeable) | (old & ~changeable));
    commitSegment(cpu, CS, cs, target);
  }
  cpu.eip = eip;
}
