// Interrupt and exception delivery: INT n, exceptions with the #DF and
// triple-fault escalation (SDM vol. 3 §6.15), and the transfer through the
// real-mode IVT. The run loop (./runLoop.ts) decides when; this file does the delivery.
// Cpu.deliverException is the entry for exceptions (a method, so a test can
// watch every delivery).

import type { Cpu } from './cpu';
import { GuestFault, TRIPLE_FAULT } from './faults';
import { deliverProtected } from './protectedInterrupts';
import { AC, CS, IF, RF, TF, VEC_DF, VEC_GP } from './state';

/** Interrupt kinds, for delivery: they differ in what is pushed and in privilege checks. */
export const INT_EXTERNAL = 0, INT_EXCEPTION = 1, INT_SOFTWARE = 2;

/** INT n / INT3 / INTO: a software interrupt; EIP already points past the instruction. */
export function softwareInterrupt(cpu: Cpu, vector: number): void {
  if (cpu.debugArmed && cpu.debug.softwareInterrupts[vector] !== 0 && !cpu.debug.skipping) {
    // Stop before the INT: it runs when the guest resumes.
    cpu.eip = cpu.startEip;
    cpu.reg32[4] = cpu.startEsp;
    cpu.sliceLeft++;
    cpu.debug.skipAt = (cpu.segBase[CS] + cpu.startEip) >>> 0;
    cpu.debugStop({ kind: 'software-interrupt', vector });
    return;
  }
  cpu.suppressTrap = true;
  deliverInterrupt(cpu, vector, INT_SOFTWARE, -1);
}

/**
 * Deliver an exception. A fault while delivering one becomes #DF (SDM vol. 3
 * §6.15, table 6-5); a fault while delivering #DF shuts the processor down.
 */
export function deliverException(cpu: Cpu, vector: number, errorCode: number, intercepted: boolean): void {
  if (cpu.debugArmed && !intercepted && cpu.debug.exceptions[vector] !== 0 && cpu.deliveringException < 0) {
    // Stop with the state of the fault (trap: after the instruction); deliver on resume.
    cpu.debug.pendingException = { vector, errorCode };
    cpu.debugStop({ kind: 'exception', vector, errorCode });
    return;
  }
  const first = cpu.deliveringException;
  if (first === VEC_DF) throw TRIPLE_FAULT;
  if (first >= 0) {
    const firstContributory = isContributory(first);
    const secondContributory = isContributory(vector);
    if ((firstContributory && secondContributory) || (first === 14 && (secondContributory || vector === 14))) {
      vector = VEC_DF;
      errorCode = 0;
    }
  }
  cpu.deliveringException = vector;
  cpu.suppressTrap = true;
  try {
    deliverInterrupt(cpu, vector, INT_EXCEPTION, errorCode);
  } catch (e) {
    if (!(e instanceof GuestFault)) throw e;
    cpu.deliverException(e.vector, e.errorCode);
  } finally {
    cpu.deliveringException = first;
  }
}

/** Contributory exceptions (SDM vol. 3 table 6-4): #DE, #TS, #NP, #SS, #GP. */
function isContributory(v: number): boolean {
  return v === 0 || (v >= 10 && v <= 13);
}

/** Transfer control through the IVT (real mode) or the IDT (protected mode: ./protectedInterrupts.ts). */
export function deliverInterrupt(cpu: Cpu, vector: number, kind: number, errorCode: number): void {
  if (cpu.protectedMode) {
    deliverProtected(cpu, vector, kind === INT_SOFTWARE, errorCode);
    return;
  }
  // Real mode pushes no error code.
  // Real mode (SDM vol. 3 §20.1.4): the IVT entry must lie within the IDTR limit.
  if (vector * 4 + 3 > cpu.idtrLimit) throw new GuestFault(VEC_GP, vector * 8 + 2);
  const entry = (cpu.idtrBase + vector * 4) | 0;
  const ip = cpu.readLinear16(entry);
  const cs = cpu.readLinear16((entry + 2) | 0);
  cpu.push16(cpu.getFlags());
  cpu.push16(cpu.segSel[CS]);
  cpu.push16(cpu.eip);
  cpu.flags = cpu.getFlags() & ~(IF | TF | AC | RF);
  cpu.lazy = 0;
  cpu.loadSegmentReal(CS, cs);
  cpu.eip = ip;
}
