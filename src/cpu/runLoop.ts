// The run loop of the core: slices of instructions between interrupt checks,
// the single-step trap, and what ends an instruction early (the signals of
// ./faults.ts, caught here). `Cpu.run` and `Cpu.stepOnce` are the entries;
// the counters and the stop reason they keep are fields of the Cpu, which
// its methods (endSlice, requestStop, debugStop ...) also change mid-slice.

import type { Cpu } from './cpu';
import { stepWithDebug } from './debug';
import { GuestFault, InternalErrorInfo, RESTART_INSTRUCTION, TRIPLE_FAULT, Unimplemented } from './faults';
import { deliverInterrupt, INT_EXTERNAL } from './interrupts';
import { CS, IF, TF, VEC_DB, VEC_NMI } from './state';

/** Why `Cpu.run` returned. */
export const enum StopReason {
  /** The instruction budget was used up (or the slice was ended early by `endSlice`). */
  Budget = 0,
  /** HLT, and no interrupt can be taken now. */
  Halt = 1,
  /** `requestStop` was called (by a device, the VMM or the debugger). */
  Requested = 2,
  /** Triple fault. */
  Shutdown = 3,
  /** An instruction or feature the core does not implement; see `internalError`. */
  InternalError = 4,
  /** A guest-debug event (breakpoint, intercept); see `debug.event`. */
  Debug = 5,
}

/**
 * Run until `budget` instructions have retired or something stops the CPU.
 * Interrupts are taken at instruction boundaries between slices.
 */
export function run(cpu: Cpu, budget: number): StopReason {
  cpu.stopReason = StopReason.Budget;
  if (cpu.debug.pendingException) {
    deliverPendingException(cpu);
    if (cpu.stopReason !== StopReason.Budget) return cpu.stopReason;
  }
  let left = budget;
  while (left > 0) {
    if (cpu.nmiPending && !cpu.nmiBlocked && cpu.shadowAt !== cpu.retired()) {
      cpu.halted = false;
      acceptNmi(cpu);
      if (cpu.stopReason !== StopReason.Budget) return cpu.stopReason;
    }
    if (cpu.intr && (cpu.flags & IF) !== 0) {
      if (cpu.shadowAt !== cpu.retired()) {
        cpu.halted = false;
        acceptExternalInterrupt(cpu);
        if (cpu.stopReason !== StopReason.Budget) return cpu.stopReason;
      } else {
        // Inside an interrupt shadow: run exactly one more instruction, then look again.
        left -= runSlice(cpu, 1);
        if (cpu.stopReason !== StopReason.Budget) return cpu.stopReason;
        continue;
      }
    }
    if (cpu.halted) return StopReason.Halt;
    left -= runSlice(cpu, (cpu.flags & TF) !== 0 ? 1 : left);
    if (cpu.stopReason !== StopReason.Budget) return cpu.stopReason;
  }
  return StopReason.Budget;
}

/**
 * Execute exactly one instruction, or take one pending interrupt when
 * `allowInterrupts` (the handler's first instruction is then the next one).
 * A breakpoint on the instruction stepped is not reported: stepping is
 * what the debugger asked for.
 */
export function stepOnce(cpu: Cpu, allowInterrupts: boolean): StopReason {
  cpu.stopReason = StopReason.Budget;
  if (cpu.debug.pendingException) {
    deliverPendingException(cpu);
    return cpu.stopReason;
  }
  if (allowInterrupts && cpu.nmiPending && !cpu.nmiBlocked && cpu.shadowAt !== cpu.retired()) {
    cpu.halted = false;
    acceptNmi(cpu);
    return cpu.stopReason;
  }
  if (allowInterrupts && cpu.intr && (cpu.flags & IF) !== 0 && cpu.shadowAt !== cpu.retired()) {
    cpu.halted = false;
    acceptExternalInterrupt(cpu);
    return cpu.stopReason;
  }
  if (cpu.halted) return StopReason.Halt;
  cpu.debug.skipAt = (cpu.segBase[CS] + cpu.eip) >>> 0;
  runSlice(cpu, 1);
  return cpu.stopReason;
}

/** Execute up to `n` instructions; returns how many were consumed. */
function runSlice(cpu: Cpu, n: number): number {
  cpu.sliceBudget = cpu.sliceLeft = n;
  // Control registers and the memory map may have changed between slices.
  cpu.invalidateFetch();
  const trap = (cpu.flags & TF) !== 0;
  try {
    // The guest-debug loop: breakpoints or mode changes armed, or an instruction to resume past
    // an intercept (skipAt) — after which the slice just stays in this loop.
    if (cpu.debugArmed && (cpu.debugStepChecks || cpu.debug.skipAt >= 0)) {
      while (cpu.sliceLeft > 0) {
        cpu.sliceLeft--;
        const eip = cpu.eip;
        // The quiet range is empty at the start of every slice (invalidateFetch above), so the
        // first instruction, the one a stop may have left in debug.skipAt, always takes the debug step.
        if (eip <= cpu.quietHi && eip >= cpu.quietLo) cpu.step();
        else stepWithDebug(cpu);
      }
    } else {
      while (cpu.sliceLeft > 0) {
        cpu.sliceLeft--;
        cpu.step();
      }
    }
    if (trap && !cpu.suppressTrap) singleStepTrap(cpu);
  } catch (e) {
    handleThrow(cpu, e);
  }
  cpu.suppressTrap = false;
  const used = cpu.sliceBudget - cpu.sliceLeft;
  cpu.instructionBase += used;
  cpu.sliceBudget = cpu.sliceLeft = 0;
  return Math.max(used, 1);
}

function singleStepTrap(cpu: Cpu): void {
  cpu.dr[6] |= 0x4000; // BS
  cpu.startEip = cpu.eip;
  cpu.startEsp = cpu.reg32[4];
  cpu.deliverException(VEC_DB, -1);
}

function handleThrow(cpu: Cpu, e: unknown): void {
  cpu.resetPrefixes();
  if (e instanceof GuestFault) {
    cpu.eip = cpu.startEip;
    cpu.reg32[4] = cpu.startEsp;
    try {
      cpu.deliverException(e.vector, e.errorCode);
    } catch (e2) {
      handleThrow(cpu, e2);
    }
  } else if (e === RESTART_INSTRUCTION) {
    cpu.eip = cpu.startEip;
    cpu.reg32[4] = cpu.startEsp;
    cpu.stopReason = StopReason.Requested;
  } else if (e instanceof Unimplemented) {
    cpu.eip = cpu.startEip;
    cpu.reg32[4] = cpu.startEsp;
    cpu.internalError = describeInternalError(cpu, e.what);
    cpu.stopReason = StopReason.InternalError;
  } else if (e === TRIPLE_FAULT) {
    // Leave the state as it was before the instruction whose fault could not be delivered.
    cpu.eip = cpu.startEip;
    cpu.reg32[4] = cpu.startEsp;
    cpu.stopReason = StopReason.Shutdown;
  } else {
    throw e;
  }
}

function describeInternalError(cpu: Cpu, what: string): InternalErrorInfo {
  const linear = (cpu.segBase[CS] + cpu.startEip) | 0;
  const bytes: number[] = [];
  for (let i = 0; i < 15; i++) bytes.push(cpu.peekLinear8((linear + i) | 0));
  return { message: what, cs: cpu.segSel[CS], eip: cpu.startEip >>> 0, linear: linear >>> 0, bytes };
}

/** Deliver the exception a debug stop intercepted (the guest resumes into its handler). */
function deliverPendingException(cpu: Cpu): void {
  const p = cpu.debug.pendingException;
  if (!p) return;
  cpu.debug.pendingException = null;
  cpu.startEip = cpu.eip;
  cpu.startEsp = cpu.reg32[4];
  try {
    cpu.deliverException(p.vector, p.errorCode, true);
  } catch (e) {
    handleThrow(cpu, e);
  }
}

/** Take the interrupt the PIC presents (INTR is high and IF set, outside a shadow). */
function acceptExternalInterrupt(cpu: Cpu): void {
  deliverExternal(cpu, cpu.pic.acknowledge() & 0xff);
}

/** Take a latched NMI through vector 2; NMIs stay blocked until the next IRET. */
function acceptNmi(cpu: Cpu): void {
  cpu.nmiPending = false;
  cpu.nmiBlocked = true;
  deliverExternal(cpu, VEC_NMI);
}

function deliverExternal(cpu: Cpu, vector: number): void {
  cpu.startEip = cpu.eip;
  cpu.startEsp = cpu.reg32[4];
  try {
    deliverInterrupt(cpu, vector, INT_EXTERNAL, -1);
  } catch (e) {
    handleThrow(cpu, e);
  }
}
