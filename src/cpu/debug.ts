// Guest-debug state of one CPU: breakpoints by linear address and the
// intercepts the core checks itself (exceptions, INT n, mode changes, the
// magic breakpoint). The Cpu consults it only while `Cpu.debugArmed` is set,
// through a separate interpreter loop, so an unarmed guest pays nothing.

import type { Cpu } from './cpu';
import { CR0_PG, CS, type CpuMode } from './state';

/** What a debug stop of the core was for; the VMM turns it into a `debug` exit. */
export type CpuDebugEvent =
  | { kind: 'breakpoint'; linear: number }
  | { kind: 'exception'; vector: number; errorCode: number }
  | { kind: 'software-interrupt'; vector: number }
  /** The CPU mode changed, or paging was turned on or off (`paging`, present only then), or both. */
  | { kind: 'mode-change'; from: CpuMode; to: CpuMode; paging?: 'on' | 'off' }
  | { kind: 'magic-breakpoint' };

export interface CpuDebugConfig {
  breakpoints: readonly number[];
  /** Breakpoints by physical address: they hit whichever linear address maps there now. */
  physicalBreakpoints?: readonly number[];
  exceptions: readonly number[];
  softwareInterrupts: readonly number[];
  modeChanges: boolean;
  magicBreakpoint: boolean;
}

/**
 * A set of 32-bit addresses kept per 4 KiB page: per page, 0 or 1 + the
 * index of that page's bitmap (one byte per offset), so a membership test
 * is two array loads whether or not the page has any.
 */
class PageBitmaps {
  private readonly pageSlot = new Uint16Array(1 << 20);
  private bitmaps: Uint8Array[] = [];
  private readonly members = new Set<number>();

  set(addresses: readonly number[]): void {
    for (const a of this.members) this.pageSlot[a >>> 12] = 0;
    this.members.clear();
    this.bitmaps = [];
    for (const raw of addresses) {
      const a = raw >>> 0;
      this.members.add(a);
      let slot = this.pageSlot[a >>> 12];
      if (slot === 0) {
        this.bitmaps.push(new Uint8Array(4096));
        slot = this.pageSlot[a >>> 12] = this.bitmaps.length;
      }
      this.bitmaps[slot - 1][a & 0xfff] = 1;
    }
  }

  get size(): number {
    return this.members.size;
  }

  /** The bitmap of the page of `address`, or null when the page has no member. */
  page(address: number): Uint8Array | null {
    const slot = this.pageSlot[address >>> 12];
    return slot === 0 ? null : this.bitmaps[slot - 1];
  }

  has(address: number): boolean {
    const slot = this.pageSlot[address >>> 12];
    return slot !== 0 && this.bitmaps[slot - 1][address & 0xfff] !== 0;
  }
}

/** The bitmap of a page without breakpoints. */
const NO_BREAKPOINTS = new Uint8Array(4096);

export class CpuDebug {
  private readonly linearBreakpoints = new PageBitmaps();
  private readonly physicalBreakpoints = new PageBitmaps();
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
    this.linearBreakpoints.set(config.breakpoints);
    this.physicalBreakpoints.set(config.physicalBreakpoints ?? []);
    this.hasPhysicalBreakpoints = this.physicalBreakpoints.size > 0;
    this.exceptions.fill(0);
    for (const v of config.exceptions) if (v >= 0 && v < 32) this.exceptions[v] = 1;
    this.softwareInterrupts.fill(0);
    for (const v of config.softwareInterrupts) if (v >= 0 && v < 256) this.softwareInterrupts[v] = 1;
    this.modeChanges = config.modeChanges;
    this.magicBreakpoint = config.magicBreakpoint;
  }

  /** Anything armed that the core must check per instruction or per event. */
  get armed(): boolean {
    return this.needsStepChecks || this.exceptions.includes(1) || this.softwareInterrupts.includes(1) || this.magicBreakpoint;
  }

  /** Something to check before or after every instruction (breakpoints, mode changes). */
  get needsStepChecks(): boolean {
    return this.linearBreakpoints.size > 0 || this.physicalBreakpoints.size > 0 || this.modeChanges;
  }

  /** Physical breakpoints are armed: each instruction's physical address is needed too. */
  hasPhysicalBreakpoints = false;

  /** A breakpoint on the code page at `linear`, which maps to `physical` (-1: not known). */
  hasBreakpointOnPage(linear: number, physical: number): boolean {
    return this.linearBreakpoints.page(linear) !== null || (physical >= 0 && this.physicalBreakpoints.page(physical) !== null);
  }

  /**
   * The breakpoint-free stretch of offsets around `linear` on its page
   * (which maps to `physical`; -1 when no physical breakpoints are armed):
   * [first, last] offsets with no breakpoint, or null when `linear` itself
   * has one.
   */
  quietStretch(linear: number, physical: number): { first: number; last: number } | null {
    const a = this.linearBreakpoints.page(linear) ?? NO_BREAKPOINTS;
    const b = (physical >= 0 ? this.physicalBreakpoints.page(physical) : null) ?? NO_BREAKPOINTS;
    const offset = linear & 0xfff;
    if (a[offset] !== 0 || b[offset] !== 0) return null;
    let first = offset;
    while (first > 0 && a[first - 1] === 0 && b[first - 1] === 0) first--;
    let last = offset;
    while (last < 0xfff && a[last + 1] === 0 && b[last + 1] === 0) last++;
    return { first, last };
  }

  /** A breakpoint at `linear`, or at `physical` (where it maps; -1: not known). */
  hasBreakpoint(linear: number, physical: number): boolean {
    return this.linearBreakpoints.has(linear) || (physical >= 0 && this.physicalBreakpoints.has(physical));
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
  // Where the instruction is in physical memory, for physical breakpoints (a page walk without side effects).
  const physical = d.hasPhysicalBreakpoints ? cpu.physicalOf(linear) : -1;
  d.skipping = linear === d.skipAt;
  d.skipAt = -1;
  if (!d.skipping && d.hasBreakpoint(linear, physical)) {
    cpu.sliceLeft++; // not executed
    d.skipAt = linear;
    cpu.debugStop({ kind: 'breakpoint', linear });
    return;
  }
  if (!d.modeChanges) {
    // The instructions around this one up to the nearest breakpoints need no checks: let the run loop
    // step them directly (inside the current fetch window only).
    const stretch = d.quietStretch(linear, physical);
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
  const pagingBefore = cpu.cr0 & CR0_PG;
  cpu.step();
  d.skipping = false;
  const after = cpu.mode();
  const pagingAfter = cpu.cr0 & CR0_PG;
  if (pagingAfter !== pagingBefore) cpu.debugStop({ kind: 'mode-change', from: before, to: after, paging: pagingAfter ? 'on' : 'off' });
  else if (after !== before) cpu.debugStop({ kind: 'mode-change', from: before, to: after });
}
