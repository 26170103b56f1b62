// Virtual-8086 mode (SDM vol. 3 ch. 20; vol. 2 IRET, INT n): entry by IRET
// from CPL 0 with VM in the popped EFLAGS (and by a task switch, ./tasks.ts),
// 8086-style segments at CPL 3, IRET within vm86 (IOPL 3; #GP(0) to the
// monitor below), and the exit through the IDT to ring 0 with the vm86
// frame (GS FS DS ES SS ESP EFLAGS CS EIP), the data segment registers
// nulled. The IOPL-sensitive instructions (CLI STI PUSHF POPF INT n IRET) ask
// `requireIopl3` where they are; IN/OUT go by the TSS's I/O permission
// bitmap (ioBitmapAllows in ./segments.ts). Not implemented yet: CR4.VME/PVI
// (VIF/VIP, the interrupt redirection bitmap).

import type { Cpu } from './cpu';
import { GuestFault } from './faults';
import { ATTR_UNUSABLE, CS, DS, ES, ESP, FS, GS, SS, VEC_GP, VIF, VIP, VM } from './state';

/** A vm86 segment's hidden cache: present, DPL 3, read/write data, accessed (the VMX guest-state form). */
export const ATTR_VM86 = 0xf3;

/** Load a segment register as virtual-8086 mode does: base = selector * 16, limit FFFFh. */
export function loadVm86Segment(cpu: Cpu, seg: number, selector: number): void {
  selector &= 0xffff;
  cpu.loadSegmentCache(seg, selector, selector << 4, 0xffff, ATTR_VM86);
}

/** IOPL-sensitive instructions in vm86 run only at IOPL 3; else #GP(0) for the monitor. */
export function requireIopl3(cpu: Cpu): void {
  if (((cpu.flags >> 12) & 3) !== 3) throw new GuestFault(VEC_GP, 0);
}

/**
 * IRET from CPL 0 to vm86 (SDM vol. 2 IRET, RETURN-TO-VIRTUAL-8086-MODE):
 * EIP, CS and EFLAGS are popped already; ESP, SS, ES, DS, FS and GS follow
 * as dwords. EIP beyond FFFFh is #GP(0).
 */
export function returnToVm86(cpu: Cpu, eip: number, cs: number, eflags: number): void {
  const esp = cpu.pop32();
  const ss = cpu.pop32();
  const es = cpu.pop32();
  const ds = cpu.pop32();
  const fs = cpu.pop32();
  const gs = cpu.pop32();
  if (eip > 0xffff) throw new GuestFault(VEC_GP, 0);
  cpu.setFlags(eflags);
  cpu.cpl = 3;
  loadVm86Segment(cpu, CS, cs);
  loadVm86Segment(cpu, SS, ss);
  loadVm86Segment(cpu, ES, es);
  loadVm86Segment(cpu, DS, ds);
  loadVm86Segment(cpu, FS, fs);
  loadVm86Segment(cpu, GS, gs);
  cpu.reg32[ESP] = esp;
  cpu.eip = eip;
}

/**
 * IRET inside vm86 at IOPL 3 (below it, #GP(0)): pops EIP, CS and EFLAGS at
 * the operand size, as in real mode, except that IOPL, VM, VIF and VIP keep
 * their values; EIP beyond the CS limit is #GP(0).
 */
export function interruptReturnVm86(cpu: Cpu): void {
  requireIopl3(cpu);
  const o32 = cpu.opsize32;
  const eip = o32 ? cpu.pop32() >>> 0 : cpu.pop16();
  const cs = o32 ? cpu.pop32() & 0xffff : cpu.pop16();
  const popped = o32 ? cpu.pop32() : cpu.pop16();
  if (eip > 0xffff) throw new GuestFault(VEC_GP, 0);
  const old = cpu.getFlags();
  const keep = 0x3000 | VM | VIF | VIP | (o32 ? 0 : ~0xffff);
  cpu.setFlags((popped & 0x257fd5 & ~keep) | (old & keep));
  loadVm86Segment(cpu, CS, cs);
  cpu.eip = eip;
}

/** The vm86 part of an interrupt frame, pushed first (highest): GS FS DS ES, then SS ESP. */
export function vm86FrameHead(cpu: Cpu): number[] {
  return [cpu.segSel[GS], cpu.segSel[FS], cpu.segSel[DS], cpu.segSel[ES], cpu.segSel[SS], cpu.reg32[ESP]];
}

/** After an interrupt left vm86: DS, ES, FS and GS hold null (SDM vol. 2 INT n, INTERRUPT-FROM-VIRTUAL-8086-MODE). */
export function nullDataSegmentsLeavingVm86(cpu: Cpu): void {
  for (const seg of [ES, DS, FS, GS]) cpu.loadSegmentCache(seg, 0, 0, 0, ATTR_UNUSABLE);
}
