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
  /**
   * Per 4 KiB linear page, 0 or 1 + the index of that page's bitmap in
   * `pageBitmaps` (one byte per offset): the per-instruction test is two
   * array loads, whether or not the code runs on a page with breakpoints.
   */
  private readonly pageSlot = new Uint16Array(1 << 20);
  private pageBitmaps: Uint8Array[] = [];
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
    for (const b of this.breakpoints) this.pageSlot[b >>> 12] = 0;
    this.breakpoints.clear();
    this.pageBitmaps = [];
    for (const b of config.breakpoints) {
      const linear = b >>> 0;
      this.breakpoints.add(linear);
      let slot = this.pageSlot[linear >>> 12];
      if (slot === 0) {
        this.pageBitmaps.push(new Uint8Array(4096));
        slot = this.pageSlot[linear >>> 12] = this.pageBitmaps.length;
      }
      this.pageBitmaps[slot - 1][linear & 0xfff] = 1;
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
  /** Something to check before or after every instruction (breakpoints, mode changes). */
  get needsStepChecks(): boolean {
    return this.breakpoints.size > 0 || this.modeChanges;
  }

  hasBreakpointOnPage(linear: number): boolean {
    return this.pageSlot[linear >>> 12] !== 0;
  }

  /**
   * The breakpoint-free stretch of offsets around `linear` on its page:
   * [first, last] offsets with no breakpoint, or null when `linear` itself
   * has one.
   */
  quietStretch(linear: number): { first: number; last: number } | null {
    const slot = this.pageSlot[linear >>> 12];
    const offset = linear & 0xfff;
    if (slot === 0) return { first: 0, last: 0xfff };
    const bitmap = this.pageBitmaps[slot - 1];
    if (bitmap[offset] !== 0) return null;
    let first = offset;
    while (first > 0 && bitmap[first - 1] === 0) first--;
    let last = offset;
    while (last < 0xfff && bitmap[last + 1] === 0) last++;
    return { first, last };
  }

  hasBreakpoint(linear: number): boolean {
    const slot = this.pageSlot[linear >>> 12];
    return slot !== 0 && this.pageBitmaps[slot - 1][linear & 0xfff] !== 0;
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
    // The instructions around this one up to the nearest breakpoints need no checks: let the run loop
    // step them directly (inside the current fetch window only).
    const stretch = d.quietStretch(linear);
    if (stretch && cpu.eip >= cpu.fetchLo && cpu.eip <= cpu.fetchHi) {
      const offset = linear & 0xfff;
      cpu.quietLo = Math.max(cpu.fetchLo, cpu.eip - (offset - stretch.first));
      cpu.quietHi = Math.min(cpu.fetchHi, cpu.eip + (stretch.last - offset));
    }
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
