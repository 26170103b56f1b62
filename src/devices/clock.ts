// Guest time is virtual: it advances with instructions executed, at a fixed
// rate, so the same image and inputs give the same run every time. While every
// vCPU is halted the VMM jumps time forward to the next timer deadline.
//
// The rate: one instruction = NS_PER_INSTRUCTION ns of guest time, i.e. a
// 100 MIPS guest. Close to what the interpreter really runs at, so a guest's
// clock roughly tracks the wall clock, and the PIT's 838 ns tick is ~84
// instructions.

export const NS_PER_INSTRUCTION = 10;

export interface TimerState {
  deadline: number | null;
}

/** A one-shot timer owned by a device; re-arm it from its callback for periodic events. */
export class Timer {
  /** Absolute guest time in ns, or null when disarmed. */
  deadline: number | null = null;

  constructor(
    private readonly clock: VirtualClock,
    readonly name: string,
    readonly callback: (now: number) => void,
  ) {}

  armAt(deadlineNs: number): void {
    this.deadline = deadlineNs;
    this.clock.timerChanged();
  }

  armIn(delayNs: number): void {
    this.armAt(this.clock.now() + delayNs);
  }

  disarm(): void {
    if (this.deadline === null) return;
    this.deadline = null;
    this.clock.timerChanged();
  }

  saveState(): TimerState {
    return { deadline: this.deadline };
  }

  loadState(state: TimerState): void {
    this.deadline = state.deadline;
    this.clock.timerChanged();
  }
}

export interface ClockState {
  idleNs: number;
}

export class VirtualClock {
  private readonly timers: Timer[] = [];
  /** Guest time skipped while halted, added to the instruction-derived time. */
  private idleNs = 0;
  /** Instructions retired so far, read from the running vCPU(s); set by the VMM. */
  private instructionCount: () => number = () => 0;
  /** Told when the earliest deadline may have moved, so the VMM can shorten the running slice. */
  onDeadlineChange: (() => void) | null = null;

  setInstructionSource(source: () => number): void {
    this.instructionCount = source;
  }

  /** Current guest time in ns. */
  now(): number {
    return this.instructionCount() * NS_PER_INSTRUCTION + this.idleNs;
  }

  createTimer(name: string, callback: (now: number) => void): Timer {
    const timer = new Timer(this, name, callback);
    this.timers.push(timer);
    return timer;
  }

  /** Earliest armed deadline in ns, or Infinity. */
  nextDeadline(): number {
    let next = Infinity;
    for (const t of this.timers) {
      if (t.deadline !== null && t.deadline < next) next = t.deadline;
    }
    return next;
  }

  /** Fire every timer whose deadline has passed (each disarmed before its callback, which may re-arm it). */
  runDue(): void {
    for (;;) {
      const now = this.now();
      let due: Timer | null = null;
      for (const t of this.timers) {
        if (t.deadline !== null && t.deadline <= now && (due === null || t.deadline < (due.deadline as number))) due = t;
      }
      if (due === null) return;
      due.deadline = null;
      due.callback(now);
    }
  }

  /** Jump guest time forward to `ns` (all vCPUs halted). */
  skipTo(ns: number): void {
    const now = this.now();
    if (ns > now) this.idleNs += ns - now;
  }

  timerChanged(): void {
    if (this.onDeadlineChange) this.onDeadlineChange();
  }

  saveState(): ClockState {
    return { idleNs: this.idleNs };
  }

  loadState(state: ClockState): void {
    this.idleNs = state.idleNs;
  }
}
