// Guest-debug state of one CPU: breakpoints by linear address and the
// intercepts the core checks itself (exceptions, INT n, mode changes, the
// magic breakpoint). The Cpu consults it only while `Cpu.debugArmed` is set,
// through a separate interpreter loop, so an unarmed guest pays nothing.

import type { Cpu } from './cpu';
import { CS, type CpuMode } from './state';

/** What a debug stop of the core was for; the VMM turns it into a `debug` exit. */
export type CpuDebugEvent =
  | { kind: 'breakpoint'; linear: number }
  | { kind: 'exception'; vector: number; errorCode: number }
  | { kind: 'software-interrupt'; vector: number }
  | { kind: 'mode-change'; from: CpuMode; to: CpuMode }
  | { kind: 'magic-breakpoint' };

export interface CpuDebugConfig {
  breakpoints: readonly number[];
  exceptions: readonly number[];
  softwareInterrupts: readonly number[];
  modeChanges: boolean;
  magicBreakpoint: boolean;
}

export class CpuDebug {
  private readonly breakpoints = new Set<number>();
  /** One byte per 4 KiB linear page: non-zero when a breakpoint is on the page (a cheap first test). */
  private readonly breakpointPages = new Uint8Array(1 << 20);
  readonly exceptions = new Uint8Array(32);
  readonly softwareInterrupts = new Uint8Array(256);
  modeChanges = false;
  magicBreakpoint = false;
  /** The event the core stopped for, until the VMM takes it. */
  event: CpuDebugEvent | null = null;
  /**
   * Linear address of an instruction that runs once without the before-checks
   * (breakpoint, INT n intercept): the guest resumes from a stop there.
   */
  skipAt = -1;
  /** True while the instruction at `skipAt` executes. */
  skipping = false;
  /** An intercepted exception, delivered when the guest resumes (unless discarded). */
  pendingException: { vector: number; errorCode: number } | null = null;

  configure(config: CpuDebugConfig): void {
    for (const b of this.breakpoints) this.breakpointPages[b >>> 12] = 0;
    this.breakpoints.clear();
    for (const b of config.breakpoints) {
      this.breakpoints.add(b >>> 0);
      this.breakpointPages[b >>> 12] = 1;
    }
    this.exceptions.fill(0);
    for (const v of config.exceptions) if (v >= 0 && v < 32) this.exceptions[v] = 1;
    this.softwareInterrupts.fill(0);
    for (const v of config.softwareInterrupts) if (v >= 0 && v < 256) this.softwareInterrupts[v] = 1;
    this.modeChanges = config.modeChanges;
    this.magicBreakpoint = config.magicBreakpoint;
  }

  /** Anything armed that the core must check per instruction or per event. */
  get armed(): boolean {
    return (
      this.breakpoints.size > 0 ||
      this.exceptions.includes(1) ||
      this.softwareInterrupts.includes(1) ||
      this.modeChanges ||
      this.magicBreakpoint
    );
  }

  /** A breakpoint somewhere on the 4 KiB linear page of `linear`. */
  hasBreakpointOnPage(linear: number): boolean {
    return this.breakpointPages[linear >>> 12] !== 0;
  }

  hasBreakpoint(linear: number): boolean {
    return this.breakpointPages[linear >>> 12] !== 0 && this.breakpoints.has(linear);
  }

  takeEvent(): CpuDebugEvent | null {
    const e = this.event;
    this.event = null;
    return e;
  }
}

/**
 * One instruction under guest debug: the breakpoint check before it, the
 * mode-change check after it. Used instead of `step` while `debugArmed`.
 */
export function stepWithDebug(cpu: Cpu): void {
  const d = cpu.debug;
  const linear = (cpu.segBase[CS] + cpu.eip) >>> 0;
  d.skipping = linear === d.skipAt;
  d.skipAt = -1;
  if (!d.skipping && d.hasBreakpoint(linear)) {
    cpu.sliceLeft++; // not executed
    d.skipAt = linear;
    cpu.debugStop({ kind: 'breakpoint', linear });
    return;
  }
  if (!d.modeChanges) {
    cpu.step();
    d.skipping = false;
    return;
  }
  const before = cpu.mode();
  cpu.step();
  d.skipping = false;
  const after = cpu.mode();
  if (after !== before) cpu.debugStop({ kind: 'mode-change', from: before, to: after });
}
