// How guest code leaves the instruction it is executing early: guest faults
// (delivered to the guest), things the core does not implement, and the
// signals that end a run (restart for an I/O exit, triple fault). All are
// thrown; the run loop (runSlice in ./runLoop.ts) catches them.

/** Thrown by the core when a guest instruction faults; caught by the run loop. */
export class GuestFault {
  constructor(
    readonly vector: number,
    /** Error code, or -1 for exceptions that push none. */
    readonly errorCode: number,
  ) {}
}

/** Thrown when the core meets something it does not implement; ends the run. */
export class Unimplemented {
  constructor(readonly what: string) {}
}

/**
 * Thrown from a bus callback (portIn, portOut, readSlow, writeSlow) to back
 * the current instruction out and stop: the VMM re-runs it once the monitor
 * has answered (KVM's io exit with re-entry).
 */
export const RESTART_INSTRUCTION = { restart: true } as const;

/** Thrown to end a run with a triple fault (shutdown). */
export const TRIPLE_FAULT = { tripleFault: true } as const;

/** What the core could not do, where: the VMM's internal-error exit. */
export interface InternalErrorInfo {
  message: string;
  cs: number;
  eip: number;
  linear: number;
  bytes: number[];
}
