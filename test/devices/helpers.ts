// Test doubles for device tests: a clock driven by a fake instruction
// counter (the way the VMM drives it from retired instructions) and an IRQ
// line that records what a device does with it.

import { NS_PER_INSTRUCTION, VirtualClock } from '../../src/devices/clock';
import type { IrqLine } from '../../src/devices/bus';

export class FakeMachine {
  instructions = 0;
  readonly clock = new VirtualClock();

  constructor() {
    this.clock.setInstructionSource(() => this.instructions);
  }

  nowNs(): number {
    return this.clock.now();
  }

  /** Run `count` instructions, firing timers at their deadlines as the VMM would between slices. */
  runInstructions(count: number): void {
    const end = this.instructions + count;
    for (;;) {
      const deadline = this.clock.nextDeadline();
      const deadlineInstruction = Math.ceil(deadline / NS_PER_INSTRUCTION);
      if (deadline === Infinity || deadlineInstruction > end) break;
      this.instructions = Math.max(this.instructions, deadlineInstruction);
      this.clock.runDue();
    }
    this.instructions = end;
    this.clock.runDue();
  }

  /** Advance guest time by at least `ns`. */
  runNs(ns: number): void {
    this.runInstructions(Math.ceil(ns / NS_PER_INSTRUCTION));
  }
}

export class RecordingIrqLine implements IrqLine {
  level = false;
  risingEdges = 0;
  /** Called on each rising edge, e.g. to play the interrupt handler. */
  onRise: (() => void) | null = null;

  setLevel(high: boolean): void {
    if (high && !this.level) {
      this.level = true;
      this.risingEdges++;
      if (this.onRise) this.onRise();
      return;
    }
    this.level = high;
  }
}
