// Reader for the MOO container of the SingleStepTests CPU vectors
// (../shared/vectors/README.md): a gzip stream of nested chunks, each
// `id: 4 ASCII, len: u32 LE, payload`. Unknown chunk ids are skipped by length
// (the 286 files carry an undocumented GMET chunk inside each TEST); CYCL and
// QUEU are skipped on purpose.

import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';

/** REGS (286) register order: the bit index in the mask is the index here. */
export const REGS_NAMES = ['ax', 'bx', 'cx', 'dx', 'cs', 'ss', 'ds', 'es', 'sp', 'bp', 'si', 'di', 'ip', 'flags'] as const;
/** RG32 (386) register order. */
export const RG32_NAMES = [
  'cr0', 'cr3', 'eax', 'ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp', 'esp',
  'cs', 'ds', 'es', 'fs', 'gs', 'ss', 'eip', 'eflags', 'dr6', 'dr7',
] as const;

/**
 * A register set: `mask` has bit i set when `values[i]` is present (the bit
 * numbering of REGS or RG32, see `wide`). Absent values are 0 in `values`.
 */
export interface MooRegs {
  wide: boolean;
  mask: number;
  values: number[];
}

export interface MooState {
  regs: MooRegs | null;
  /** Physical address / byte value pairs, flattened: [a0, v0, a1, v1, ...]. */
  ram: number[];
  /** Register masks (RMSK / RM32) of this test, FINA only. */
  regMask: MooRegs | null;
}

export interface MooTest {
  index: number;
  name: string;
  bytes: Uint8Array;
  initial: MooState;
  final: MooState;
  /** The exception the CPU took, if any: vector and physical address of the pushed FLAGS. */
  exception: { vector: number; flagAddress: number } | null;
  /** SHA-1 hex of the test (the key of the revocation lists). */
  hash: string;
}

export interface MooFile {
  major: number;
  minor: number;
  /** CPU id from the header, e.g. 'C286', '386E'. */
  cpu: string;
  /** Test count from the MOO header (the META count is unreliable). */
  count: number;
  meta: { opcode: number; mnemonic: string; cpuMode: number } | null;
  /** File-level register masks (RMSK / RM32), if the file has them. */
  regMask: MooRegs | null;
  tests: MooTest[];
}

function chunkId(buf: Buffer, at: number): string {
  return String.fromCharCode(buf[at], buf[at + 1], buf[at + 2], buf[at + 3]);
}

function readRegs(buf: Buffer, at: number, wide: boolean): MooRegs {
  const count = wide ? 20 : 14;
  const values = new Array<number>(count).fill(0);
  let mask: number;
  let p: number;
  if (wide) {
    mask = buf.readUInt32LE(at);
    p = at + 4;
  } else {
    mask = buf.readUInt16LE(at);
    p = at + 2;
  }
  for (let i = 0; i < count; i++) {
    if ((mask >>> i) & 1) {
      if (wide) {
        values[i] = buf.readUInt32LE(p);
        p += 4;
      } else {
        values[i] = buf.readUInt16LE(p);
        p += 2;
      }
    }
  }
  return { wide, mask: mask >>> 0, values };
}

function readRam(buf: Buffer, at: number): number[] {
  const n = buf.readUInt32LE(at);
  const out = new Array<number>(n * 2);
  let p = at + 4;
  for (let i = 0; i < n; i++) {
    out[i * 2] = buf.readUInt32LE(p);
    out[i * 2 + 1] = buf[p + 4];
    p += 5;
  }
  return out;
}

/** Parse an INIT or FINA payload. */
function readState(buf: Buffer, start: number, end: number): MooState {
  const state: MooState = { regs: null, ram: [], regMask: null };
  let p = start;
  while (p + 8 <= end) {
    const id = chunkId(buf, p);
    const len = buf.readUInt32LE(p + 4);
    const body = p + 8;
    switch (id) {
      case 'REGS': state.regs = readRegs(buf, body, false); break;
      case 'RG32': state.regs = readRegs(buf, body, true); break;
      case 'RMSK': state.regMask = readRegs(buf, body, false); break;
      case 'RM32': state.regMask = readRegs(buf, body, true); break;
      case 'RAM ': state.ram = readRam(buf, body); break;
      default: break; // QUEU, EA32, and anything newer
    }
    p = body + len;
  }
  return state;
}

function readTest(buf: Buffer, start: number, end: number): MooTest {
  const empty = (): MooState => ({ regs: null, ram: [], regMask: null });
  const test: MooTest = {
    index: buf.readUInt32LE(start), name: '', bytes: new Uint8Array(0),
    initial: empty(), final: empty(), exception: null, hash: '',
  };
  let p = start + 4;
  while (p + 8 <= end) {
    const id = chunkId(buf, p);
    const len = buf.readUInt32LE(p + 4);
    const body = p + 8;
    switch (id) {
      case 'NAME': test.name = buf.toString('latin1', body + 4, body + 4 + buf.readUInt32LE(body)); break;
      case 'BYTS': test.bytes = Uint8Array.from(buf.subarray(body + 4, body + 4 + buf.readUInt32LE(body))); break;
      case 'INIT': test.initial = readState(buf, body, body + len); break;
      case 'FINA': test.final = readState(buf, body, body + len); break;
      case 'EXCP': test.exception = { vector: buf[body], flagAddress: buf.readUInt32LE(body + 1) }; break;
      case 'HASH': test.hash = buf.toString('hex', body, body + 20); break;
      default: break; // CYCL, GMET, ...
    }
    p = body + len;
  }
  return test;
}

/** Parse a decompressed MOO image. */
export function parseMoo(buf: Buffer): MooFile {
  const file: MooFile = { major: 0, minor: 0, cpu: '', count: 0, meta: null, regMask: null, tests: [] };
  let p = 0;
  while (p + 8 <= buf.length) {
    const id = chunkId(buf, p);
    const len = buf.readUInt32LE(p + 4);
    const body = p + 8;
    if (body + len > buf.length) throw new Error(`MOO: chunk '${id}' at ${p} runs past the end of the data`);
    switch (id) {
      case 'MOO ':
        file.major = buf[body];
        file.minor = buf[body + 1];
        file.count = buf.readUInt32LE(body + 4);
        file.cpu = buf.toString('latin1', body + 8, body + 12);
        break;
      case 'META':
        file.meta = {
          opcode: buf.readUInt32LE(body + 3),
          mnemonic: buf.toString('latin1', body + 7, body + 15).trimEnd(),
          cpuMode: buf[body + 27],
        };
        break;
      case 'RMSK': file.regMask = readRegs(buf, body, false); break;
      case 'RM32': file.regMask = readRegs(buf, body, true); break;
      case 'TEST': file.tests.push(readTest(buf, body, body + len)); break;
      default: break;
    }
    p = body + len;
  }
  return file;
}

/** Read and parse a `.MOO.gz` (or plain `.MOO`) file. */
export function readMooFile(path: string): MooFile {
  const raw = readFileSync(path);
  const buf = raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw;
  return parseMoo(buf);
}
