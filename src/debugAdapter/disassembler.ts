// Disassembly through iced-x86 (NASM syntax): decode forwards from a linear
// address, find the instruction boundaries before an address (decode from
// earlier starts until one lands on it), and classify an instruction for
// stepping (call / int / rep string / loop / return). No DAP types here.
//
// iced-x86 objects live in WebAssembly memory: every Decoder, Formatter and
// Instruction made here is freed before returning.

import { Decoder, DecoderOptions, FlowControl, Formatter, FormatterSyntax, Instruction, Mnemonic } from 'iced-x86';

export type Bitness = 16 | 32 | 64;

/** Reads guest bytes at a linear address; null where nothing readable is mapped. */
export type LinearReader = (linear: number, length: number) => (number | null)[];

/** How stepping treats an instruction. */
export type StepClass = 'call' | 'int' | 'rep' | 'loop' | 'return' | 'hlt' | 'other';

export interface DecodedInstruction {
  /** Linear address of the first byte. */
  linear: number;
  /** Offset in the code segment (IP/EIP/RIP) the text was formatted for. */
  offset: number;
  length: number;
  bytes: (number | null)[];
  /** NASM text, or `(bad)` / `??` for undecodable or unreadable bytes. */
  text: string;
  invalid: boolean;
  stepClass: StepClass;
}

/** The longest x86 instruction. */
const MAX_LENGTH = 15;

let formatter: Formatter | null = null;

function nasmFormatter(): Formatter {
  if (!formatter) {
    formatter = new Formatter(FormatterSyntax.Nasm);
    formatter.hexPrefix = '0x';
    formatter.hexSuffix = '';
    formatter.uppercaseHex = false;
    formatter.spaceAfterOperandSeparator = true;
    formatter.branchLeadingZeros = false;
    formatter.leadingZeros = false;
  }
  return formatter;
}

function classify(instr: Instruction): StepClass {
  const flow = instr.flowControl;
  if (flow === FlowControl.Call || flow === FlowControl.IndirectCall) return 'call';
  if (flow === FlowControl.Interrupt) return 'int';
  if (flow === FlowControl.Return) return 'return';
  const m = instr.mnemonic;
  if (m === Mnemonic.Iret || m === Mnemonic.Iretd || m === Mnemonic.Iretq) return 'return';
  if (instr.isLoop) return 'loop';
  if (m === Mnemonic.Hlt) return 'hlt';
  if (instr.isStringInstruction && (instr.hasRepPrefix || instr.hasRepePrefix || instr.hasRepnePrefix)) return 'rep';
  return 'other';
}

function offsetMask(bitness: Bitness): number {
  return bitness === 16 ? 0xffff : 0xffffffff;
}

/** One code size for every instruction, or the code size of the instruction at each linear address. */
export type BitnessAt = Bitness | ((linear: number) => Bitness);

function bitnessAt(bitness: BitnessAt, linear: number): Bitness {
  return typeof bitness === 'function' ? bitness(linear >>> 0) : bitness;
}

/**
 * Decode `count` instructions starting at `linear`, whose offset in the code
 * segment is `offset`. Unreadable bytes end decoding with a `??` entry per byte.
 */
export function decodeForward(
  read: LinearReader,
  linear: number,
  offset: number,
  bitnessOf: BitnessAt,
  count: number,
  limitBytes = Infinity,
): DecodedInstruction[] {
  const out: DecodedInstruction[] = [];
  const raw = read(linear >>> 0, Math.min(count * MAX_LENGTH, limitBytes) + MAX_LENGTH);
  const fmt = nasmFormatter();
  let pos = 0;
  while (out.length < count && pos < limitBytes) {
    const here = (linear + pos) >>> 0;
    const bitness = bitnessAt(bitnessOf, here);
    const off = (offset + pos) & offsetMask(bitness);
    // The readable run from here on, at most one instruction's worth.
    let readable = 0;
    while (readable < MAX_LENGTH && pos + readable < raw.length && raw[pos + readable] !== null) readable++;
    if (readable === 0) {
      out.push({ linear: here, offset: off >>> 0, length: 1, bytes: [null], text: '??', invalid: true, stepClass: 'other' });
      pos++;
      continue;
    }
    const chunk = Uint8Array.from(raw.slice(pos, pos + readable) as number[]);
    const decoder = new Decoder(bitness, chunk, DecoderOptions.None);
    decoder.ip = BigInt(off >>> 0);
    const instr = decoder.decode();
    try {
      if (instr.isInvalid) {
        out.push({ linear: here, offset: off >>> 0, length: 1, bytes: [raw[pos]], text: '(bad)', invalid: true, stepClass: 'other' });
        pos++;
      } else {
        const length = instr.length;
        out.push({
          linear: here,
          offset: off >>> 0,
          length,
          bytes: raw.slice(pos, pos + length),
          text: fmt.format(instr),
          invalid: false,
          stepClass: classify(instr),
        });
        pos += length;
      }
    } finally {
      instr.free();
      decoder.free();
    }
  }
  return out;
}

/** The instruction at `linear` (one decode). */
export function decodeOne(read: LinearReader, linear: number, offset: number, bitness: Bitness): DecodedInstruction {
  return decodeForward(read, linear, offset, bitness, 1)[0];
}

/**
 * Up to `count` instructions that end exactly at `linear` (the ones before
 * it). x86 cannot be decoded backwards, so decode forwards from a few earlier
 * starting points (decoding resynchronises within a few instructions) and
 * keep the first sequence that lands exactly on `linear`; when none does,
 * the preceding bytes are shown one entry each.
 */
export function decodeBackward(read: LinearReader, linear: number, offset: number, bitnessOf: BitnessAt, count: number): DecodedInstruction[] {
  if (count <= 0) return [];
  const bitness = bitnessAt(bitnessOf, linear - 1);
  let span = count * 6 + MAX_LENGTH;
  // Do not go before the start of a 16-bit code segment.
  if (bitness === 16) span = Math.min(span, offset);
  for (let back = span; back > Math.max(0, span - MAX_LENGTH); back--) {
    const start = (linear - back) >>> 0;
    const seq = decodeForward(read, start, (offset - back) & offsetMask(bitness), bitnessOf, back, back);
    const end = seq.length > 0 ? seq[seq.length - 1].linear + seq[seq.length - 1].length : start;
    if (((end - linear) | 0) === 0 && seq.length >= Math.min(count, 1)) return seq.slice(-count);
  }
  const n = Math.min(count, span);
  if (n <= 0) return [];
  const bytes = read((linear - n) >>> 0, n);
  return bytes.map((b, i) => ({
    linear: (linear - n + i) >>> 0,
    offset: (offset - n + i) & offsetMask(bitness),
    length: 1,
    bytes: [b],
    text: b === null ? '??' : `db 0x${b.toString(16).padStart(2, '0')}`,
    invalid: true,
    stepClass: 'other' as const,
  }));
}

/**
 * Whether the bytes just before `linear` are a CALL that ends exactly there
 * (the instruction a return address follows): 'near' (E8, FF /2), 'far' (9A,
 * FF /3), or null when no CALL of 2 to 10 bytes decodes to end at `linear`.
 */
export function callEndingAt(read: LinearReader, linear: number, offset: number, bitness: Bitness): 'near' | 'far' | null {
  const longest = bitness === 16 ? 8 : 10;
  const raw = read((linear - longest) >>> 0, longest);
  for (let back = 2; back <= longest; back++) {
    const bytes = raw.slice(longest - back);
    if (bytes.some((b) => b === null)) continue;
    const decoder = new Decoder(bitness, Uint8Array.from(bytes as number[]), DecoderOptions.None);
    decoder.ip = BigInt(((offset - back) & offsetMask(bitness)) >>> 0);
    const instr = decoder.decode();
    try {
      if (instr.isInvalid || instr.length !== back) continue;
      if (instr.isCallFar || instr.isCallFarIndirect) return 'far';
      if (instr.isCallNear || instr.isCallNearIndirect) return 'near';
    } finally {
      instr.free();
      decoder.free();
    }
  }
  return null;
}
