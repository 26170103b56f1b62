// The PC/AT's coprocessor error logic (the FERR# latch): with CR0.NE clear a
// processor reports an x87 exception on its FERR# pin; the board latches it
// into IRQ 13 (slave 8259 input 5), and the handler's write to port F0h
// clears the latch (on the AT it also released the stalled coprocessor
// through IGNNE#). Port F1h (coprocessor reset on the AT) is accepted and
// does nothing. Reads return all ones (nothing answers there).

import type { Device, IoSize, IrqLine, PortHandler } from './bus';

export interface CoprocessorErrorState {
  latched: boolean;
}

export class CoprocessorError implements Device<CoprocessorErrorState>, PortHandler {
  readonly name = 'fpu-error';
  readonly ports: readonly number[] = [0xf0, 0xf1];
  private latched = false;

  constructor(private readonly irq: IrqLine) {}

  reset(): void {
    this.clear();
  }

  /** FERR# asserted by a processor: raise IRQ 13 until port F0h is written. */
  signal(): void {
    if (this.latched) return;
    this.latched = true;
    this.irq.setLevel(true);
  }

  private clear(): void {
    if (!this.latched) return;
    this.latched = false;
    this.irq.setLevel(false);
  }

  ioRead(_port: number, size: IoSize): number {
    return size === 4 ? 0xffffffff : (1 << (8 * size)) - 1;
  }

  ioWrite(port: number, _size: IoSize, _value: number): void {
    if (port === 0xf0) this.clear();
  }

  saveState(): CoprocessorErrorState {
    return { latched: this.latched };
  }

  loadState(state: CoprocessorErrorState): void {
    this.latched = state.latched;
    this.irq.setLevel(state.latched);
  }
}
