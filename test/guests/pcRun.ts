// Running a test guest on vmexit's PcMachine in-process, bounded by an
// instruction budget (never by wall time: the same image gives the same run).

import { CdImage } from '../../src/devices/cdImage';
import type { DirectBoot } from '../../src/devices/loaders/directBoot';
import { DiskImage, MachineEvent, PcMachine } from '../../src/vmm/pc';

export interface GuestInput {
  after: string;
  text: string;
  via?: 'keyboard' | 'serial';
}

export interface PcRunOptions {
  floppy?: Uint8Array | null;
  hardDisk?: Uint8Array | null;
  /** An ISO 9660 image in the CD-ROM drive. */
  cdrom?: Uint8Array | null;
  boot: 'a' | 'c' | 'd';
  /** A kernel the BIOS starts instead of a boot sector (--kernel). */
  kernel?: DirectBoot | null;
  /** Stop (with a `stop` event) once the serial output contains this. */
  until?: string;
  /** Instructions at most; the run ends with a `budget` event past it. */
  budget: number;
  memoryBytes?: number;
  /** vCPUs (default 1). */
  cpus?: number;
  /**
   * Input once the serial output contains `after`: typed on the PS/2
   * keyboard (the default) or sent to COM1.
   */
  input?: GuestInput[];
}

export interface PcRunResult {
  serial: string;
  debugcon: string;
  firmware: string[];
  /** The event that ended the run (`budget` when the budget ran out). */
  event: MachineEvent;
  /** isa-debug-exit status, when the run ended with an `exit` event. */
  status: number | null;
  instructions: number;
  screen: string[];
  machine: PcMachine;
  ms: number;
}

const SLICE = 1_000_000;

/** Boot a guest and run it until it exits, shuts down, errs, waits for input forever, or uses up its budget. */
export async function runOnPc(options: PcRunOptions): Promise<PcRunResult> {
  const started = Date.now();
  let serial = '';
  let debugcon = '';
  const firmware: string[] = [];
  const machine = new PcMachine({
    memoryBytes: options.memoryBytes ?? 32 * 1024 * 1024,
    bios: null,
    floppy: options.floppy ? DiskImage.floppy(options.floppy, 'floppy.img') : null,
    hardDisk: options.hardDisk ? DiskImage.hard(options.hardDisk, 'disk.img') : null,
    boot: options.boot,
    kernel: options.kernel ?? null,
    cdrom: options.cdrom ? new CdImage(options.cdrom, 'cd.iso') : null,
    cpus: options.cpus,
    onSerialOutput: (b) => (serial += String.fromCharCode(b)),
    onDebugconOutput: (b) => (debugcon += String.fromCharCode(b)),
    onFirmwareMessage: (text) => firmware.push(text),
  });
  const pending = [...(options.input ?? [])];
  const start = machine.vm.instructionsRetired();
  let event: MachineEvent = { kind: 'budget' };
  for (;;) {
    const used = machine.vm.instructionsRetired() - start;
    if (used >= options.budget) {
      event = { kind: 'budget' };
      break;
    }
    // Shorter slices while input waits for its marker: the guest is usually idling in HLT by then.
    const slice = pending.length > 0 ? SLICE / 10 : SLICE;
    const e = machine.run(Math.min(slice, options.budget - used));
    while (pending.length > 0 && serial.includes(pending[0].after)) {
      const input = pending.shift()!;
      if (input.via === 'serial') machine.serialInput(Buffer.from(input.text, 'latin1'));
      else machine.typeText(input.text);
    }
    if (options.until !== undefined && serial.includes(options.until)) {
      event = { kind: 'stop', reason: 'request', vcpu: 0 };
      break;
    }
    if (e.kind === 'budget' || e.kind === 'stop') continue;
    if (e.kind === 'idle') {
      // HLT with interrupts on and no timer armed: only input can wake it.
      if (pending.length > 0 && serial.includes(pending[0].after)) continue;
      event = e;
      break;
    }
    event = e;
    break;
  }
  return {
    serial,
    debugcon,
    firmware,
    event,
    status: event.kind === 'exit' ? event.status : null,
    instructions: machine.vm.instructionsRetired() - start,
    screen: machine.textScreen(),
    machine,
    ms: Date.now() - started,
  };
}

/** One line describing how a run ended, for assertion messages. */
export function describeEvent(event: MachineEvent): string {
  switch (event.kind) {
    case 'exit':
      return `exit status ${event.status}`;
    case 'internal-error':
      return `internal error: ${event.message} at ${event.cs.toString(16)}:${event.eip.toString(16)} bytes ${event.bytes
        .map((b) => b.toString(16).padStart(2, '0'))
        .join(' ')}`;
    case 'shutdown':
      return `shutdown (${event.reason}) at ${event.where}`;
    case 'halted':
      return `halted at ${event.where}`;
    case 'unwakeable':
      return `halted at ${event.where} and nothing can wake it: ${event.why}`;
    case 'idle':
      return 'idle (waiting for input with nothing pending)';
    case 'budget':
      return 'instruction budget used up';
    case 'stop':
      return `stop (${event.reason})`;
    case 'debug':
      return `debug exit`;
  }
}
