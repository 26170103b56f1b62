// Hardware task switching (SDM vol. 3 ch. 7; vol. 2 JMP, CALL, INT n, IRET):
// JMP and CALL to a TSS or a task gate, interrupts and exceptions through
// task gates, IRET with NT set back along the previous-task link; 16- and
// 32-bit TSSs, the busy bits, NT and the link, the LDT and CR3 of the new
// task, CR0.TS, and the T bit (#DB with DR6.BT on entry to the new task).
//
// Order (SDM vol. 3 §7.3, as QEMU and Bochs do it): the checks of the new TSS
// descriptor (faults in the old task), then its image is read, the old task
// saved, busy bits, link and TR updated, and the new task's registers
// loaded — from here on a fault belongs to the new task (table 7-1): its
// EIP and ESP become the instruction's start the run loop restores on a
// fault. The LDT and segment registers are checked last, as #TS/#NP/#SS.
// A task whose EFLAGS has VM runs in virtual-8086 mode (./vm86.ts).

import type { Cpu } from './cpu';
import { loadVm86Segment } from './vm86';
import { GuestFault } from './faults';
import {
  Descriptor, checkStackSegment, commitSegment, dplOf, fetchDescriptor, loadDataSegment, readSystem16, readSystem32,
  selectorFault, writeSystem8,
} from './segments';
import { loadPdptesOrFault } from './paePaging';
import {
  ATTR_P, ATTR_S, ATTR_TYPE_CODE, ATTR_TYPE_EXPAND_DOWN, ATTR_UNUSABLE, CR0_TS, CR4_PAE, CS, DS, ES, ESP, FS, GS, NT, SS,
  VEC_DB, VEC_GP, VEC_NP, VEC_TS, VM,
} from './state';

/** What started a task switch: it decides the busy bits, NT and the back link (SDM vol. 3 table 7-2). */
export type TaskSwitchKind = 'jmp' | 'call' | 'interrupt' | 'iret';

const TSS16_AVAILABLE = 0x1, TSS16_BUSY = 0x3, TASK_GATE = 0x5, TSS32_AVAILABLE = 0x9, TSS32_BUSY = 0xb;
const TSS_BUSY_BIT = 0x2;
/** The smallest limits of a 32- and a 16-bit TSS (SDM vol. 3 §7.2.2). */
const TSS32_MIN_LIMIT = 0x67, TSS16_MIN_LIMIT = 0x2b;
/** DR6.BT: the #DB came from the T bit of the new task's TSS. */
const DR6_BT = 1 << 15;

/** A task's state as a TSS holds it. */
interface TaskImage {
  eip: number;
  eflags: number;
  regs: number[];
  /** ES CS SS DS FS GS, in encoding order. */
  selectors: number[];
  ldt: number;
  cr3: number;
  trap: boolean;
}

/**
 * A JMP or CALL to `selector`, whose descriptor `d` is a TSS or a task gate
 * (SDM vol. 2 JMP/CALL, TASK-GATE and TASK-STATE-SEGMENT): the gate or TSS
 * DPL must be at least CPL and RPL (#GP), present (#NP); a gate's TSS
 * selector must name the GDT, an available TSS (#GP(TSS)).
 */
export function switchTask(cpu: Cpu, selector: number, d: Descriptor, kind: 'jmp' | 'call'): void {
  const dpl = dplOf(d);
  if (dpl < cpu.cpl || dpl < (selector & 3)) throw selectorFault(VEC_GP, selector);
  let tssSelector = selector;
  let tss = d;
  if ((d.attributes & 0xf) === TASK_GATE) {
    if ((d.attributes & ATTR_P) === 0) throw selectorFault(VEC_NP, selector);
    tssSelector = d.lo >>> 16;
    tss = gdtTss(cpu, tssSelector, VEC_GP, 0);
  }
  const type = tss.attributes & 0x1f;
  if (type !== TSS16_AVAILABLE && type !== TSS32_AVAILABLE) throw selectorFault(VEC_GP, tssSelector);
  if ((tss.attributes & ATTR_P) === 0) throw selectorFault(VEC_NP, tssSelector);
  performSwitch(cpu, tssSelector, tss, kind, 0);
  checkEip(cpu, 0);
}

/**
 * An interrupt or exception through a task gate in the IDT (SDM vol. 2 INT n,
 * TASK-GATE): the gate's TSS selector must name an available TSS in the GDT
 * (#GP(TSS+EXT)), present (#NP); the error code, if any, goes on the new
 * task's stack.
 */
export function interruptTask(cpu: Cpu, gateLo: number, ext: number, errorCode: number): void {
  const tssSelector = gateLo >>> 16;
  const tss = gdtTss(cpu, tssSelector, VEC_GP, ext);
  const type = tss.attributes & 0x1f;
  if (type !== TSS16_AVAILABLE && type !== TSS32_AVAILABLE) throw selectorFault(VEC_GP, tssSelector, ext);
  if ((tss.attributes & ATTR_P) === 0) throw selectorFault(VEC_NP, tssSelector, ext);
  performSwitch(cpu, tssSelector, tss, 'interrupt', ext);
  if (errorCode >= 0) {
    if (tss.attributes & 0x8) cpu.push32(errorCode);
    else cpu.push16(errorCode);
  }
  checkEip(cpu, ext);
}

/**
 * IRET with NT set (SDM vol. 2 IRET, TASK-RETURN): back to the task the
 * current TSS's link names, which must be a busy TSS in the GDT (#TS(TSS)),
 * present (#NP).
 */
export function returnFromTask(cpu: Cpu): void {
  const link = readSystem16(cpu, cpu.tr.base | 0);
  const tss = gdtTss(cpu, link, VEC_TS, 0);
  const type = tss.attributes & 0x1f;
  if (type !== TSS16_BUSY && type !== TSS32_BUSY) throw selectorFault(VEC_TS, link);
  if ((tss.attributes & ATTR_P) === 0) throw selectorFault(VEC_NP, link);
  performSwitch(cpu, link, tss, 'iret', 0);
  checkEip(cpu, 0);
}

/** The descriptor of a TSS selector, which must name the GDT: else `vector`(selector). */
function gdtTss(cpu: Cpu, selector: number, vector: number, ext: number): Descriptor {
  if (selector & 4) throw selectorFault(vector, selector, ext);
  const d = fetchDescriptor(cpu, selector, vector, ext);
  if (d.attributes & ATTR_S) throw selectorFault(vector, selector, ext);
  return d;
}

/** The new task's EIP must lie within its code segment: #GP(EXT) in the new task. */
function checkEip(cpu: Cpu, ext: number): void {
  if (cpu.eip > cpu.segLimit[CS]) throw new GuestFault(VEC_GP, ext);
}

/** Read a task's state from the TSS at `base` (32-bit or 16-bit layout). */
function readTaskImage(cpu: Cpu, base: number, bits32: boolean): TaskImage {
  if (bits32) {
    const r32 = (off: number): number => readSystem32(cpu, (base + off) | 0);
    const r16 = (off: number): number => readSystem16(cpu, (base + off) | 0);
    return {
      cr3: r32(0x1c), eip: r32(0x20) >>> 0, eflags: r32(0x24),
      regs: [0, 1, 2, 3, 4, 5, 6, 7].map((i) => r32(0x28 + i * 4)),
      selectors: [0, 1, 2, 3, 4, 5].map((i) => r16(0x48 + i * 4)),
      ldt: r16(0x60), trap: (r16(0x64) & 1) !== 0,
    };
  }
  const r16 = (off: number): number => readSystem16(cpu, (base + off) | 0);
  // A 16-bit TSS holds the low words; the high words read as FFFFh (as QEMU and Bochs load them); no FS, GS or CR3.
  return {
    cr3: cpu.cr3, eip: r16(0x0e), eflags: r16(0x10),
    regs: [0, 1, 2, 3, 4, 5, 6, 7].map((i) => r16(0x12 + i * 2) | 0xffff0000),
    selectors: [r16(0x22), r16(0x24), r16(0x26), r16(0x28), 0, 0],
    ldt: r16(0x2a), trap: false,
  };
}

/** Save the current task into its TSS (the dynamic fields only: SDM vol. 3 §7.2.1). */
function saveTask(cpu: Cpu, eflags: number): void {
  const base = cpu.tr.base | 0;
  const w32 = (off: number, v: number): void => writeSystem32(cpu, (base + off) | 0, v);
  const w16 = (off: number, v: number): void => writeSystem16(cpu, (base + off) | 0, v);
  if (cpu.tr.attributes & 0x8) {
    w32(0x20, cpu.eip);
    w32(0x24, eflags);
    for (let i = 0; i < 8; i++) w32(0x28 + i * 4, cpu.reg32[i]);
    for (let s = 0; s < 6; s++) w16(0x48 + s * 4, cpu.segSel[s]);
  } else {
    w16(0x0e, cpu.eip);
    w16(0x10, eflags);
    for (let i = 0; i < 8; i++) w16(0x12 + i * 2, cpu.reg32[i]);
    for (let s = 0; s < 4; s++) w16(0x22 + s * 2, cpu.segSel[s]);
  }
}

function writeSystem32(cpu: Cpu, linear: number, value: number): void {
  writeSystem16(cpu, linear, value);
  writeSystem16(cpu, (linear + 2) | 0, value >>> 16);
}

function writeSystem16(cpu: Cpu, linear: number, value: number): void {
  writeSystem8(cpu, linear, value & 0xff);
  writeSystem8(cpu, (linear + 1) | 0, (value >>> 8) & 0xff);
}

/** Set or clear the busy bit of the TSS descriptor `selector` names in the GDT. */
function setBusy(cpu: Cpu, selector: number, busy: boolean): void {
  const address = (cpu.gdtrBase + (selector & 0xfff8) + 5) | 0;
  const access = readSystem16(cpu, address) & 0xff;
  writeSystem8(cpu, address, busy ? access | TSS_BUSY_BIT : access & ~TSS_BUSY_BIT);
}

/** SWITCH-TASKS (SDM vol. 3 §7.3, steps 3-13), after the checks of the instruction or gate. */
function performSwitch(cpu: Cpu, selector: number, tss: Descriptor, kind: TaskSwitchKind, ext: number): void {
  const bits32 = (tss.attributes & 0x8) !== 0;
  if (tss.limit < (bits32 ? TSS32_MIN_LIMIT : TSS16_MIN_LIMIT)) throw selectorFault(VEC_TS, selector, ext);
  const oldLimit = cpu.tr.attributes & 0x8 ? TSS32_MIN_LIMIT : TSS16_MIN_LIMIT;
  if (cpu.tr.limit < oldLimit) throw selectorFault(VEC_TS, cpu.tr.selector, ext);
  const image = readTaskImage(cpu, tss.base | 0, bits32);

  // The old task: busy cleared by JMP and IRET, NT cleared in its saved EFLAGS by IRET.
  const oldSelector = cpu.tr.selector;
  let oldFlags = cpu.getFlags();
  if (kind === 'iret') oldFlags &= ~NT;
  saveTask(cpu, oldFlags);
  if (kind === 'jmp' || kind === 'iret') setBusy(cpu, oldSelector, false);
  // The new task: linked back and nested for CALL and interrupts; busy unless an IRET (already busy).
  let newFlags = image.eflags;
  if (kind === 'call' || kind === 'interrupt') {
    writeSystem16(cpu, tss.base | 0, oldSelector);
    newFlags |= NT;
  }
  if (kind !== 'iret') setBusy(cpu, selector, true);
  cpu.tr = { selector, base: tss.base, limit: tss.limit, attributes: tss.attributes | TSS_BUSY_BIT };
  cpu.cr0 |= CR0_TS;

  // Load the new task's registers. From here on faults belong to the new task.
  if (bits32 && cpu.cr3 !== image.cr3 && (cpu.cr0 | 0) < 0) {
    cpu.cr3 = image.cr3;
    if (cpu.cr4 & CR4_PAE) loadPdptesOrFault(cpu, cpu.cr3); // PAE paging: the new task's PDPTEs (SDM vol. 3 §4.4.1)
    cpu.flushTlbNonGlobal();
    cpu.invalidateFetch();
  }
  cpu.eip = image.eip;
  cpu.setFlags(newFlags);
  for (let i = 0; i < 8; i++) cpu.reg32[i] = image.regs[i];
  // The run loop backs a faulting instruction out to these: the new task's.
  cpu.startEip = cpu.eip;
  cpu.startEsp = cpu.reg32[ESP];
  for (let s = 0; s < 6; s++) cpu.loadSegmentCache(s, image.selectors[s], 0, 0, ATTR_UNUSABLE);
  loadTaskLdt(cpu, image.ldt);
  if (image.eflags & VM) {
    // A virtual-8086 task: 8086-style segments at CPL 3.
    cpu.cpl = 3;
    for (let s = 0; s < 6; s++) loadVm86Segment(cpu, s, image.selectors[s]);
  } else {
    cpu.cpl = image.selectors[CS] & 3;
    loadTaskSegments(cpu, image);
  }
  if (image.trap) {
    cpu.dr[6] |= DR6_BT;
    throw new GuestFault(VEC_DB, -1);
  }
}

/** Load the new task's LDTR: null leaves it unusable; else an LDT descriptor in the GDT, present (#TS(LDT) otherwise). */
function loadTaskLdt(cpu: Cpu, ldt: number): void {
  if ((ldt & 0xfffc) === 0) {
    cpu.ldtr = { selector: ldt, base: 0, limit: 0, attributes: ATTR_UNUSABLE };
  } else {
    if (ldt & 4) throw selectorFault(VEC_TS, ldt);
    const d = fetchDescriptor(cpu, ldt, VEC_TS);
    if ((d.attributes & 0x1f) !== 0x02 || (d.attributes & ATTR_P) === 0) throw selectorFault(VEC_TS, ldt);
    cpu.ldtr = { selector: ldt, base: d.base, limit: d.limit, attributes: d.attributes };
  }
}

/**
 * Load the segment registers of the new task after its LDT, in QEMU's order
 * (CS, SS, ES, DS, FS, GS), with the faults of SDM vol. 3 table 7-1:
 * #TS(selector) for an invalid one, #NP (#SS for SS) when not present.
 */
function loadTaskSegments(cpu: Cpu, image: TaskImage): void {
  const cpl = cpu.cpl;
  const cs = image.selectors[CS];
  if ((cs & 0xfffc) === 0) throw new GuestFault(VEC_TS, 0);
  const code = fetchDescriptor(cpu, cs, VEC_TS);
  const dpl = dplOf(code);
  const isCode = (code.attributes & (ATTR_S | ATTR_TYPE_CODE)) === (ATTR_S | ATTR_TYPE_CODE);
  if (!isCode || ((code.attributes & ATTR_TYPE_EXPAND_DOWN) !== 0 ? dpl > cpl : dpl !== cpl)) throw selectorFault(VEC_TS, cs);
  if ((code.attributes & ATTR_P) === 0) throw selectorFault(VEC_NP, cs);
  commitSegment(cpu, CS, cs, code);
  const ss = image.selectors[SS];
  commitSegment(cpu, SS, ss, checkStackSegment(cpu, ss, cpl, VEC_TS));
  for (const seg of [ES, DS, FS, GS]) loadDataSegment(cpu, seg, image.selectors[seg], VEC_TS);
}
