// Random x86 instructions for the CPU fuzzer, weighted towards valid
// encodings: optional prefixes, an opcode from the one-byte or 0F map, a
// ModRM byte (with SIB and displacement for the addressing size) where the
// opcode has one, and its immediates. A small share is raw random bytes. The
// shapes below are approximate on purpose: a wrong guess only moves the next
// instruction's start, which is itself worth fuzzing.

/** A small, fast, seedable generator (mulberry32). */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next32(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  clone(): Rng {
    return new Rng(this.s);
  }
  /** 0 <= n < bound. */
  below(bound: number): number {
    return Math.floor((this.next32() / 4294967296) * bound);
  }
  chance(p: number): boolean {
    return this.next32() / 4294967296 < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)];
  }
}

/** A seed for stream `stream` of `mode` in the run seeded `seed` (FNV-1a over the three). */
export function streamSeed(seed: number, mode: string, stream: number): number {
  let h = 0x811c9dc5;
  for (const c of `${seed}/${mode}/${stream}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193);
  return h >>> 0;
}

import { INVALID_ENCODINGS } from '../../src/cpu/ops/encodings';

/** Opcodes (0x000-0x1FF) invalid whatever their ModRM: drawn only now and then, or #UD would be most of a stream. */
const ALWAYS_INVALID = new Uint8Array(0x200);
for (const e of INVALID_ENCODINGS) if (e.form === 'always' && e.regs === 0xff) ALWAYS_INVALID[e.index] = 1;

const PREFIXES = [0x66, 0x67, 0xf2, 0xf3, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x66, 0xf0];

function set(...ranges: [number, number][]): Uint8Array {
  const t = new Uint8Array(256);
  for (const [a, b] of ranges) for (let i = a; i <= b; i++) t[i] = 1;
  return t;
}

/** One-byte opcodes with a ModRM byte. */
const MODRM_1 = set([0x00, 0x03], [0x08, 0x0b], [0x10, 0x13], [0x18, 0x1b], [0x20, 0x23], [0x28, 0x2b], [0x30, 0x33],
  [0x38, 0x3b], [0x62, 0x63], [0x69, 0x69], [0x6b, 0x6b], [0x80, 0x8f], [0xc0, 0xc1], [0xc4, 0xc7], [0xd0, 0xd3],
  [0xd8, 0xdf], [0xf6, 0xf7], [0xfe, 0xff]);
/** 0F opcodes without a ModRM byte. */
const NO_MODRM_2 = set([0x05, 0x09], [0x0b, 0x0b], [0x0e, 0x0e], [0x30, 0x37], [0x77, 0x77], [0x80, 0x8f], [0xa0, 0xa2],
  [0xa8, 0xaa], [0xc8, 0xcf]);
/** One-byte opcodes with an 8-bit immediate. */
const IMM8_1 = set([0x04, 0x04], [0x0c, 0x0c], [0x14, 0x14], [0x1c, 0x1c], [0x24, 0x24], [0x2c, 0x2c], [0x34, 0x34],
  [0x3c, 0x3c], [0x6a, 0x6b], [0x70, 0x80], [0x82, 0x83], [0xa8, 0xa8], [0xb0, 0xb7], [0xc0, 0xc1], [0xc6, 0xc6],
  [0xcd, 0xcd], [0xd4, 0xd5], [0xe0, 0xe7], [0xeb, 0xeb]);
/** One-byte opcodes with an operand-size immediate. */
const IMMV_1 = set([0x05, 0x05], [0x0d, 0x0d], [0x15, 0x15], [0x1d, 0x1d], [0x25, 0x25], [0x2d, 0x2d], [0x35, 0x35],
  [0x3d, 0x3d], [0x68, 0x69], [0x81, 0x81], [0xa9, 0xa9], [0xb8, 0xbf], [0xc7, 0xc7], [0xe8, 0xe9]);

export interface GenContext {
  /** The code segment's default size (CS.D). */
  code32: boolean;
}

/** Appends one instruction to `out`; returns its length. */
export function generateInstruction(r: Rng, ctx: GenContext, out: number[]): number {
  const start = out.length;
  if (r.chance(0.04)) {
    // Raw bytes: whatever they decode to.
    const n = 1 + r.below(15);
    for (let i = 0; i < n; i++) out.push(r.below(256));
    return n;
  }
  let opsize32 = ctx.code32;
  let addr32 = ctx.code32;
  if (r.chance(0.3)) {
    const n = r.chance(0.8) ? 1 : 2 + r.below(3);
    for (let i = 0; i < n; i++) {
      const p = r.pick(PREFIXES);
      // LOCK is rare: nearly every use of it is #UD.
      if (p === 0xf0 && !r.chance(0.3)) continue;
      if (p === 0x66) opsize32 = !ctx.code32;
      if (p === 0x67) addr32 = !ctx.code32;
      out.push(p);
    }
  }
  let modrm = false;
  let imm = 0;
  if (r.chance(0.85)) {
    let op = r.below(256);
    while (op === 0x0f || PREFIXES.includes(op)) op = r.below(256);
    out.push(op);
    modrm = MODRM_1[op] === 1;
    if (IMM8_1[op]) imm = 1;
    else if (IMMV_1[op]) imm = opsize32 ? 4 : 2;
    else if (op === 0xc2 || op === 0xca) imm = 2;
    else if (op === 0xc8) imm = 3;
    else if (op === 0x9a || op === 0xea) imm = (opsize32 ? 4 : 2) + 2;
    else if (op >= 0xa0 && op <= 0xa3) imm = addr32 ? 4 : 2;
  } else {
    let op = r.below(256);
    while (ALWAYS_INVALID[0x100 | op] && !r.chance(0.1)) op = r.below(256);
    out.push(0x0f, op);
    if (op === 0x38 || op === 0x3a) out.push(r.below(256));
    modrm = NO_MODRM_2[op] === 0;
    if (op >= 0x80 && op <= 0x8f) imm = opsize32 ? 4 : 2;
    else if (op === 0x3a || op === 0xa4 || op === 0xac || op === 0xba || (op >= 0x70 && op <= 0x73) || (op >= 0xc2 && op <= 0xc6)) imm = 1;
  }
  if (modrm) {
    const mod = r.chance(0.4) ? 3 : r.below(3);
    const rm = r.below(8);
    out.push((mod << 6) | (r.below(8) << 3) | rm);
    if (mod !== 3) {
      if (addr32) {
        let base = rm;
        if (rm === 4) {
          const sib = r.below(256);
          out.push(sib);
          base = sib & 7;
        }
        if (mod === 1) out.push(r.below(256));
        else if (mod === 2 || (mod === 0 && base === 5)) pushN(r, out, 4);
      } else if (mod === 1) out.push(r.below(256));
      else if (mod === 2 || (mod === 0 && rm === 6)) pushN(r, out, 2);
    }
  }
  pushN(r, out, imm);
  // An instruction is at most 15 bytes: longer ones (many prefixes) are #GP, also worth running.
  return out.length - start;
}

function pushN(r: Rng, out: number[], n: number): void {
  for (let i = 0; i < n; i++) out.push(r.chance(0.5) ? r.below(256) : r.pick([0, 0, 1, 0xff, 0x80, 0x7f]));
}
