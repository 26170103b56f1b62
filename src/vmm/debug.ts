// Guest debug, KVM_SET_GUEST_DEBUG-shaped: the monitor arms breakpoints,
// watchpoints, single-step and intercepts on a vCPU; the core reports each
// hit as a `debug` exit with its cause. Nothing here costs the guest anything
// while nothing is armed.

import type { CpuMode } from '../cpu/state';

export type WatchAccess = 'read' | 'write' | 'readwrite';

export interface Watchpoint {
  /** Linear address (through segmentation; paging once it exists), or physical with `physical: true`. */
  address: number;
  length: number;
  access: WatchAccess;
  physical?: boolean;
}

export interface PortRange {
  first: number;
  last: number;
}

export interface GuestDebugConfig {
  /** Stop before executing an instruction whose first byte (prefixes included) is at one of these linear addresses. */
  breakpoints: readonly number[];
  /** Stop before executing an instruction whose first byte is at one of these physical addresses (through whichever linear address maps there). */
  physicalBreakpoints: readonly number[];
  watchpoints: readonly Watchpoint[];
  /** Stop before delivering these exception vectors (0-31); the delivery happens when the guest resumes. */
  exceptions: readonly number[];
  /** Stop before INT n for these vectors (INT3, INTO, INT1 included). */
  softwareInterrupts: readonly number[];
  /** Stop after an instruction that accesses one of these I/O port ranges. */
  ioPorts: readonly PortRange[];
  /** Stop after a change of CPU mode (real, big real, protected 16/32, vm86, long; paging on/off). */
  modeChanges: boolean;
  /** Stop after `xchg bx, bx` (87 DB), Bochs' magic breakpoint. */
  magicBreakpoint: boolean;
  /** Stop when the CPU shuts down, with the state as it was before the fatal fault. */
  tripleFault: boolean;
}

export const NO_GUEST_DEBUG: GuestDebugConfig = {
  breakpoints: [],
  physicalBreakpoints: [],
  watchpoints: [],
  exceptions: [],
  softwareInterrupts: [],
  ioPorts: [],
  modeChanges: false,
  magicBreakpoint: false,
  tripleFault: false,
};

/** Why a `debug` exit happened. */
export type DebugCause =
  | { kind: 'single-step' }
  /** A linear or physical breakpoint; `linear` is where the instruction is (the monitor matches physical ones by translating it). */
  | { kind: 'breakpoint'; linear: number }
  | {
      kind: 'watchpoint';
      /** The watchpoint's address as armed, and the bytes accessed. */
      watch: Watchpoint;
      address: number;
      size: number;
      access: 'read' | 'write';
      /** Value before and after a write; the value read for a read. */
      oldValue: number;
      newValue: number;
      /** The accessing instruction: CS selector, offset, linear address. */
      cs: number;
      eip: number;
      linear: number;
    }
  | { kind: 'exception'; vector: number; errorCode: number }
  | { kind: 'software-interrupt'; vector: number }
  | { kind: 'io'; port: number; size: number; direction: 'in' | 'out'; value: number }
  /** The CPU mode changed, or paging was turned on or off (`paging`, present only then), or both. */
  | { kind: 'mode-change'; from: CpuMode; to: CpuMode; paging?: 'on' | 'off' }
  | { kind: 'magic-breakpoint' };
