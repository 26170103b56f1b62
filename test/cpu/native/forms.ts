// The instruction forms the native oracle checks, and the generator of their
// cases: instruction bytes, registers, status flags and a 64-byte data window,
// with random and edge-case operands. Every form also says which flags (and,
// for a few inputs, which registers or bytes) the SDM defines after it: the
// harness compares only those, never the host's value of an undefined flag.
//
// A case is one or more instructions (Insn) run from the same state. Each
// Insn records whether the native 32-bit encoding carries 66h/67h, so the
// harness can re-encode it for 16-bit-default code (66h/67h toggled) and run
// the same operation in a 16-bit code segment too.
//
// Stack instructions run on a stack inside the window: SS flat with ESP =
// DATA_ADDR + offset, or SS a 16-bit segment based at the window (SP =
// offset, the upper half of ESP random and kept).
//
// Memory operands land in the window at DATA_ADDR. FS and GS (and ES when
// `esLdt` is set) are a data segment based at DATA_ADDR, so 16-bit address
// forms always carry an FS or GS override; 32-bit forms use flat DS/ES/SS
// (offset = DATA_ADDR + window offset) or FS/GS (offset = window offset).

export const DATA_ADDR = 0x00200000;
export const CODE_ADDR = 0x00300000;
export const WINDOW = 64;
export const LDT_SELECTOR = 7;
export const IN_SIZE = 128;
export const OUT_SIZE = 112;

export const CF = 0x1, PF = 0x4, AF = 0x10, ZF = 0x40, SF = 0x80, DF = 0x400, OF = 0x800;
export const ALL = CF | PF | AF | ZF | SF | OF;
const NONE = 0;

export const REG32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
const REG16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'];
const REG8 = ['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh'];
export type Size = 8 | 16 | 32;

/** One instruction: `o16`/`a16` true when the 32-bit encoding has 66h/67h, null when the prefix is never emitted. */
export interface Insn {
  pre: number[];
  o16: boolean | null;
  a16: boolean | null;
  body: number[];
}

export function encode(insns: Insn[], code32: boolean): number[] {
  const out: number[] = [];
  for (const i of insns) {
    out.push(...i.pre);
    if (i.o16 !== null && i.o16 === code32) out.push(0x66);
    if (i.a16 !== null && i.a16 === code32) out.push(0x67);
    out.push(...i.body);
  }
  return out;
}

/** xorshift128: deterministic, seeded. */
export class Rng {
  private s = new Uint32Array(4);
  constructor(seed: number) {
    this.s[0] = seed ^ 0x9e3779b9;
    this.s[1] = 0x243f6a88;
    this.s[2] = 0xb7e15162;
    this.s[3] = 0x12345678;
    for (let i = 0; i < 16; i++) this.u32();
  }
  u32(): number {
    const s = this.s;
    let t = s[3];
    t ^= t << 11;
    t ^= t >>> 8;
    s[3] = s[2];
    s[2] = s[1];
    s[1] = s[0];
    s[0] = t ^ s[0] ^ (s[0] >>> 19);
    return s[0];
  }
  int(n: number): number {
    return this.u32() % n;
  }
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  bool(p = 0.5): boolean {
    return this.u32() / 4294967296 < p;
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)];
  }
}

const EDGE = [
  0, 1, 2, 3, 7, 8, 0x0f, 0x10, 0x1f, 0x20, 0x3f, 0x40, 0x7e, 0x7f, 0x80, 0x81, 0xfe, 0xff, 0x100, 0x7ffe, 0x7fff, 0x8000,
  0x8001, 0xfffe, 0xffff, 0x10000, 0x7ffffffe, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff, 0x55555555,
  0xaaaaaaaa, 0x99999999, 0x09090909,
];

export function sizeMask(size: Size): number {
  return size === 32 ? 0xffffffff : (1 << size) - 1;
}

/** An operand value: an edge case (often), a small or random number. */
export function val(r: Rng, size: Size): number {
  const m = sizeMask(size);
  const k = r.int(10);
  if (k < 4) return (r.pick(EDGE) & m) >>> 0;
  if (k === 4) return (size === 32 ? r.range(-40, 40) : r.range(0, 40)) & m;
  if (k === 5) return (1 << r.int(size)) & m; // a single bit
  if (k === 6) return ((-1 << r.int(size)) ^ (r.bool() ? -1 : 0)) & m; // a run of ones
  return (r.u32() & m) >>> 0;
}

/** A register operand or a byte offset in the data window. */
export type Loc = { kind: 'reg'; reg: number } | { kind: 'mem'; off: number };

export class Case {
  readonly regs = new Uint32Array(8);
  flags = 2;
  readonly mem = new Uint8Array(WINDOW);
  insns: Insn[] = [];
  esLdt = false;
  /** 0: the instruction runs on the host stack; 32/16: on a stack in the window, SS flat (32) or a 16-bit segment at the window (16). */
  stack: 0 | 16 | 32 = 0;
  /** Flags the SDM defines after this case (all others are masked). */
  flagMask = ALL;
  /** Bit i: register i is undefined after this case. */
  undefRegs = 0;
  /** Window bytes [lo, hi) undefined after this case. */
  undefMem: [number, number] | null = null;

  constructor(readonly r: Rng) {
    for (let i = 0; i < 8; i++) this.regs[i] = r.u32();
    this.regs[4] = 0; // ESP is the host's; never an operand
    for (let i = 0; i < WINDOW; i++) this.mem[i] = r.u32() & 0xff;
    this.flags = 2 | (r.u32() & ALL) | (r.bool() ? DF : 0);
  }

  getReg(size: Size, i: number): number {
    if (size === 8) return i < 4 ? this.regs[i] & 0xff : (this.regs[i - 4] >>> 8) & 0xff;
    if (size === 16) return this.regs[i] & 0xffff;
    return this.regs[i];
  }
  setReg(size: Size, i: number, v: number): void {
    if (size === 8) {
      if (i < 4) this.regs[i] = (this.regs[i] & ~0xff) | (v & 0xff);
      else this.regs[i - 4] = (this.regs[i - 4] & ~0xff00) | ((v & 0xff) << 8);
    } else if (size === 16) {
      this.regs[i] = (this.regs[i] & ~0xffff) | (v & 0xffff);
    } else {
      this.regs[i] = v;
    }
  }
  getMem(size: Size, off: number): number {
    let v = 0;
    for (let b = 0; b < size / 8; b++) v += this.mem[off + b] * 2 ** (8 * b);
    return v;
  }
  setMem(size: Size, off: number, v: number): void {
    for (let b = 0; b < size / 8; b++) this.mem[off + b] = Math.floor(v / 2 ** (8 * b)) & 0xff;
  }
  getLoc(size: Size, l: Loc): number {
    return l.kind === 'reg' ? this.getReg(size, l.reg) : this.getMem(size, l.off);
  }
  setLoc(size: Size, l: Loc, v: number): void {
    if (l.kind === 'reg') this.setReg(size, l.reg, v);
    else this.setMem(size, l.off, v);
  }
  setFlag(bit: number, on: boolean): void {
    this.flags = on ? this.flags | bit : this.flags & ~bit;
  }
}

/** The full register (0-7) an operand register of `size` lives in. */
function fullReg(size: Size, i: number): number {
  return size === 8 ? i & 3 : i;
}

/** A general register for an operand of `size`, never ESP (AH..BH are fine). */
function pickReg(r: Rng, size: Size, avoid: readonly number[] = []): number {
  for (;;) {
    const i = r.int(8);
    if (size !== 8 && i === 4) continue;
    if (avoid.includes(fullReg(size, i))) continue;
    return i;
  }
}

function le(v: number, bytes: number): number[] {
  const out: number[] = [];
  for (let b = 0; b < bytes; b++) out.push(Math.floor((v >>> 0) / 2 ** (8 * b)) & 0xff);
  return out;
}

function sext8(v: number): number {
  return (v << 24) >> 24;
}

export interface RmOptions {
  /** Full registers that must not carry the address or be the r/m register. */
  avoid?: readonly number[];
  /** Probability of a memory operand (default 0.5); 0 = register only, 1 = memory only. */
  pMem?: number;
  /** Bytes the instruction touches at the operand (default size / 8), to keep it in the window. */
  memBytes?: number;
  /** Window offset of the operand (default random). */
  off?: number;
  /** LEA: any address (no access), ESP allowed as a SIB base. */
  lea?: boolean;
}

export interface Rm {
  pre: number[];
  a16: boolean | null;
  /** ModRM, SIB and displacement bytes. */
  bytes: number[];
  loc: Loc;
}

/**
 * A ModRM operand with reg field `regField`: a register or a memory operand
 * whose address registers and displacement are solved to land in the window.
 * The r/m operand gets a random value (`val`). Call after setting register
 * operands: solving the address overwrites the registers it uses.
 */
export function rm(c: Case, size: Size, regField: number, o: RmOptions = {}): Rm {
  const r = c.r;
  // With a 16-bit SS at the window, an EBP-based (SS) address is not flat: keep EBP out.
  const avoid = c.stack === 16 ? [...(o.avoid ?? []), 5] : o.avoid ?? [];
  if (!r.bool(o.pMem ?? 0.5)) {
    const reg = pickReg(r, size, avoid);
    const loc: Loc = { kind: 'reg', reg };
    c.setLoc(size, loc, val(r, size));
    return { pre: [], a16: null, bytes: [0xc0 | (regField << 3) | reg], loc };
  }
  const n = o.memBytes ?? size / 8;
  const off = o.off ?? r.range(4, WINDOW - 4 - n);
  const okReg = (i: number) => i !== 4 && !avoid.includes(i);
  const a16 = r.bool(0.3);
  let pre: number[];
  let bytes: number[];
  if (a16) {
    // [BX+SI] [BX+DI] [BP+SI] [BP+DI] [SI] [DI] [BP]/[disp16] [BX]; always FS or GS.
    const RM16 = [[3, 6], [3, 7], [5, 6], [5, 7], [6], [7], [5], [3]];
    pre = [r.bool() ? 0x64 : 0x65];
    let mod: number, m: number;
    for (;;) {
      mod = r.int(3);
      m = r.int(8);
      if (mod === 0 && m === 6) break;
      if (RM16[m].every(okReg)) break;
    }
    const disp = mod === 1 ? sext8(r.u32()) : mod === 2 ? r.u32() & 0xffff : 0;
    if (mod === 0 && m === 6) {
      bytes = [(regField << 3) | 6, ...le(off, 2)];
    } else {
      const regs = RM16[m];
      const target = o.lea ? r.u32() & 0xffff : off;
      let rest = target - disp;
      if (regs.length === 2) {
        const second = o.lea ? r.u32() : r.bool(0.3) ? r.pick(EDGE) : r.u32();
        c.regs[regs[1]] = second >>> 0;
        rest -= second;
      }
      c.regs[regs[0]] = ((r.u32() & 0xffff0000) | (rest & 0xffff)) >>> 0;
      bytes = [(mod << 6) | (regField << 3) | m];
      if (mod === 1) bytes.push(disp & 0xff);
      if (mod === 2) bytes.push(...le(disp, 2));
    }
  } else {
    // Segment: flat DS (none), a flat override, or FS/GS based at the window.
    const k = r.int(10);
    pre = k < 5 ? [] : k < 7 ? [0x64] : k < 9 ? [0x65] : [r.pick(c.stack === 16 ? [0x26, 0x3e] : [0x26, 0x36, 0x3e])];
    if (pre[0] === 0x26 && c.esLdt) pre = [0x3e];
    const based = pre[0] === 0x64 || pre[0] === 0x65;
    const target = o.lea ? r.u32() : based ? off : DATA_ADDR + off;
    const sib = r.bool(0.45);
    let mod = r.int(3);
    const dispFor = (m: number) => (m === 1 ? sext8(r.u32()) : m === 2 ? r.u32() | 0 : 0);
    if (!sib) {
      let m: number;
      do m = r.int(8); while (m === 4 || (!(mod === 0 && m === 5) && !okReg(m)));
      if (mod === 0 && m === 5) {
        bytes = [(regField << 3) | 5, ...le(target, 4)];
      } else {
        const disp = dispFor(mod);
        c.regs[m] = (target - disp) >>> 0;
        bytes = [(mod << 6) | (regField << 3) | m];
        if (mod === 1) bytes.push(disp & 0xff);
        if (mod === 2) bytes.push(...le(disp, 4));
      }
    } else {
      const scale = r.int(4);
      let base: number, index: number;
      const baseOk = (i: number) => (i === 5 && mod === 0) || (o.lea ? !avoid.includes(i) : okReg(i));
      do base = r.int(8); while (!baseOk(base));
      do index = r.int(8); while (index !== 4 && !okReg(index));
      const noBase = base === 5 && mod === 0;
      // ESP as base (LEA only) has a value only the host knows: let it be, any address will do.
      if (!noBase && index !== 4 && base === index) mod = 2; // v * (1 + 2^s) + disp32 = target
      let disp = noBase ? 0 : dispFor(mod);
      const indexVal = index === 4 ? 0 : o.lea || r.bool(0.5) ? r.u32() : r.bool() ? r.range(0, 16) : r.pick(EDGE);
      if (index !== 4) c.regs[index] = indexVal >>> 0;
      const scaled = Math.imul(indexVal, 1 << scale);
      if (noBase) {
        disp = (target - scaled) | 0;
      } else if (base === index) {
        disp = (target - scaled - indexVal) | 0;
      } else if (base !== 4) {
        c.regs[base] = (target - scaled - disp) >>> 0;
      }
      bytes = [(mod << 6) | (regField << 3) | 4, (scale << 6) | (index << 3) | base];
      if (mod === 1) bytes.push(disp & 0xff);
      if (mod === 2 || noBase) bytes.push(...le(disp, 4));
    }
  }
  const loc: Loc = { kind: 'mem', off };
  if (!o.lea) c.setLoc(size, loc, val(r, size));
  return { pre, a16, bytes, loc };
}

export interface Form {
  group: string;
  name: string;
  /** Cases per form (before the scale factor). */
  cases: number;
  /** Fill the case; false: these operands are not wanted (e.g. a divide fault), draw again. */
  gen(c: Case): boolean | void;
}

export const FORMS: Form[] = [];
const BASE_CASES = 2000;
/** Even the simplest form gets this many cases. */
const MIN_CASES = 1000;

function form(group: string, name: string, gen: (c: Case) => boolean | void, cases = BASE_CASES): void {
  FORMS.push({ group, name, cases: Math.max(cases, MIN_CASES), gen });
}

const o16 = (size: Size): boolean | null => (size === 8 ? null : size === 16);
const imm = (size: Size, v: number) => le(v, size / 8);
const regName = (size: Size, i: number) => (size === 8 ? REG8 : size === 16 ? REG16 : REG32)[i];

/** Gv/Gb reg field, Ev/Eb r/m, optional immediate. `E,G` and `G,E` only differ in the opcode. */
function formEG(
  group: string, name: string, op: number[], size: Size, mask: number,
  o: { imm?: 'b' | 'z'; regField?: number; rm?: RmOptions; setup?: (c: Case, m: Rm, g: number) => void; mask?: (c: Case, m: Rm, g: number) => number } = {},
  cases = BASE_CASES,
): void {
  form(group, name, (c) => {
    let g = -1;
    if (o.regField === undefined) {
      g = pickReg(c.r, size);
      c.setReg(size, g, val(c.r, size));
    }
    const avoid = [...(o.rm?.avoid ?? [])];
    if (g >= 0 && c.r.bool(0.85)) avoid.push(fullReg(size, g));
    const m = rm(c, size, o.regField ?? g, { ...o.rm, avoid });
    let tail: number[] = [];
    if (o.imm === 'b') tail = [val(c.r, 8)];
    else if (o.imm === 'z') tail = imm(size === 8 ? 8 : size, val(c.r, size));
    c.insns = [{ pre: m.pre, o16: o16(size), a16: m.a16, body: [...op, ...m.bytes, ...tail] }];
    o.setup?.(c, m, g);
    c.flagMask = o.mask ? o.mask(c, m, g) : mask;
  }, cases);
}

/** Accumulator with an immediate (04, 05, A8, A9 ...). */
function formAccImm(group: string, name: string, op: number, size: Size, mask: number): void {
  form(group, name, (c) => {
    c.setReg(size, 0, val(c.r, size));
    c.insns = [{ pre: [], o16: o16(size), a16: null, body: [op, ...imm(size, val(c.r, size))] }];
    c.flagMask = mask;
  });
}

/** An instruction with no operands but implicit registers. */
function formPlain(group: string, name: string, body: number[], size: Size, mask: number, setup?: (c: Case) => void, cases = BASE_CASES): void {
  form(group, name, (c) => {
    setup?.(c);
    c.insns = [{ pre: [], o16: o16(size), a16: null, body }];
    c.flagMask = mask;
  }, cases);
}

const SIZES_V: Size[] = [16, 32];
const SIZES: Size[] = [8, 16, 32];

// ---------------------------------------------------------------------------
// ALU: ADD OR ADC SBB AND SUB XOR CMP
// ---------------------------------------------------------------------------
const ALU = ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp'];
for (let op = 0; op < 8; op++) {
  const n = ALU[op];
  const mask = op === 1 || op === 4 || op === 6 ? ALL & ~AF : ALL; // logic: AF undefined
  formEG('alu', `${n} r/m8,r8`, [op * 8], 8, mask);
  for (const s of SIZES_V) formEG('alu', `${n} r/m${s},r${s}`, [op * 8 + 1], s, mask);
  formEG('alu', `${n} r8,r/m8`, [op * 8 + 2], 8, mask);
  for (const s of SIZES_V) formEG('alu', `${n} r${s},r/m${s}`, [op * 8 + 3], s, mask);
  formAccImm('alu', `${n} al,imm8`, op * 8 + 4, 8, mask);
  for (const s of SIZES_V) formAccImm('alu', `${n} ${regName(s, 0)},imm${s}`, op * 8 + 5, s, mask);
  formEG('alu', `${n} r/m8,imm8 (80)`, [0x80], 8, mask, { regField: op, imm: 'z' });
  formEG('alu', `${n} r/m8,imm8 (82)`, [0x82], 8, mask, { regField: op, imm: 'z' }, 300);
  for (const s of SIZES_V) formEG('alu', `${n} r/m${s},imm${s} (81)`, [0x81], s, mask, { regField: op, imm: 'z' });
  for (const s of SIZES_V) formEG('alu', `${n} r/m${s},simm8 (83)`, [0x83], s, mask, { regField: op, imm: 'b' });
}

// ---------------------------------------------------------------------------
// INC DEC NEG NOT TEST
// ---------------------------------------------------------------------------
for (const [n, f] of [['inc', 0], ['dec', 1]] as const) {
  for (const s of SIZES_V) {
    form('unary', `${n} r${s} (${(0x40 + f * 8).toString(16)}+r)`, (c) => {
      const g = pickReg(c.r, s);
      c.setReg(s, g, val(c.r, s));
      c.insns = [{ pre: [], o16: o16(s), a16: null, body: [0x40 + f * 8 + g] }];
      c.flagMask = ALL;
    });
  }
  formEG('unary', `${n} r/m8`, [0xfe], 8, ALL, { regField: f });
  for (const s of SIZES_V) formEG('unary', `${n} r/m${s}`, [0xff], s, ALL, { regField: f });
}
for (const s of SIZES) {
  const op = s === 8 ? 0xf6 : 0xf7;
  formEG('unary', `not r/m${s}`, [op], s, ALL, { regField: 2 });
  formEG('unary', `neg r/m${s}`, [op], s, ALL, { regField: 3 });
  formEG('unary', `test r/m${s},imm${s}`, [op], s, ALL & ~AF, { regField: 0, imm: 'z' });
  formEG('unary', `test r/m${s},r${s}`, [s === 8 ? 0x84 : 0x85], s, ALL & ~AF);
  formAccImm('unary', `test ${regName(s, 0)},imm${s}`, s === 8 ? 0xa8 : 0xa9, s, ALL & ~AF);
}

// ---------------------------------------------------------------------------
// MUL IMUL DIV IDIV
// ---------------------------------------------------------------------------
for (const s of SIZES) {
  const op = s === 8 ? 0xf6 : 0xf7;
  const setAcc = (c: Case) => c.setReg(s, 0, val(c.r, s));
  formEG('mul', `mul r/m${s}`, [op], s, CF | OF, { regField: 4, setup: setAcc, rm: { avoid: [0] } });
  formEG('mul', `imul r/m${s}`, [op], s, CF | OF, { regField: 5, setup: setAcc, rm: { avoid: [0] } });
}
for (const s of SIZES_V) {
  formEG('mul', `imul r${s},r/m${s} (0F AF)`, [0x0f, 0xaf], s, CF | OF);
  formEG('mul', `imul r${s},r/m${s},imm${s} (69)`, [0x69], s, CF | OF, { imm: 'z' });
  formEG('mul', `imul r${s},r/m${s},simm8 (6B)`, [0x6b], s, CF | OF, { imm: 'b' });
}

function bigRandom(r: Rng, bits: number, signed: boolean): bigint {
  // An edge or random value of `bits` bits, as a (signed) bigint.
  let v = 0n;
  const k = r.int(6);
  if (k === 0) v = BigInt(r.pick(EDGE)) & ((1n << BigInt(bits)) - 1n);
  else if (k === 1) v = BigInt(r.range(0, 20));
  else if (k === 2) v = (1n << BigInt(bits)) - 1n - BigInt(r.range(0, 3));
  else if (k === 3) v = 1n << BigInt(r.int(bits));
  else for (let b = 0; b < bits; b += 32) v |= BigInt(r.u32()) << BigInt(b);
  v &= (1n << BigInt(bits)) - 1n;
  if (signed && v >= 1n << BigInt(bits - 1)) v -= 1n << BigInt(bits);
  return v;
}

for (const s of SIZES) {
  for (const signed of [false, true]) {
    const n = signed ? 'idiv' : 'div';
    form('div', `${n} r/m${s}`, (c) => {
      const r = c.r;
      // The dividend lives in AX (8-bit) or eDX:eAX; the divisor elsewhere.
      const m = rm(c, s, signed ? 7 : 6, { avoid: [0, 2] });
      if (m.loc.kind === 'reg' && (s === 8 ? m.loc.reg === 4 : false)) return false; // AH is part of AX
      const S = BigInt(s);
      const full = 1n << S;
      let d = bigRandom(r, s, signed);
      if (d === 0n) d = 1n;
      let rem: bigint;
      const absD = d < 0n ? -d : d;
      // Quotient: the extremes often (they are where the overflow check bites), else random.
      const qLo = signed ? -(full >> 1n) : 0n, qHi = signed ? (full >> 1n) - 1n : full - 1n;
      const k = r.int(4);
      const q = k === 0 ? qHi : k === 1 ? qLo : bigRandom(r, s, signed);
      rem = absD === 1n ? 0n : BigInt(r.u32()) % absD;
      let dividend = q * d;
      if (dividend < 0n || (dividend === 0n && signed && r.bool())) rem = -rem;
      dividend += rem;
      // Truncating division gives back q and rem only when the signs agree; check.
      const W = 2n * S;
      if (signed ? dividend < -(1n << (W - 1n)) || dividend >= 1n << (W - 1n) : dividend < 0n || dividend >= 1n << W) return false;
      const tq = dividend / d; // bigint division truncates
      if (tq < qLo || tq > qHi) return false;
      const uDividend = dividend < 0n ? dividend + (1n << W) : dividend;
      const uD = d < 0n ? d + full : d;
      c.setLoc(s, m.loc, Number(uD));
      if (s === 8) {
        c.setReg(16, 0, Number(uDividend));
      } else {
        c.setReg(s, 0, Number(uDividend & (full - 1n)));
        c.setReg(s, 2, Number(uDividend >> S));
      }
      c.insns = [{ pre: m.pre, o16: o16(s), a16: m.a16, body: [s === 8 ? 0xf6 : 0xf7, ...m.bytes] }];
      c.flagMask = NONE;
      return true;
    });
  }
}

// ---------------------------------------------------------------------------
// Shifts and rotates
// ---------------------------------------------------------------------------
const SHIFTS = ['rol', 'ror', 'rcl', 'rcr', 'shl', 'shr', '', 'sar'];

/** A shift count: every masked value and a few beyond 31. */
function shiftCount(r: Rng): number {
  return r.bool(0.85) ? r.int(32) : r.range(32, 255);
}

/** Defined flags after shift/rotate `op` of a `size` operand by `count` (SDM SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR). */
export function shiftMask(op: number, size: Size, count: number): number {
  const c = count & 31;
  if (c === 0) return ALL; // nothing changes
  if (op < 4) return c === 1 ? ALL : ALL & ~OF; // rotates: CF (and OF if 1); SF ZF AF PF untouched
  let m = SF | ZF | PF | CF;
  if (c === 1) m |= OF;
  if ((op === 4 || op === 5) && c >= size) m &= ~CF; // SHL/SHR: CF undefined when count >= width
  return m;
}

for (let op = 0; op < 8; op++) {
  if (op === 6) continue;
  const n = SHIFTS[op];
  for (const s of SIZES) {
    const b = s === 8 ? 0 : 1;
    formEG('shift', `${n} r/m${s},1`, [0xd0 + b], s, ALL, { regField: op, mask: () => shiftMask(op, s, 1) }, 600);
    formEG('shift', `${n} r/m${s},cl`, [0xd2 + b], s, ALL, {
      regField: op, rm: { avoid: [1] },
      setup: (c) => c.setReg(8, 1, shiftCount(c.r)),
      mask: (c) => shiftMask(op, s, c.getReg(8, 1)),
    });
    formEG('shift', `${n} r/m${s},imm8`, [0xc0 + b], s, ALL, {
      regField: op,
      setup: (c) => {
        const body = c.insns[0].body;
        body[body.length - 1] = shiftCount(c.r);
      },
      mask: (c) => shiftMask(op, s, c.insns[0].body[c.insns[0].body.length - 1]),
      imm: 'b',
    });
  }
}

// SHLD/SHRD: count masked to 5 bits; a 16-bit count above 16 leaves the result and flags undefined.
function shldMask(c: Case, size: Size, count: number, m: Rm): number {
  const k = count & 31;
  if (k === 0) return ALL;
  if (k > size) {
    if (m.loc.kind === 'reg') c.undefRegs |= 1 << m.loc.reg;
    else c.undefMem = [m.loc.off, m.loc.off + size / 8];
    return NONE;
  }
  return k === 1 ? CF | SF | ZF | PF | OF : CF | SF | ZF | PF;
}
for (const [n, op] of [['shld', 0xa4], ['shrd', 0xac]] as const) {
  for (const s of SIZES_V) {
    formEG('shld', `${n} r/m${s},r${s},imm8`, [0x0f, op], s, ALL, {
      imm: 'b',
      setup: (c) => {
        const body = c.insns[0].body;
        body[body.length - 1] = shiftCount(c.r);
      },
      mask: (c, m) => shldMask(c, s, c.insns[0].body[c.insns[0].body.length - 1], m),
    }, 2500);
    formEG('shld', `${n} r/m${s},r${s},cl`, [0x0f, op + 1], s, ALL, {
      rm: { avoid: [1] },
      setup: (c, _m, g) => {
        if (g !== 1) c.setReg(8, 1, shiftCount(c.r));
      },
      mask: (c, m) => shldMask(c, s, c.getReg(8, 1), m),
    }, 2500);
  }
}

// ---------------------------------------------------------------------------
// BT BTS BTR BTC, BSF BSR
// ---------------------------------------------------------------------------
const BTS = ['bt', 'bts', 'btr', 'btc'];
for (let i = 0; i < 4; i++) {
  for (const s of SIZES_V) {
    // Register bit offset: with a memory operand it selects any bit of the
    // bit string, so keep the string inside the window around the operand.
    form('bits', `${BTS[i]} r/m${s},r${s}`, (c) => {
      const r = c.r;
      const g = pickReg(r, s);
      const off = 24;
      const m = rm(c, s, g, { avoid: [fullReg(s, g)], off });
      let bit: number;
      if (m.loc.kind === 'reg') bit = r.bool(0.3) ? val(r, s) : r.int(s);
      else {
        const units = r.range(-Math.floor(off / (s / 8)), Math.floor((WINDOW - off) / (s / 8)) - 1);
        bit = units * s + r.int(s);
      }
      c.setReg(s, g, (c.getReg(s, g) & ~sizeMask(s)) | (bit & sizeMask(s)));
      c.insns = [{ pre: m.pre, o16: o16(s), a16: m.a16, body: [0x0f, 0xa3 + i * 8, ...m.bytes] }];
      c.flagMask = CF | ZF;
    });
    formEG('bits', `${BTS[i]} r/m${s},imm8`, [0x0f, 0xba], s, CF | ZF, { regField: 4 + i, imm: 'b' });
  }
}
for (const [n, op] of [['bsf', 0xbc], ['bsr', 0xbd]] as const) {
  for (const s of SIZES_V) {
    formEG('bits', `${n} r${s},r/m${s}`, [0x0f, op], s, ZF, {
      setup: (c, m) => {
        if (c.r.bool(0.1)) c.setLoc(s, m.loc, 0);
      },
      mask: (c, m, g) => {
        if (c.getLoc(s, m.loc) === 0) c.undefRegs |= 1 << g; // destination undefined for a zero source
        return ZF;
      },
    });
  }
}

// ---------------------------------------------------------------------------
// Data movement: MOV XCHG MOVZX MOVSX BSWAP XLAT
// ---------------------------------------------------------------------------
for (const s of SIZES) {
  const b = s === 8 ? 0 : 1;
  formEG('move', `mov r/m${s},r${s}`, [0x88 + b], s, ALL, {}, 500);
  formEG('move', `mov r${s},r/m${s}`, [0x8a + b], s, ALL, {}, 500);
  formEG('move', `mov r/m${s},imm${s}`, [0xc6 + b], s, ALL, { regField: 0, imm: 'z' }, 500);
  formEG('move', `xchg r/m${s},r${s}`, [0x86 + b], s, ALL, {}, 500);
  form('move', `mov r${s},imm${s} (${s === 8 ? 'B0' : 'B8'}+r)`, (c) => {
    const g = pickReg(c.r, s);
    c.insns = [{ pre: [], o16: o16(s), a16: null, body: [(s === 8 ? 0xb0 : 0xb8) + g, ...imm(s, val(c.r, s))] }];
    c.flagMask = ALL;
  }, 500);
  // MOV AL/eAX <-> moffs.
  for (const dir of [0, 2]) {
    form('move', dir === 0 ? `mov ${regName(s, 0)},moffs` : `mov moffs,${regName(s, 0)}`, (c) => {
      const r = c.r;
      const off = r.range(0, WINDOW - s / 8);
      c.setMem(s, off, val(r, s));
      c.setReg(s, 0, val(r, s));
      const a16 = r.bool(0.3);
      const seg = a16 || r.bool() ? [r.bool() ? 0x64 : 0x65] : [];
      const addr = seg.length ? off : DATA_ADDR + off;
      c.insns = [{ pre: seg, o16: o16(s), a16, body: [0xa0 + dir + b, ...le(addr, a16 ? 2 : 4)] }];
      c.flagMask = ALL;
    }, 500);
  }
}
for (const s of SIZES_V) {
  form('move', `xchg ${regName(s, 0)},r${s} (90+r)`, (c) => {
    const g = pickReg(c.r, s, [0]);
    c.insns = [{ pre: [], o16: o16(s), a16: null, body: [0x90 + g] }];
    c.flagMask = ALL;
  }, 500);
  for (const [n, op] of [['movzx', 0xb6], ['movsx', 0xbe]] as const) {
    for (const src of [8, 16] as const) {
      form('move', `${n} r${s},r/m${src}`, (c) => {
        const g = pickReg(c.r, s);
        const m = rm(c, src, g, { avoid: c.r.bool(0.85) ? [g] : [] });
        c.insns = [{ pre: m.pre, o16: o16(s), a16: m.a16, body: [0x0f, op + (src === 16 ? 1 : 0), ...m.bytes] }];
        c.flagMask = ALL;
      });
    }
  }
}
form('move', 'bswap r32', (c) => {
  const g = pickReg(c.r, 32);
  c.insns = [{ pre: [], o16: false, a16: null, body: [0x0f, 0xc8 + g] }];
  c.flagMask = ALL;
});
form('move', 'xlat', (c) => {
  const r = c.r;
  const al = r.int(256);
  c.setReg(8, 0, al);
  const target = r.range(0, WINDOW - 1);
  const a16 = r.bool(0.3);
  const seg = a16 || r.bool() ? [r.bool() ? 0x64 : 0x65] : [];
  const ebx = ((seg.length ? target : DATA_ADDR + target) - al) >>> 0;
  if (a16) c.regs[3] = ((r.u32() & 0xffff0000) | (ebx & 0xffff)) >>> 0;
  else c.regs[3] = ebx;
  c.insns = [{ pre: seg, o16: null, a16, body: [0xd7] }];
  c.flagMask = ALL;
});

// ---------------------------------------------------------------------------
// Conditions: SETcc CMOVcc Jcc LOOPcc JeCXZ
// ---------------------------------------------------------------------------
const CC = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];
/** `inc al`: the instruction a taken branch skips (two bytes in every mode). */
const INC_AL: Insn = { pre: [], o16: null, a16: null, body: [0xfe, 0xc0] };
for (let cc = 0; cc < 16; cc++) {
  formEG('cond', `set${CC[cc]} r/m8`, [0x0f, 0x90 + cc], 8, ALL, { regField: 0 }, 500);
  for (const s of SIZES_V) formEG('cond', `cmov${CC[cc]} r${s},r/m${s}`, [0x0f, 0x40 + cc], s, ALL, {}, 500);
  form('cond', `j${CC[cc]} rel8`, (c) => {
    c.insns = [{ pre: [], o16: null, a16: null, body: [0x70 + cc, 2] }, INC_AL];
    c.flagMask = ALL;
  }, 300);
  form('cond', `j${CC[cc]} rel32`, (c) => {
    // rel32 only: a 16-bit branch in 32-bit code would truncate EIP natively.
    c.insns = [{ pre: [], o16: false, a16: null, body: [0x0f, 0x80 + cc, 2, 0, 0, 0] }, INC_AL];
    c.flagMask = ALL;
  }, 300);
}
for (const [n, op] of [['loopne', 0xe0], ['loope', 0xe1], ['loop', 0xe2], ['jecxz', 0xe3]] as const) {
  for (const a16 of [false, true]) {
    form('cond', `${n} rel8 (a${a16 ? 16 : 32})`, (c) => {
      const r = c.r;
      const k = r.int(4);
      const cx = k === 0 ? 0 : k === 1 ? 1 : k === 2 ? r.range(2, 3) : r.u32();
      c.regs[1] = a16 ? ((r.u32() & 0xffff0000) | (cx & 0xffff)) >>> 0 : cx >>> 0;
      c.insns = [{ pre: [], o16: null, a16, body: [op, 2] }, INC_AL];
      c.flagMask = ALL;
    }, 500);
  }
}

// ---------------------------------------------------------------------------
// XADD CMPXCHG
// ---------------------------------------------------------------------------
for (const s of SIZES) {
  const b = s === 8 ? 0 : 1;
  formEG('xchg', `xadd r/m${s},r${s}`, [0x0f, 0xc0 + b], s, ALL);
  formEG('xchg', `cmpxchg r/m${s},r${s}`, [0x0f, 0xb0 + b], s, ALL, {
    setup: (c, m) => {
      if (c.r.bool()) c.setLoc(s, m.loc, c.getReg(s, 0)); // equal: the exchange happens
    },
  });
}

// ---------------------------------------------------------------------------
// Conversions and flag instructions
// ---------------------------------------------------------------------------
const randAcc = (c: Case) => {
  c.setReg(32, 0, val(c.r, 32));
  if (c.r.bool()) c.setReg(16, 0, val(c.r, 16));
  if (c.r.bool()) c.setReg(8, 0, val(c.r, 8));
};
formPlain('convert', 'cbw', [0x98], 16, ALL, randAcc);
formPlain('convert', 'cwde', [0x98], 32, ALL, randAcc);
formPlain('convert', 'cwd', [0x99], 16, ALL, randAcc);
formPlain('convert', 'cdq', [0x99], 32, ALL, randAcc);
formPlain('convert', 'lahf', [0x9f], 8, ALL, undefined, 500);
formPlain('convert', 'sahf', [0x9e], 8, ALL, (c) => c.setReg(8, 4, c.r.u32()), 500);
formPlain('convert', 'cmc', [0xf5], 8, ALL, undefined, 200);
formPlain('convert', 'clc', [0xf8], 8, ALL, undefined, 200);
formPlain('convert', 'stc', [0xf9], 8, ALL, undefined, 200);
formPlain('convert', 'cld', [0xfc], 8, ALL, undefined, 200);
formPlain('convert', 'std', [0xfd], 8, ALL, undefined, 200);

// ---------------------------------------------------------------------------
// BCD: DAA DAS AAA AAS AAM AAD
// ---------------------------------------------------------------------------
const bcdAl = (c: Case) => {
  const r = c.r;
  c.setReg(8, 0, r.bool(0.3) ? r.pick([0x00, 0x09, 0x0a, 0x0f, 0x10, 0x19, 0x1a, 0x7f, 0x80, 0x99, 0x9a, 0x9f, 0xa0, 0xf9, 0xfa, 0xff]) : r.int(256));
  c.setReg(8, 4, r.int(256));
};
formPlain('bcd', 'daa', [0x27], 8, ALL & ~OF, bcdAl, 3000);
formPlain('bcd', 'das', [0x2f], 8, ALL & ~OF, bcdAl, 3000);
formPlain('bcd', 'aaa', [0x37], 8, CF | AF, bcdAl, 3000);
formPlain('bcd', 'aas', [0x3f], 8, CF | AF, bcdAl, 3000);
form('bcd', 'aam imm8', (c) => {
  bcdAl(c);
  const base = c.r.bool() ? 10 : c.r.range(1, 255);
  c.insns = [{ pre: [], o16: null, a16: null, body: [0xd4, base] }];
  c.flagMask = SF | ZF | PF;
}, 3000);
form('bcd', 'aad imm8', (c) => {
  bcdAl(c);
  const base = c.r.bool() ? 10 : c.r.int(256);
  c.insns = [{ pre: [], o16: null, a16: null, body: [0xd5, base] }];
  c.flagMask = SF | ZF | PF;
}, 3000);

// ---------------------------------------------------------------------------
// LEA: every ModRM/SIB address form, 16- and 32-bit addresses and operands
// ---------------------------------------------------------------------------
for (const s of SIZES_V) {
  form('lea', `lea r${s},m`, (c) => {
    const g = pickReg(c.r, s);
    const m = rm(c, s, g, { pMem: 1, lea: true, avoid: c.r.bool(0.8) ? [g] : [] });
    c.insns = [{ pre: m.pre, o16: o16(s), a16: m.a16, body: [0x8d, ...m.bytes] }];
    c.flagMask = ALL;
  }, 6000);
}

// ---------------------------------------------------------------------------
// String instructions: MOVS CMPS STOS LODS SCAS, with REP/REPE/REPNE
// ---------------------------------------------------------------------------
const STR = [
  { n: 'movs', op: 0xa4, src: true, dst: true },
  { n: 'cmps', op: 0xa6, src: true, dst: true },
  { n: 'stos', op: 0xaa, src: false, dst: true },
  { n: 'lods', op: 0xac, src: true, dst: false },
  { n: 'scas', op: 0xae, src: false, dst: true },
];
const SFX = { 8: 'b', 16: 'w', 32: 'd' } as const;
for (const st of STR) {
  const compares = st.n === 'cmps' || st.n === 'scas';
  const reps = compares ? [0, 0xf3, 0xf2] : [0, 0xf3];
  for (const s of SIZES) {
    for (const rep of reps) {
      for (const a16 of [false, true]) {
        const pfx = rep === 0 ? '' : rep === 0xf3 ? (compares ? 'repe ' : 'rep ') : 'repne ';
        form('string', `${pfx}${st.n}${SFX[s]} (a${a16 ? 16 : 32})`, (c) => {
          const r = c.r;
          const w = s / 8;
          const count = rep ? r.int(6) : 1;
          const n = Math.max(count, 1);
          const down = (c.flags & DF) !== 0;
          const start = () => (down ? r.range((n - 1) * w, WINDOW - w) : r.range(0, WINDOW - n * w));
          const p = start(), q = start();
          const pre: number[] = [];
          if (rep) pre.push(rep);
          // Source DS:eSI (FS/GS override for 16-bit addresses), destination ES:eDI (ES = LDT segment for 16-bit).
          const srcSeg = a16 || r.bool(0.3) ? r.pick([0x64, 0x65]) : -1;
          if (st.src && srcSeg >= 0) pre.push(srcSeg);
          c.esLdt = a16 || r.bool(0.3);
          const set = (reg: number, v: number) => {
            c.regs[reg] = a16 ? ((r.u32() & 0xffff0000) | (v & 0xffff)) >>> 0 : v >>> 0;
          };
          if (st.src) set(6, srcSeg >= 0 ? p : DATA_ADDR + p);
          if (st.dst) set(7, c.esLdt ? q : DATA_ADDR + q);
          if (rep) set(1, count);
          // Make comparisons match for a while: copy and maybe spoil one element.
          const from = (x: number) => (down ? x - (n - 1) * w : x);
          if (st.n === 'cmps' && r.bool(0.7)) {
            const src = c.mem.slice(from(p), from(p) + n * w);
            c.mem.set(src, from(q));
            if (r.bool(0.5)) c.mem[from(q) + r.int(n * w)] ^= 1 << r.int(8);
          }
          if (st.n === 'scas' && r.bool(0.7)) {
            const v = c.getReg(s, 0);
            for (let e = 0; e < n; e++) c.setMem(s, from(q) + e * w, r.bool(0.8) ? v : val(r, s));
          }
          c.insns = [{ pre, o16: o16(s), a16, body: [st.op + (s === 8 ? 0 : 1)] }];
          c.flagMask = ALL;
        }, 800);
      }
    }
  }
}


// ---------------------------------------------------------------------------
// Stack: PUSH POP PUSHA POPA PUSHF POPF ENTER LEAVE, on a stack in the window
// ---------------------------------------------------------------------------

/** Put SS:eSP in the window at `off` (16-bit SS a third of the time). */
function stackAt(c: Case, off: number): void {
  c.stack = c.r.bool(0.33) ? 16 : 32;
  c.regs[4] = c.stack === 16 ? ((c.r.u32() & 0xffff0000) | off) >>> 0 : DATA_ADDR + off;
}
/** A stack-relative pointer register (EBP for ENTER/LEAVE) at window offset `off`, like eSP. */
function stackPointer(c: Case, reg: number, off: number): void {
  c.regs[reg] = c.stack === 16 ? ((c.r.u32() & 0xffff0000) | off) >>> 0 : DATA_ADDR + off;
}

for (const s of SIZES_V) {
  const w = s / 8;
  form('stack', `push r${s} (50+r)`, (c) => {
    stackAt(c, c.r.range(8, WINDOW - 4));
    const g = c.r.int(8); // ESP included: the value before the push
    c.insns = [{ pre: [], o16: o16(s), a16: null, body: [0x50 + g] }];
  }, 800);
  form('stack', `pop r${s} (58+r)`, (c) => {
    stackAt(c, c.r.range(0, WINDOW - 8));
    const g = c.r.int(8); // POP eSP: the popped value wins
    c.insns = [{ pre: [], o16: o16(s), a16: null, body: [0x58 + g] }];
  }, 800);
  form('stack', `push imm${s} (68)`, (c) => {
    stackAt(c, c.r.range(8, WINDOW - 4));
    c.insns = [{ pre: [], o16: o16(s), a16: null, body: [0x68, ...imm(s, val(c.r, s))] }];
  }, 500);
  form('stack', `push simm8 (6A), o${s}`, (c) => {
    stackAt(c, c.r.range(8, WINDOW - 4));
    c.insns = [{ pre: [], o16: o16(s), a16: null, body: [0x6a, val(c.r, 8)] }];
  }, 500);
  form('stack', `push r/m${s} (FF /6)`, (c) => {
    stackAt(c, c.r.range(8, WINDOW - 4));
    const m = rm(c, s, 6);
    c.insns = [{ pre: m.pre, o16: o16(s), a16: m.a16, body: [0xff, ...m.bytes] }];
  });
  form('stack', `pop r/m${s} (8F /0)`, (c) => {
    stackAt(c, c.r.range(0, WINDOW - 8));
    const m = rm(c, s, 0);
    c.insns = [{ pre: m.pre, o16: o16(s), a16: m.a16, body: [0x8f, ...m.bytes] }];
  });
  form('stack', s === 16 ? 'pusha' : 'pushad', (c) => {
    stackAt(c, c.r.range(8 * w, WINDOW));
    c.insns = [{ pre: [], o16: o16(s), a16: null, body: [0x60] }];
  }, 500);
  form('stack', s === 16 ? 'popa' : 'popad', (c) => {
    stackAt(c, c.r.range(0, WINDOW - 8 * w));
    c.insns = [{ pre: [], o16: o16(s), a16: null, body: [0x61] }];
  }, 500);
  form('stack', s === 16 ? 'pushf' : 'pushfd', (c) => {
    stackAt(c, c.r.range(8, WINDOW - 4));
    c.insns = [{ pre: [], o16: o16(s), a16: null, body: [0x9c] }];
  }, 500);
  form('stack', s === 16 ? 'popf' : 'popfd', (c) => {
    const off = c.r.range(0, WINDOW - 8);
    stackAt(c, off);
    // Status flags and DF only: TF, AC, NT and IF would change how the host runs the rest.
    c.setMem(s, off, 2 | (c.r.u32() & ALL) | (c.r.bool() ? DF : 0));
    c.insns = [{ pre: [], o16: o16(s), a16: null, body: [0x9d] }];
  }, 500);
  form('stack', `enter imm16,imm8 (o${s})`, (c) => {
    const r = c.r;
    const level = r.pick([0, 0, 1, 1, 2, 3, 4, 32, 33]);
    const l = level & 31;
    // eBP: the frame pointers it copies ([eBP - i*w], i < level) are in the window.
    const pushes = l === 0 ? 1 : l + 1;
    const sp = r.range(pushes * w, WINDOW);
    stackAt(c, sp);
    stackPointer(c, 5, r.range(Math.max(l - 1, 0) * w, WINDOW - w));
    // The host probes the stack at the final eSP: keep a 16-bit SP from wrapping past the segment limit.
    const alloc = c.stack === 16 ? r.range(0, Math.max(0, sp - pushes * w - 4)) : r.bool(0.5) ? r.range(0, 64) : r.int(0x10000);
    c.insns = [{ pre: [], o16: o16(s), a16: null, body: [0xc8, ...le(alloc, 2), level] }];
  }, 800);
  form('stack', `leave (o${s})`, (c) => {
    stackAt(c, c.r.range(0, WINDOW));
    c.regs[4] = c.regs[4] ^ (c.stack === 16 ? c.r.u32() & 0xffff : 0); // SP/ESP is replaced by eBP anyway
    stackPointer(c, 5, c.r.range(0, WINDOW - w));
    c.insns = [{ pre: [], o16: o16(s), a16: null, body: [0xc9] }];
  }, 500);
  for (const [n, op] of [['fs', 0xa0], ['gs', 0xa8]] as const) {
    form('stack', `push ${n} (o${s})`, (c) => {
      const off = c.r.range(8, WINDOW - 4);
      stackAt(c, off);
      // A 32-bit push of a selector may write only 16 bits (SDM PUSH): the upper half is undefined.
      if (s === 32) c.undefMem = [off - 2, off];
      c.insns = [{ pre: [], o16: o16(s), a16: null, body: [0x0f, op] }];
    }, 300);
  }
}

export const GROUPS = [...new Set(FORMS.map((f) => f.group))];
