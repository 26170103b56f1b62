// --trace: one line per instruction: CS:IP, the bytes, NASM-syntax
// disassembly (iced-x86) and the registers the instruction changed.

import * as fs from 'node:fs';
import { Decoder, DecoderOptions, Formatter, FormatterSyntax } from 'iced-x86';
import { UserError } from './args';
import { MachineEvent, PcMachine, hex } from '../vmm/pc';

const REGISTERS = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi', 'eflags'] as const;
const SEGMENTS = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'] as const;

export class Tracer {
  private readonly fd: number;
  private readonly formatter = new Formatter(FormatterSyntax.Nasm);
  private buffer: string[] = [];

  constructor(path: string, private readonly machine: PcMachine) {
    try {
      this.fd = fs.openSync(path, 'w');
    } catch (e) {
      throw new UserError(`cannot open trace file '${path}': ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  }

  /** Execute one instruction (or take one interrupt) and log it. */
  step(): MachineEvent {
    const vcpu = this.machine.vcpu;
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
    this.buffer.push(`${where}  ${shown.padEnd(20)} ${text.padEnd(32)} ${changes.join(' ')}`.trimEnd());
    if (this.buffer.length >= 4096) this.flush();
    return event;
  }

  private flush(): void {
    if (this.buffer.length === 0) return;
    fs.writeSync(this.fd, `${this.buffer.join('\n')}\n`);
    this.buffer = [];
  }

  close(): void {
    this.flush();
    this.formatter.free();
    fs.closeSync(this.fd);
  }
}
