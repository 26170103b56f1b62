// The I/O port bus: in-core device handlers by port, and the exit path for
// ports nobody claims (KVM's KVM_EXIT_IO): an OUT completes and then exits;
// an IN backs out and exits, and is re-executed with the monitor's answer.

import { IoPorts } from '../cpu/bus';
import { RESTART_INSTRUCTION } from '../cpu/cpu';
import { IoSize, PortHandler } from '../devices/bus';
import { Exit } from './exit';

export interface PortBusState {
  pendingExit: Extract<Exit, { kind: 'io' }> | null;
  answer: { port: number; size: IoSize; data: number } | null;
}

export class PortBus implements IoPorts {
  private readonly handlers: (PortHandler | undefined)[] = new Array(0x10000);
  /** The exit waiting to be returned by `Vcpu.run`, if any. */
  pendingExit: Extract<Exit, { kind: 'io' }> | null = null;
  /** The monitor's answer to an `in` exit, consumed by the re-executed IN. */
  private answer: { port: number; size: IoSize; data: number } | null = null;
  /** Told when an access needs an exit: the VMM stops the vCPU after the instruction. */
  onExitRequested: () => void = () => {};
  /** Accesses that went out as exits, a figure of merit. */
  exitCount = 0;
  /** Ports a debugger watches (one byte per port), or null. */
  private intercepted: Uint8Array | null = null;
  onIntercept: (port: number, size: IoSize, direction: 'in' | 'out', value: number) => void = () => {};

  /** Report accesses to these port ranges through `onIntercept` (after the access). */
  setIntercepts(ranges: readonly { first: number; last: number }[]): void {
    if (ranges.length === 0) {
      this.intercepted = null;
      return;
    }
    this.intercepted = new Uint8Array(0x10000);
    for (const r of ranges) this.intercepted.fill(1, Math.max(0, r.first), Math.min(0xffff, r.last) + 1);
  }

  register(ports: Iterable<number>, handler: PortHandler): void {
    for (const port of ports) {
      if (this.handlers[port]) throw new Error(`I/O port ${port.toString(16)}h is claimed twice`);
      this.handlers[port] = handler;
    }
  }

  /** Ports `first`..`first+count-1`. */
  static range(first: number, count: number): number[] {
    return Array.from({ length: count }, (_, i) => first + i);
  }

  handlerAt(port: number): PortHandler | undefined {
    return this.handlers[port];
  }

  portIn(port: number, size: IoSize): number {
    const h = this.handlers[port];
    if (h) {
      const v = h.ioRead(port, size);
      if (this.intercepted && this.intercepted[port]) this.onIntercept(port, size, 'in', v);
      return v;
    }
    const a = this.answer;
    if (a && a.port === port && a.size === size) {
      this.answer = null;
      return a.data;
    }
    this.exitCount++;
    this.pendingExit = { kind: 'io', port, size, direction: 'in', data: 0 };
    throw RESTART_INSTRUCTION;
  }

  portOut(port: number, size: IoSize, value: number): void {
    const h = this.handlers[port];
    if (h) {
      h.ioWrite(port, size, value);
      if (this.intercepted && this.intercepted[port]) this.onIntercept(port, size, 'out', value);
      return;
    }
    this.exitCount++;
    this.pendingExit = { kind: 'io', port, size, direction: 'out', data: value };
    this.onExitRequested();
  }

  /** The monitor answers the pending `in` exit; the IN runs again and receives `data`. */
  completeIn(data: number): void {
    const e = this.pendingExit;
    if (!e || e.direction !== 'in') throw new Error('no I/O read is waiting for an answer');
    const mask = e.size === 4 ? 0xffffffff : (1 << (8 * e.size)) - 1;
    this.answer = { port: e.port, size: e.size, data: (data & mask) >>> 0 };
    this.pendingExit = null;
  }

  /**
   * The I/O in flight, for snapshots: an `in` exit not answered yet, or the
   * answer its re-executed IN has not consumed yet. Without it a VM restored
   * between `completeIn` and the next run would exit again for the same IN.
   */
  saveState(): PortBusState {
    return { pendingExit: this.pendingExit && { ...this.pendingExit }, answer: this.answer && { ...this.answer } };
  }

  loadState(s: PortBusState | undefined): void {
    this.pendingExit = s?.pendingExit ? { ...s.pendingExit } : null;
    this.answer = s?.answer ? { ...s.answer } : null;
  }

  takeExit(): Extract<Exit, { kind: 'io' }> | null {
    const e = this.pendingExit;
    if (e && e.direction === 'out') this.pendingExit = null;
    return e;
  }
}
