// --trace: one line per instruction: CS:IP, the bytes, NASM-syntax
// disassembly (iced-x86) and the registers the instruction changed.

import { Decoder, DecoderOptions, Formatter, FormatterSyntax } from 'iced-x86';
import { UserError } from './args';
import { GuestOutput } from './output';
import { MachineEvent, PcMachine, hex } from '../vmm/pc';

const REGISTERS = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi', 'eflags'] as const;
const SEGMENTS = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'] as const;

/** Guest time (in instructions) a halted CPU may sleep per step before the run loop gets control back. */
const SLEEP_BUDGET = 1_000_000;

export class Tracer {
  /** The trace file; the run loop flushes it between steps and reports a write error. */
  readonly output: GuestOutput;
  private readonly formatter = new Formatter(FormatterSyntax.Nasm);

  constructor(path: string, private readonly machine: PcMachine) {
    try {
      this.output = new GuestOutput('trace', { kind: 'file', path });
    } catch (e) {
      throw new UserError(`cannot open trace file '${path}': ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  }

  /** Execute one instruction (or take one interrupt) and log it; a halted CPU first sleeps (unlogged) until it wakes. */
  step(): MachineEvent {
    const vcpu = this.machine.vcpu;
    if (vcpu.state === 'halted') {
      const waited = this.machine.waitWhileHalted(SLEEP_BUDGET);
      if (waited) return waited;
    }
    const before = vcpu.getRegs();
    const sBefore = vcpu.getSregs();
    const linear = (sBefore.cs.base + before.eip) >>> 0;
    const bytes = this.machine.readLinear(linear, 15).map((b) => b ?? 0);
    const bitness = (sBefore.cs.attributes & (1 << 14)) !== 0 ? 32 : 16;
    const decoder = new Decoder(bitness, Uint8Array.from(bytes), DecoderOptions.None);
    decoder.ip = BigInt(before.eip);
    const instruction = decoder.decode();
    const text = this.formatter.format(instruction);
    const length = instruction.length;
    instruction.free();
    decoder.free();

    const event = this.machine.run(1);

    const after = vcpu.getRegs();
    const sAfter = vcpu.getSregs();
    const changes: string[] = [];
    for (const r of REGISTERS) if (before[r] !== after[r]) changes.push(`${r}=${hex(after[r], 8)}`);
    for (const s of SEGMENTS) if (sBefore[s].selector !== sAfter[s].selector) changes.push(`${s}=${hex(sAfter[s].selector, 4)}`);
    if (sBefore.cr0 !== sAfter.cr0) changes.push(`cr0=${hex(sAfter.cr0, 8)}`);
    const where = `${hex(sBefore.cs.selector, 4)}:${hex(before.eip, bitness === 32 ? 8 : 4)}`;
    const shown = bytes.slice(0, Math.max(1, length)).map((b) => hex(b, 2)).join('');
    this.output.pushText(`${`${where}  ${shown.padEnd(20)} ${text.padEnd(32)} ${changes.join(' ')}`.trimEnd()}\n`);
    return event;
  }

  close(): void {
    this.output.close();
    this.formatter.free();
  }
}
