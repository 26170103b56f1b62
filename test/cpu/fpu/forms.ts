// The x87 instruction forms the oracle test draws cases for, grouped as the
// report counts them. Each form makes one case from the generator: the
// instruction bytes (memory operands at DATA_ADDR through a disp32), the
// initial FPU image (values on the stack, a control word, sometimes a full
// or empty stack for the stack faults) and the data window.

import {
  CompareOptions, F80, FpuImage, Rng, X87Case, controlWord, emptyWindow, image, memOperand, partner, value,
} from './harness';

export interface Form {
  group: string;
  name: string;
  make: (r: Rng) => X87Case;
  compare?: CompareOptions;
}

export const FORMS: Form[] = [];

function form(group: string, name: string, make: (r: Rng) => X87Case, compare?: CompareOptions): void {
  FORMS.push({ group, name, make, compare });
}

const POINTERS: CompareOptions = { pointers: true };
/** ZF PF CF and OF SF AF (FCOMI clears the last three). */
const COMI_FLAGS: CompareOptions = { pointers: true, eflags: 0x8d5 };

/** A stack of `n` values from `gen` (n random 1..8 sometimes, for underflow and overflow). */
function stack(r: Rng, needed: number, gen: (i: number) => F80): F80[] {
  let n = needed;
  const roll = r.int(20);
  if (roll === 0) n = r.int(needed + 1); // an empty operand: stack underflow
  else if (roll === 1) n = 8; // full: a push overflows
  else if (roll < 6) n = needed + r.int(8 - needed + 1);
  const values: F80[] = [];
  for (let i = 0; i < n; i++) values.push(gen(i));
  return values;
}

function caseOf(r: Rng, code: number[], values: F80[], mem = emptyWindow(), cw = controlWord(r)): X87Case {
  const fpu: FpuImage = image(cw, values, r.int(8), () => value(r, 0.5));
  // Sticky flags and condition codes already set, sometimes (only masked exceptions: nothing pending).
  if (r.bool(0.2)) fpu.sw |= (r.int(64) & cw & 0x3f) | (r.int(16) & 0xf) << 8;
  fpu.sw &= ~0x4000;
  if (r.bool(0.1)) fpu.sw |= 0x4000;
  return { code, fpu, eax: r.u32(), eflags: 0x202 | (r.int(256) & 0xd5), mem };
}

// ---------------------------------------------------------------------------
// Memory operand values
// ---------------------------------------------------------------------------

function float32(r: Rng): number {
  const sign = r.bool() ? 0x80000000 : 0;
  const frac = r.pick([r.u32() & 0x7fffff, 0, 1, 0x400000, 0x7fffff, r.u32() & 0x3fffff, 1 << r.int(23)]);
  switch (r.int(8)) {
    case 0: return (sign | frac) >>> 0; // zero or denormal
    case 1: return (sign | 0x7f800000 | frac) >>> 0; // infinity or NaN
    case 2: return (sign | (r.pick([1, 2, 0xfe, 0xfd, 127, 126, 128]) << 23) | frac) >>> 0;
    default: return (sign | (r.range(1, 0xfe) << 23) | frac) >>> 0;
  }
}

function float64(r: Rng): [number, number] {
  const sign = r.bool() ? 0x80000000 : 0;
  const fhi = r.pick([r.u32() & 0xfffff, 0, 0x80000, 0xfffff, 1 << r.int(20), r.u32() & 0x7ffff]);
  const flo = r.pick([r.u32(), 0, 1, 0xffffffff, 0x80000000]) >>> 0;
  let exp: number;
  switch (r.int(8)) {
    case 0: exp = 0; break;
    case 1: exp = 0x7ff; break;
    case 2: exp = r.pick([1, 2, 0x7fe, 0x7fd, 1023, 1022, 1024]); break;
    default: exp = r.range(1, 0x7fe);
  }
  return [flo, (sign | (exp << 20) | fhi) >>> 0];
}

const INT_EDGES = [0, 1, -1, 2, -2, 0x7fff, -0x8000, 0x7fffffff, -0x80000000, 0x8000, 0xffff, 10, 100, -100];

function int32(r: Rng): number {
  switch (r.int(4)) {
    case 0: return r.pick(INT_EDGES) | 0;
    case 1: return (r.u32() >> r.int(32)) | 0;
    default: return r.u32() | 0;
  }
}

function window(bytes: number[]): Uint8Array {
  const m = emptyWindow();
  m.set(bytes);
  return m;
}

function le32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

/** A value that converts to an integer near the limits of `bits` bits, or anything. */
function integerish(r: Rng, bits: number): F80 {
  if (r.bool(0.3)) return value(r);
  const e = r.range(0, bits + 1);
  const hi = (0x80000000 | r.u32()) >>> 0;
  const lo = r.bool() ? 0 : r.u32();
  return [(r.bool() ? 0x8000 : 0) | (16383 + e), r.bool(0.2) ? 0x80000000 : hi, r.bool(0.3) ? 0 : lo];
}

/** Packed BCD: valid digits, sometimes 18 nines or zero. */
function bcd(r: Rng): number[] {
  const b: number[] = [];
  const kind = r.int(5);
  for (let i = 0; i < 9; i++) {
    const d1 = kind === 0 ? 9 : kind === 1 ? 0 : r.int(10), d2 = kind === 0 ? 9 : kind === 1 ? 0 : r.int(10);
    b.push((d1 << 4) | d2);
  }
  b.push(r.bool() ? 0x80 : 0);
  return b;
}

// ---------------------------------------------------------------------------
// Arithmetic
// ---------------------------------------------------------------------------

const ARITH = ['fadd', 'fmul', '', '', 'fsub', 'fsubr', 'fdiv', 'fdivr'];

for (const reg of [0, 1, 4, 5, 6, 7]) {
  const name = ARITH[reg];
  form('arithmetic st', `${name} st0,st(i)`, (r) => {
    const i = r.int(8);
    const a = value(r);
    return caseOf(r, [0xd8, 0xc0 | (reg << 3) | i], stack(r, i + 1, (k) => (k === i ? partner(r, a) : a)));
  }, POINTERS);
  form('arithmetic st', `${name} st(i),st0`, (r) => {
    const i = r.int(8);
    const a = value(r);
    return caseOf(r, [0xdc, 0xc0 | (reg << 3) | i], stack(r, i + 1, (k) => (k === i ? partner(r, a) : a)));
  }, POINTERS);
  form('arithmetic st', `${name}p st(i),st0`, (r) => {
    const i = r.int(8);
    const a = value(r);
    return caseOf(r, [0xde, 0xc0 | (reg << 3) | i], stack(r, i + 1, (k) => (k === i ? partner(r, a) : a)));
  }, POINTERS);
  form('arithmetic m32/m64', `${name} m32`, (r) =>
    caseOf(r, [0xd8, ...memOperand(reg)], stack(r, 1, () => value(r)), window(le32(float32(r)))), POINTERS);
  form('arithmetic m32/m64', `${name} m64`, (r) => {
    const [lo, hi] = float64(r);
    return caseOf(r, [0xdc, ...memOperand(reg)], stack(r, 1, () => value(r)), window([...le32(lo), ...le32(hi)]));
  }, POINTERS);
  form('arithmetic integer', `fi${name.slice(1)} m32int`, (r) =>
    caseOf(r, [0xda, ...memOperand(reg)], stack(r, 1, () => value(r)), window(le32(int32(r)))), POINTERS);
  form('arithmetic integer', `fi${name.slice(1)} m16int`, (r) =>
    caseOf(r, [0xde, ...memOperand(reg)], stack(r, 1, () => value(r)), window(le32(int32(r)))), POINTERS);
}

form('arithmetic st', 'fsqrt', (r) => caseOf(r, [0xd9, 0xfa], stack(r, 1, () => value(r))), POINTERS);
form('arithmetic st', 'frndint', (r) => caseOf(r, [0xd9, 0xfc], stack(r, 1, () => integerish(r, 64))), POINTERS);
/** A pair for FPREM/FPREM1/FSCALE: exponents near each other, 64 and more apart, or anything. */
function remainderPair(r: Rng, scaleForm: boolean): F80[] {
  const a = value(r);
  if (scaleForm && r.bool(0.6)) {
    const n = r.bool(0.5) ? r.range(-70, 70) : r.range(-40000, 40000);
    const e = n === 0 ? 0 : 31 - Math.clz32(Math.abs(n));
    const b: F80 = n === 0 ? [r.bool() ? 0x8000 : 0, 0, 0] : [(n < 0 ? 0x8000 : 0) | (16383 + e), (Math.abs(n) << (31 - e)) >>> 0 | (r.bool() ? r.int(1 << Math.max(0, 30 - e)) : 0), 0];
    return [a, b];
  }
  if (r.bool(0.5) || (a[0] & 0x7fff) === 0 || (a[0] & 0x7fff) === 0x7fff) return [a, value(r)];
  const b: F80 = [(r.bool() ? 0x8000 : 0) | Math.max(1, (a[0] & 0x7fff) - r.pick([r.range(-2, 70), r.range(60, 200), r.range(0, 20000)])),
    (0x80000000 | r.u32()) >>> 0, r.bool(0.3) ? 0 : r.u32()];
  return [a, b];
}

form('arithmetic st', 'fprem', (r) => caseOf(r, [0xd9, 0xf8], stack(r, 2, (k) => (k < 2 ? remainderPairCache(r, k, false) : value(r)))), POINTERS);
form('arithmetic st', 'fprem1', (r) => caseOf(r, [0xd9, 0xf5], stack(r, 2, (k) => (k < 2 ? remainderPairCache(r, k, false) : value(r)))), POINTERS);
form('arithmetic st', 'fscale', (r) => caseOf(r, [0xd9, 0xfd], stack(r, 2, (k) => (k < 2 ? remainderPairCache(r, k, true) : value(r)))), POINTERS);
form('arithmetic st', 'fxtract', (r) => caseOf(r, [0xd9, 0xf4], stack(r, 1, () => value(r))), POINTERS);

let pairCache: F80[] = [];
/** Operand k of a pair drawn at k = 0. */
function remainderPairCache(r: Rng, k: number, scaleForm: boolean): F80 {
  if (k === 0) pairCache = remainderPair(r, scaleForm);
  return pairCache[k];
}

form('arithmetic st', 'fchs', (r) => caseOf(r, [0xd9, 0xe0], stack(r, 1, () => value(r))), POINTERS);
form('arithmetic st', 'fabs', (r) => caseOf(r, [0xd9, 0xe1], stack(r, 1, () => value(r))), POINTERS);

// ---------------------------------------------------------------------------
// Compares
// ---------------------------------------------------------------------------

function pairStack(r: Rng, i: number): F80[] {
  const a = value(r);
  // Equal operands (and +0/-0) often, so the equal outcome is covered.
  const b: F80 = r.bool(0.2) ? [a[0] ^ (r.bool(0.2) ? 0x8000 : 0), a[1], a[2]] : partner(r, a);
  return stack(r, Math.max(i + 1, 2), (k) => (k === i ? b : k === 0 ? a : value(r)));
}

for (const [name, code] of [['fcom', [0xd8, 0xd0]], ['fcomp', [0xd8, 0xd8]], ['fucom', [0xdd, 0xe0]], ['fucomp', [0xdd, 0xe8]],
  ['fcom alias dc d0', [0xdc, 0xd0]], ['fcomp alias dc d8', [0xdc, 0xd8]], ['fcomp alias de d0', [0xde, 0xd0]]] as const) {
  form('compare', `${name} st(i)`, (r) => {
    const i = r.int(8);
    return caseOf(r, [code[0], code[1] | i], pairStack(r, i));
  }, POINTERS);
}
form('compare', 'fcompp', (r) => caseOf(r, [0xde, 0xd9], pairStack(r, 1)), POINTERS);
form('compare', 'fucompp', (r) => caseOf(r, [0xda, 0xe9], pairStack(r, 1)), POINTERS);
for (const [name, code] of [['fucomi', [0xdb, 0xe8]], ['fcomi', [0xdb, 0xf0]], ['fucomip', [0xdf, 0xe8]], ['fcomip', [0xdf, 0xf0]]] as const) {
  form('compare', `${name} st0,st(i)`, (r) => {
    const i = r.int(8);
    return caseOf(r, [code[0], code[1] | i], pairStack(r, i));
  }, COMI_FLAGS);
}
form('compare', 'fcom m32', (r) => caseOf(r, [0xd8, ...memOperand(2)], stack(r, 1, () => value(r)), window(le32(float32(r)))), POINTERS);
form('compare', 'fcomp m64', (r) => {
  const [lo, hi] = float64(r);
  return caseOf(r, [0xdc, ...memOperand(3)], stack(r, 1, () => value(r)), window([...le32(lo), ...le32(hi)]));
}, POINTERS);
form('compare', 'ficom m32int', (r) => caseOf(r, [0xda, ...memOperand(2)], stack(r, 1, () => integerish(r, 32)), window(le32(int32(r)))), POINTERS);
form('compare', 'ficomp m16int', (r) => caseOf(r, [0xde, ...memOperand(3)], stack(r, 1, () => integerish(r, 16)), window(le32(int32(r)))), POINTERS);
form('compare', 'ftst', (r) => caseOf(r, [0xd9, 0xe4], stack(r, 1, () => value(r))), POINTERS);
form('compare', 'fxam', (r) => caseOf(r, [0xd9, 0xe5], stack(r, 1, () => value(r))), POINTERS);

// ---------------------------------------------------------------------------
// Loads and stores
// ---------------------------------------------------------------------------

form('load', 'fld m32', (r) => caseOf(r, [0xd9, ...memOperand(0)], stack(r, 0, () => value(r)), window(le32(float32(r)))), POINTERS);
form('load', 'fld m64', (r) => {
  const [lo, hi] = float64(r);
  return caseOf(r, [0xdd, ...memOperand(0)], stack(r, 0, () => value(r)), window([...le32(lo), ...le32(hi)]));
}, POINTERS);
form('load', 'fld m80', (r) => {
  const [se, hi, lo] = value(r);
  return caseOf(r, [0xdb, ...memOperand(5)], stack(r, 0, () => value(r)), window([...le32(lo), ...le32(hi), se & 0xff, se >>> 8]));
}, POINTERS);
form('load', 'fld st(i)', (r) => {
  const i = r.int(8);
  return caseOf(r, [0xd9, 0xc0 | i], stack(r, i + 1, () => value(r)));
}, POINTERS);
form('load', 'fild m16', (r) => caseOf(r, [0xdf, ...memOperand(0)], stack(r, 0, () => value(r)), window(le32(int32(r)))), POINTERS);
form('load', 'fild m32', (r) => caseOf(r, [0xdb, ...memOperand(0)], stack(r, 0, () => value(r)), window(le32(int32(r)))), POINTERS);
form('load', 'fild m64', (r) =>
  caseOf(r, [0xdf, ...memOperand(5)], stack(r, 0, () => value(r)), window([...le32(int32(r)), ...le32(int32(r))])), POINTERS);
form('load', 'fbld', (r) => caseOf(r, [0xdf, ...memOperand(4)], stack(r, 0, () => value(r)), window(bcd(r))), POINTERS);
const CONSTANT_NAMES = ['fld1', 'fldl2t', 'fldl2e', 'fldpi', 'fldlg2', 'fldln2', 'fldz'];
CONSTANT_NAMES.forEach((name, k) => {
  form('load', name, (r) => caseOf(r, [0xd9, 0xe8 + k], stack(r, 0, () => value(r))), POINTERS);
});

/** Stored bytes go to the window at an offset past a random prefill, so untouched bytes are checked too. */
function storeWindow(r: Rng): Uint8Array {
  return window(Array.from({ length: 16 }, () => r.int(256)));
}

for (const [name, code] of [['fst m32', [0xd9, 2]], ['fstp m32', [0xd9, 3]], ['fst m64', [0xdd, 2]], ['fstp m64', [0xdd, 3]],
  ['fstp m80', [0xdb, 7]]] as const) {
  form('store', name, (r) => caseOf(r, [code[0], ...memOperand(code[1])], stack(r, 1, () => value(r)), storeWindow(r)), POINTERS);
}
for (const [name, code, bits] of [['fist m16', [0xdf, 2], 16], ['fistp m16', [0xdf, 3], 16], ['fist m32', [0xdb, 2], 32],
  ['fistp m32', [0xdb, 3], 32], ['fistp m64', [0xdf, 7], 64], ['fisttp m16', [0xdf, 1], 16], ['fisttp m32', [0xdb, 1], 32],
  ['fisttp m64', [0xdd, 1], 64], ['fbstp', [0xdf, 6], 60]] as const) {
  form('store', name, (r) =>
    caseOf(r, [code[0], ...memOperand(code[1])], stack(r, 1, () => integerish(r, bits)), storeWindow(r)), POINTERS);
}
for (const [name, code] of [['fst st(i)', [0xdd, 0xd0]], ['fstp st(i)', [0xdd, 0xd8]], ['fstp1 alias d9 d8', [0xd9, 0xd8]],
  ['fstp8 alias df d0', [0xdf, 0xd0]], ['fstp9 alias df d8', [0xdf, 0xd8]]] as const) {
  form('store', name, (r) => {
    const i = r.int(8);
    return caseOf(r, [code[0], code[1] | i], stack(r, 1, () => value(r)));
  }, POINTERS);
}

// ---------------------------------------------------------------------------
// The stack and control
// ---------------------------------------------------------------------------

for (const [name, code] of [['fxch', [0xd9, 0xc8]], ['fxch4 alias dd c8', [0xdd, 0xc8]], ['fxch7 alias df c8', [0xdf, 0xc8]],
  ['ffree', [0xdd, 0xc0]], ['ffreep', [0xdf, 0xc0]]] as const) {
  form('stack', name, (r) => {
    const i = r.int(8);
    return caseOf(r, [code[0], code[1] | i], stack(r, i + 1, () => value(r)));
  }, POINTERS);
}
form('stack', 'fincstp', (r) => caseOf(r, [0xd9, 0xf7], stack(r, 1, () => value(r))), POINTERS);
form('stack', 'fdecstp', (r) => caseOf(r, [0xd9, 0xf6], stack(r, 1, () => value(r))), POINTERS);
form('stack', 'fnop', (r) => caseOf(r, [0xd9, 0xd0], stack(r, 1, () => value(r))), POINTERS);
const FCMOV = [[0xda, 0xc0], [0xda, 0xc8], [0xda, 0xd0], [0xda, 0xd8], [0xdb, 0xc0], [0xdb, 0xc8], [0xdb, 0xd0], [0xdb, 0xd8]];
const FCMOV_NAMES = ['fcmovb', 'fcmove', 'fcmovbe', 'fcmovu', 'fcmovnb', 'fcmovne', 'fcmovnbe', 'fcmovnu'];
FCMOV.forEach(([a, b], k) => {
  form('stack', FCMOV_NAMES[k], (r) => {
    const i = r.int(8);
    return caseOf(r, [a, b | i], stack(r, i + 1, () => value(r)));
  }, POINTERS);
});

form('control', 'fldcw', (r) => caseOf(r, [0xd9, ...memOperand(5)], stack(r, 1, () => value(r)), window(le32(r.u32())), 0x37f), POINTERS);
form('control', 'fnstcw', (r) => caseOf(r, [0xd9, ...memOperand(7)], stack(r, 1, () => value(r)), storeWindow(r)), POINTERS);
form('control', 'fnstsw m16', (r) => caseOf(r, [0xdd, ...memOperand(7)], stack(r, 1, () => value(r)), storeWindow(r)), POINTERS);
form('control', 'fnstsw ax', (r) => caseOf(r, [0xdf, 0xe0], stack(r, 1, () => value(r))), POINTERS);
form('control', 'fnclex', (r) => caseOf(r, [0xdb, 0xe2], stack(r, 1, () => value(r))), POINTERS);
form('control', 'fninit', (r) => caseOf(r, [0xdb, 0xe3], stack(r, 1, () => value(r))), POINTERS);
for (const [name, prefix] of [['32', []], ['16', [0x66]]] as const) {
  form('control', `fnstenv ${name}`, (r) => caseOf(r, [...prefix, 0xd9, ...memOperand(6)], stack(r, 2, () => value(r)), storeWindow(r)), POINTERS);
  form('control', `fnsave ${name}`, (r) => caseOf(r, [...prefix, 0xdd, ...memOperand(6)], stack(r, 2, () => value(r)), storeWindow(r)), POINTERS);
  form('control', `fldenv ${name}`, (r) => caseOf(r, [...prefix, 0xd9, ...memOperand(4)], stack(r, 2, () => value(r)), environmentWindow(r, name === '32')), POINTERS);
  form('control', `frstor ${name}`, (r) => caseOf(r, [...prefix, 0xdd, ...memOperand(4)], stack(r, 2, () => value(r)), environmentWindow(r, name === '32', true)), POINTERS);
}

/**
 * An environment (and register) image to load: masked control word (nothing
 * pending after the load), a status word with flags under those masks, any
 * tags, pointers, and random register bytes.
 */
function environmentWindow(r: Rng, wide: boolean, registers = false): Uint8Array {
  const cw = (controlWord(r) | 0x3f) & 0xffff;
  const sw = (r.int(64) | (r.int(16) << 8) | (r.int(8) << 11)) & ~0x80 & 0x7fff;
  const tw = r.u32() & 0xffff;
  const words = [cw, sw, tw, r.u32(), r.u32() & 0x07ffffff, r.u32(), r.u32() & 0xffff];
  const bytes: number[] = [];
  for (const wv of words) bytes.push(...(wide ? le32(wv) : le32(wv).slice(0, 2)));
  if (registers) for (let i = 0; i < 8; i++) {
    const [se, hi, lo] = value(r);
    bytes.push(...le32(lo), ...le32(hi), se & 0xff, se >>> 8);
  }
  return window(bytes);
}

export const GROUPS = [...new Set(FORMS.map((f) => f.group))];
