// Interrupts and IRET in protected mode (SDM vol. 3 §6.10-6.12, vol. 2 INT n
// and IRET): interrupt and trap gates in the IDT, 16- and 32-bit, to the
// same privilege level or inward through the stack the TSS names. Task
// gates, virtual-8086 mode and task returns (NT) end the run with an internal
// error until they exist.

import type { Cpu } from './cpu';
import { GuestFault, Unimplemented } from './faults';
import { decodeDescriptor, loadSegmentProtected, readDescriptor } from './segments';
import { CS, DS, ES, FS, GS, IF, NT, RF, SS, TF, VEC_GP, VEC_NP, VM } from './state';

/** Gate types (descriptor type field with S = 0). */
const GATE_TASK = 0x5, GATE_INT16 = 0x6, GATE_TRAP16 = 0x7, GATE_INT32 = 0xe, GATE_TRAP32 = 0xf;

/**
 * Deliver `vector` through the IDT. `software` is INT n/INT3/INTO (the gate's
 * DPL is checked, and the error codes of its faults have EXT clear);
 * `errorCode` is pushed when >= 0.
 */
export function deliverProtected(cpu: Cpu, vector: number, software: boolean, errorCode: number): void {
  if (cpu.flags & VM) throw new Unimplemented(`interrupt ${vector} in virtual-8086 mode`);
  const ext = software ? 0 : 1;
  const idtCode = vector * 8 + 2 + ext;
  if (vector * 8 + 7 > cpu.idtrLimit) throw new GuestFault(VEC_GP, idtCode);
  const entry = (cpu.idtrBase + vector * 8) | 0;
  const lo = cpu.readLinear32(entry);
  const hi = cpu.readLinear32((entry + 4) | 0);
  const type = (hi >>> 8) & 0x1f;
  if (type === GATE_TASK) throw new Unimplemented(`task gate for vector ${vector}`);
  if (type !== GATE_INT16 && type !== GATE_TRAP16 && type !== GATE_INT32 && type !== GATE_TRAP32) {
    throw new GuestFault(VEC_GP, idtCode);
  }
  if (software && ((hi >>> 13) & 3) < cpu.cpl) throw new GuestFault(VEC_GP, idtCode);
  if ((hi & 0x8000) === 0) throw new GuestFault(VEC_NP, idtCode);
  const gate32 = (type & 8) !== 0;
  const selector = lo >>> 16;
  const offset = gate32 ? ((lo & 0xffff) | (hi & 0xffff0000)) >>> 0 : lo & 0xffff;

  if ((selector & 0xfffc) === 0) throw new GuestFault(VEC_GP, ext);
  const [dlo, dhi] = readDescriptor(cpu, selector);
  const target = decodeDescriptor(dlo, dhi);
  const dpl = (target.attributes >> 5) & 3;
  if ((target.attributes & 0x18) !== 0x18 || dpl > cpu.cpl) throw new GuestFault(VEC_GP, (selector & 0xfffc) + ext);
  if ((target.attributes & 0x80) === 0) throw new GuestFault(VEC_NP, (selector & 0xfffc) + ext);
  const conforming = (target.attributes & 0x4) !== 0;
  const newCpl = conforming ? cpu.cpl : dpl;

  const flags = cpu.getFlags();
  const returnCs = cpu.segSel[CS];
  const returnEip = cpu.eip;
  const push = gate32 ? (v: number) => cpu.push32(v) : (v: number) => cpu.push16(v);
  if (newCpl < cpu.cpl) {
    // Inward: the handler's stack comes from the TSS (SDM vol. 3 §6.12.1).
    const oldSs = cpu.segSel[SS];
    const oldEsp = cpu.reg32[4];
    const { ss, esp } = tssStack(cpu, newCpl);
    cpu.cpl = newCpl;
    loadSegmentProtected(cpu, SS, ss);
    cpu.setSp(esp);
    push(oldSs);
    push(oldEsp);
  }
  push(flags);
  push(returnCs);
  push(returnEip);
  if (errorCode >= 0) push(errorCode);

  let newFlags = flags & ~(TF | NT | RF | VM);
  if ((type & 1) === 0) newFlags &= ~IF; // interrupt gates mask interrupts; trap gates do not
  cpu.flags = newFlags;
  cpu.lazy = 0;
  cpu.cpl = newCpl;
  cpu.loadSegmentCache(CS, (selector & ~3) | newCpl, target.base, target.limit, target.attributes);
  if (offset > target.limit) throw new GuestFault(VEC_GP, 0);
  cpu.eip = offset;
}

/** The stack for privilege level `cpl` from the current TSS (32- or 16-bit). */
function tssStack(cpu: Cpu, cpl: number): { ss: number; esp: number } {
  const type = cpu.tr.attributes & 0xf;
  const base = cpu.tr.base | 0;
  if (type === 0x9 || type === 0xb) {
    if (8 + cpl * 8 + 1 > cpu.tr.limit) throw new GuestFault(10, cpu.tr.selector & 0xfffc);
    return { esp: cpu.readLinear32((base + 4 + cpl * 8) | 0), ss: cpu.readLinear16((base + 8 + cpl * 8) | 0) };
  }
  if (type === 0x1 || type === 0x3) {
    if (4 + cpl * 4 + 1 > cpu.tr.limit) throw new GuestFault(10, cpu.tr.selector & 0xfffc);
    return { esp: cpu.readLinear16((base + 2 + cpl * 4) | 0), ss: cpu.readLinear16((base + 4 + cpl * 4) | 0) };
  }
  throw new GuestFault(10, cpu.tr.selector & 0xfffc); // #TS: no usable TSS
}

/** IRET in protected mode, to the same or an outer privilege level. */
export function interruptReturnProtected(cpu: Cpu): void {
  if (cpu.flags & NT) throw new Unimplemented('IRET with NT set (return from a nested task)');
  if (cpu.flags & VM) throw new Unimplemented('IRET in virtual-8086 mode');
  const o32 = cpu.opsize32;
  const pop = o32 ? () => cpu.pop32() : () => cpu.pop16();
  const eip = pop() >>> 0;
  const cs = pop() & 0xffff;
  const popped = pop();
  if (o32 && (popped & VM) !== 0 && cpu.cpl === 0) throw new Unimplemented('IRET to virtual-8086 mode');
  const rpl = cs & 3;
  if ((cs & 0xfffc) === 0 || rpl < cpu.cpl) throw new GuestFault(VEC_GP, cs & 0xfffc);
  const [dlo, dhi] = readDescriptor(cpu, cs);
  const target = decodeDescriptor(dlo, dhi);
  const dpl = (target.attributes >> 5) & 3;
  const conforming = (target.attributes & 0x4) !== 0;
  if ((target.attributes & 0x18) !== 0x18 || (conforming ? dpl > rpl : dpl !== rpl)) {
    throw new GuestFault(VEC_GP, cs & 0xfffc);
  }
  if ((target.attributes & 0x80) === 0) throw new GuestFault(VEC_NP, cs & 0xfffc);
  if (eip > target.limit) throw new GuestFault(VEC_GP, 0);

  // Which flags the return may change (SDM vol. 2 IRET): IOPL only at CPL 0, IF only when CPL <= IOPL.
  const old = cpu.getFlags();
  let changeable = 0x257fd5 & (o32 ? -1 : 0xffff);
  if (cpu.cpl > 0) changeable &= ~0x3000;
  if (cpu.cpl > ((old >> 12) & 3)) changeable &= ~IF;

  if (rpl > cpu.cpl) {
    // Outward: the caller's stack follows the frame.
    const esp = pop();
    const ss = pop() & 0xffff;
    cpu.setFlags((popped & changeable) | (old & ~changeable));
    cpu.loadSegmentCache(CS, cs, target.base, target.limit, target.attributes);
    cpu.cpl = rpl;
    loadSegmentProtected(cpu, SS, ss);
    cpu.setSp(esp);
    // Data segments the outer level may not use become null (SDM vol. 2 IRET).
    for (const seg of [ES, DS, FS, GS]) {
      const attr = cpu.segAttr[seg];
      const codeConforming = (attr & 0xc) === 0xc;
      if ((cpu.segSel[seg] & 0xfffc) !== 0 && !codeConforming && ((attr >> 5) & 3) < rpl) {
        loadSegmentProtected(cpu, seg, 0);
      }
    }
  } else {
    cpu.setFlags((popped & changeable) | (old & ~changeable));
    cpu.loadSegmentCache(CS, cs, target.base, target.limit, target.attributes);
  }
  cpu.eip = eip;
}
