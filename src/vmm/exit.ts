// Why `Vcpu.run` returned: KVM's exit reasons, as a discriminated union.
// Every consumer handles them in an exhaustive switch (see `assertNever`).

import type { DebugCause } from './debug';

export type { DebugCause };

export type IoDirection = 'in' | 'out';

export type Exit =
  /** An I/O port nobody in the core claims. For `in`, answer with `Vcpu.completeIo(data)`; the IN is re-executed. */
  | { kind: 'io'; port: number; size: 1 | 2 | 4; direction: IoDirection; data: number }
  /** An MMIO access nobody in the core claims. Reads are answered like `io`. */
  | { kind: 'mmio'; address: number; size: 1 | 2 | 4; direction: IoDirection; data: number }
  /** HLT with nothing that can wake the vCPU (interrupts disabled, or no interrupt source armed). */
  | { kind: 'hlt' }
  /** Guest debug: a breakpoint, watchpoint, single step or intercepted exception. */
  | { kind: 'debug'; cause: DebugCause }
  /** Triple fault: the processor shut down. */
  | { kind: 'shutdown'; reason: string }
  /** Something the core does not implement: the instruction bytes and where. Never a silent wrong result. */
  | { kind: 'internal-error'; message: string; cs: number; eip: number; linear: number; bytes: number[] }
  /** The instruction budget given to `run` was used up. */
  | { kind: 'budget' }
  /** Someone asked the vCPU to stop (`Vm.requestStop`): a pause, a device that ends the run, a reset. */
  | { kind: 'stop' };

export function assertNever(x: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(x)}`);
}
