// 80-bit extended-precision arithmetic (the x87's register format), in
// integers: 32-bit limbs held in numbers, no float64 anywhere (a float64
// intermediate is wrong for 64-bit precision, for extended denormals and for
// large integers). The operations follow the SDM's x87 rules: precision
// control (24/53/64-bit significands inside the extended exponent range),
// the four rounding modes, denormal operands and results, the invalid
// encodings (unnormals, pseudo-NaNs, pseudo-infinities: SDM vol. 1 §8.2.2),
// NaN propagation (vol. 1 §4.8.3.5, table 4-7) and the six exception flags
// with their masked responses (vol. 1 §4.9, §8.5).
//
// Calling convention (allocation-free): a value is three numbers, `se`
// (sign << 15 | biased exponent), `hi` and `lo` (the significand's upper and
// lower 32 bits, the integer bit J at hi bit 31). Each operation writes its
// result to `out` and ORs the exceptions it raised into `out.flags`, the
// status word's bit layout (IE..PE), plus `C1` when the significand was
// rounded up. The caller clears `out.flags` first and decides, from the
// control word's masks, whether an unmasked IE/DE/ZE suppresses the store.

/** Exception flags in the status word's positions (SDM vol. 1 §8.1.3). */
export const IE = 0x01, DE = 0x02, ZE = 0x04, OE = 0x08, UE = 0x10, PE = 0x20;
/** The stack-fault flag (with IE). */
export const SF = 0x40;
/** Condition code C1: for arithmetic, the significand was rounded up (vol. 1 §8.1.3.3). */
export const C1 = 0x200;

export const BIAS = 16383;
/** The biased exponent of infinities and NaNs. */
export const EXP_SPECIAL = 0x7fff;
/** Exponent adjustment of an unmasked overflow or underflow's result (vol. 1 §4.9.1.4-5). */
export const WRAP = 24576;

/** Operand classes (vol. 1 §8.2.2, table 8-3). */
export const K_ZERO = 0, K_DENORMAL = 1, K_NORMAL = 2, K_INFINITY = 3, K_QNAN = 4, K_SNAN = 5, K_UNSUPPORTED = 6;

/** The result of the last operation. */
export const out = { se: 0, hi: 0, lo: 0, flags: 0 };

/** The QNaN floating-point indefinite (vol. 1 §4.8.3.7). */
export const INDEFINITE_SE = 0xffff, INDEFINITE_HI = 0xc0000000;

/** Rounding control: RC field values (bits 10-11 of the control word). */
export const RC_NEAREST = 0, RC_DOWN = 1, RC_UP = 2, RC_ZERO = 3;

/** Operand class of an 80-bit value, pseudo-denormals counted as denormals (they are read as such). */
export function classify(se: number, hi: number, lo: number): number {
  const exp = se & 0x7fff;
  if (exp === 0) {
    if (hi === 0 && lo === 0) return K_ZERO;
    return K_DENORMAL;
  }
  if ((hi & 0x80000000) === 0) return K_UNSUPPORTED; // unnormal, pseudo-NaN, pseudo-infinity
  if (exp !== EXP_SPECIAL) return K_NORMAL;
  if ((hi & 0x7fffffff) === 0 && lo === 0) return K_INFINITY;
  return (hi & 0x40000000) !== 0 ? K_QNAN : K_SNAN;
}

export function setResult(se: number, hi: number, lo: number): void {
  out.se = se;
  out.hi = hi >>> 0;
  out.lo = lo >>> 0;
}

export function setIndefinite(): void {
  setResult(INDEFINITE_SE, INDEFINITE_HI, 0);
}

/** An invalid operation: IE, the QNaN indefinite as the masked response. */
export function invalid(): void {
  out.flags |= IE;
  setIndefinite();
}

/**
 * The NaN result of an operation with at least one NaN operand (table 4-7,
 * x87 column): an SNaN raises IE; a QNaN beats an SNaN; of two NaNs of the
 * same kind the larger significand wins; the result is quieted.
 */
export function propagateNaN(
  aSe: number, aHi: number, aLo: number, ka: number,
  bSe: number, bHi: number, bLo: number, kb: number,
): void {
  if (ka === K_SNAN || kb === K_SNAN) out.flags |= IE;
  const aNaN = ka === K_QNAN || ka === K_SNAN;
  const bNaN = kb === K_QNAN || kb === K_SNAN;
  let useA: boolean;
  if (aNaN && bNaN) {
    if (ka !== kb) useA = ka === K_QNAN;
    else {
      const ah = aHi & 0x3fffffff, bh = bHi & 0x3fffffff;
      if (ah !== bh) useA = ah > bh;
      else if (aLo !== bLo) useA = aLo >>> 0 > bLo >>> 0;
      else useA = (aSe & 0x8000) === 0 || (bSe & 0x8000) !== 0;
    }
  } else useA = aNaN;
  if (useA) setResult(aSe, aHi | 0x40000000, aLo);
  else setResult(bSe, bHi | 0x40000000, bLo);
}

// ---------------------------------------------------------------------------
// The working significand: 96 bits r0:r1:r2 (r0 most significant; the lowest
// bit of r2 is sticky), with sign and biased exponent. Shared by the
// operations below and by ./convert.ts.
// ---------------------------------------------------------------------------

export const w = { sign: 0, exp: 0, r0: 0, r1: 0, r2: 0 };

/** Shift the working significand right by n with the shifted-out bits ORed into the sticky bit. */
export function shiftRightJam(n: number): void {
  if (n <= 0) return;
  let r0 = w.r0, r1 = w.r1, r2 = w.r2;
  if (n >= 96) {
    w.r2 = (r0 | r1 | r2) !== 0 ? 1 : 0;
    w.r0 = w.r1 = 0;
    return;
  }
  let sticky = 0;
  while (n >= 32) {
    sticky |= r2;
    r2 = r1;
    r1 = r0;
    r0 = 0;
    n -= 32;
  }
  if (n > 0) {
    sticky |= r2 << (32 - n);
    r2 = ((r2 >>> n) | (r1 << (32 - n))) >>> 0;
    r1 = ((r1 >>> n) | (r0 << (32 - n))) >>> 0;
    r0 = r0 >>> n;
  }
  w.r0 = r0;
  w.r1 = r1;
  w.r2 = sticky !== 0 ? (r2 | 1) >>> 0 : r2;
}

/** Shift left until bit 95 is set, lowering the exponent; false when the significand is zero. */
export function normalizeWorking(): boolean {
  let r0 = w.r0, r1 = w.r1, r2 = w.r2;
  if ((r0 | r1 | r2) === 0) return false;
  while (r0 === 0) {
    r0 = r1;
    r1 = r2;
    r2 = 0;
    w.exp -= 32;
  }
  const s = Math.clz32(r0);
  if (s > 0) {
    r0 = ((r0 << s) | (r1 >>> (32 - s))) >>> 0;
    r1 = ((r1 << s) | (r2 >>> (32 - s))) >>> 0;
    r2 = (r2 << s) >>> 0;
    w.exp -= s;
  }
  w.r0 = r0;
  w.r1 = r1;
  w.r2 = r2;
  return true;
}

/** Set by `roundSignificand`: the discarded bits were not zero / the kept part was incremented. */
let inexact = false;
let incremented = false;

/**
 * Round r0:r1:r2 to `precision` (24, 53 or 64) significant bits in mode
 * `rc`, leaving the kept bits in r0:r1 (r2 = 0). Returns true when the
 * increment carried out of bit 63 (r0:r1 is then zero and the caller adjusts
 * the exponent).
 */
function roundSignificand(precision: number, rc: number, sign: number): boolean {
  let r0 = w.r0, r1 = w.r1;
  const r2 = w.r2;
  // Classify the discarded part against half an ulp: 0 exact, 1 below, 2 half, 3 above.
  let lsb: number, rbits: number;
  if (precision === 64) {
    lsb = r1 & 1;
    rbits = r2 === 0 ? 0 : r2 < 0x80000000 ? 1 : r2 === 0x80000000 ? 2 : 3;
  } else if (precision === 53) {
    lsb = (r1 >>> 11) & 1;
    const h = r1 & 0x7ff;
    rbits = h === 0 && r2 === 0 ? 0 : h < 0x400 ? 1 : h === 0x400 && r2 === 0 ? 2 : 3;
    r1 = (r1 & 0xfffff800) >>> 0;
  } else {
    lsb = (r0 >>> 8) & 1;
    const h = r0 & 0xff;
    const rest = (r1 | r2) !== 0;
    rbits = h === 0 && !rest ? 0 : h < 0x80 ? 1 : h === 0x80 && !rest ? 2 : 3;
    r0 = (r0 & 0xffffff00) >>> 0;
    r1 = 0;
  }
  inexact = rbits !== 0;
  let up: boolean;
  switch (rc) {
    case RC_NEAREST: up = rbits === 3 || (rbits === 2 && lsb === 1); break;
    case RC_DOWN: up = rbits !== 0 && sign !== 0; break;
    case RC_UP: up = rbits !== 0 && sign === 0; break;
    default: up = false;
  }
  incremented = up;
  let carry = false;
  if (up) {
    const unit = precision === 64 ? 1 : precision === 53 ? 0x800 : 0;
    if (unit !== 0) {
      r1 += unit;
      if (r1 > 0xffffffff) {
        r1 -= 0x100000000;
        r0 += 1;
      }
    } else r0 += 0x100;
    if (r0 > 0xffffffff) {
      r0 = 0x80000000;
      carry = true;
    }
  }
  w.r0 = r0 >>> 0;
  w.r1 = r1 >>> 0;
  w.r2 = 0;
  return carry;
}

/** Would rounding r0:r1:r2 (normalized) carry out of bit 63? (Tininess after rounding.) */
function roundingCarries(precision: number, rc: number, sign: number): boolean {
  const r0 = w.r0, r1 = w.r1, r2 = w.r2;
  const carry = roundSignificand(precision, rc, sign);
  w.r0 = r0;
  w.r1 = r1;
  w.r2 = r2;
  return carry;
}

/** The precision in bits of a control word's PC field (reserved 01 reads as 64). */
export function precisionOf(cw: number): number {
  const pc = (cw >> 8) & 3;
  return pc === 0 ? 24 : pc === 2 ? 53 : 64;
}

/**
 * Round and pack the working value (normalized, bit 95 set, or zero) to a
 * format with `precision` significand bits and finite biased exponents
 * 1..emax, into w.exp / w.r0:w.r1 (the explicit integer bit included; exp 0
 * for a denormal or zero, emax + 1 for infinity). `wrap` is the exponent
 * bias adjustment of an unmasked overflow/underflow for a register
 * destination; 0 for a memory destination, where an unmasked
 * overflow/underflow stores nothing: returns false then.
 */
export function roundPack(precision: number, emax: number, cw: number, wrap: number): boolean {
  const rc = (cw >> 10) & 3;
  const sign = w.sign;
  if ((w.r0 | w.r1 | w.r2) === 0) {
    w.exp = 0;
    return true;
  }
  if (w.exp < 1) {
    const tiny = w.exp < 0 || !roundingCarries(precision, rc, sign);
    if (tiny && (cw & UE) === 0) {
      // Unmasked underflow: the result scaled into range by 2^wrap (vol. 1 §4.9.1.5).
      out.flags |= UE;
      if (wrap === 0) return false;
      w.exp += wrap;
    } else if (tiny) {
      shiftRightJam(1 - w.exp);
      roundSignificand(precision, rc, sign);
      w.exp = (w.r0 & 0x80000000) !== 0 ? 1 : 0;
      if (inexact) out.flags |= UE | PE;
      if (incremented) out.flags |= C1;
      return true;
    }
  }
  if (roundSignificand(precision, rc, sign)) w.exp++;
  if (w.exp > emax && (cw & OE) === 0) {
    // Unmasked overflow: a register gets the result scaled down by 2^wrap; a
    // memory destination gets nothing, and only OE is reported.
    out.flags |= OE;
    if (wrap === 0) return false;
    w.exp -= wrap;
    if (inexact) out.flags |= PE;
    if (incremented) out.flags |= C1;
    return true;
  }
  if (inexact) out.flags |= PE;
  if (incremented) out.flags |= C1;
  if (w.exp > emax) {
    // Masked overflow: infinity or the largest finite value, by rounding direction.
    out.flags = (out.flags & ~C1) | OE | PE;
    const toInfinity = rc === RC_NEAREST || (rc === RC_DOWN && sign !== 0) || (rc === RC_UP && sign === 0);
    if (toInfinity) {
      w.exp = emax + 1;
      w.r0 = 0x80000000;
      w.r1 = 0;
      out.flags |= C1;
    } else {
      w.exp = emax;
      w.r0 = precision === 24 ? 0xffffff00 : 0xffffffff;
      w.r1 = precision === 64 ? 0xffffffff : precision === 53 ? 0xfffff800 : 0;
    }
  }
  return true;
}

/** Round the working value to an 80-bit register result at the control word's precision, into `out`. */
export function packExtended(cw: number): void {
  if (!normalizeWorking()) {
    setResult(w.sign << 15, 0, 0);
    return;
  }
  roundPack(precisionOf(cw), EXP_SPECIAL - 1, cw, WRAP);
  setResult((w.sign << 15) | w.exp, w.r0, w.r1);
}

// ---------------------------------------------------------------------------
// Operands
// ---------------------------------------------------------------------------

/** An unpacked finite operand: exponent (denormals at 1) and significand, not normalized. */
function unpackTo(se: number, hi: number, lo: number): void {
  const exp = se & 0x7fff;
  w.sign = se >>> 15;
  w.exp = exp === 0 ? 1 : exp;
  w.r0 = hi >>> 0;
  w.r1 = lo >>> 0;
  w.r2 = 0;
}

/**
 * The checks every two-operand arithmetic operation makes first: an invalid
 * encoding (IE, indefinite), NaNs (propagated), denormals (DE; with DE
 * unmasked nothing more is done). Returns true when the result is decided.
 */
export function screen(
  aSe: number, aHi: number, aLo: number, ka: number,
  bSe: number, bHi: number, bLo: number, kb: number, cw: number,
): boolean {
  if (ka === K_UNSUPPORTED || kb === K_UNSUPPORTED) {
    invalid();
    return true;
  }
  if (ka >= K_QNAN || kb >= K_QNAN) {
    propagateNaN(aSe, aHi, aLo, ka, bSe, bHi, bLo, kb);
    return true;
  }
  if (ka === K_DENORMAL || kb === K_DENORMAL) {
    out.flags |= DE;
    if ((cw & DE) === 0) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------
// Add and subtract
// ---------------------------------------------------------------------------

/** a + b (or a - b when `subtract`), rounded per cw, into `out`. */
export function add(
  aSe: number, aHi: number, aLo: number,
  bSe: number, bHi: number, bLo: number, subtract: boolean, cw: number,
): void {
  const ka = classify(aSe, aHi, aLo);
  const kb = classify(bSe, bHi, bLo);
  if (screen(aSe, aHi, aLo, ka, bSe, bHi, bLo, kb, cw)) return;
  const bSign = (bSe >>> 15) ^ (subtract ? 1 : 0);
  const aSign = aSe >>> 15;
  if (ka === K_INFINITY || kb === K_INFINITY) {
    if (ka === K_INFINITY && kb === K_INFINITY && aSign !== bSign) invalid();
    else if (ka === K_INFINITY) setResult(aSe, 0x80000000, 0);
    else setResult((bSign << 15) | EXP_SPECIAL, 0x80000000, 0);
    return;
  }
  const rc = (cw >> 10) & 3;
  if (ka === K_ZERO && kb === K_ZERO) {
    const sign = aSign === bSign ? aSign : rc === RC_DOWN ? 1 : 0;
    setResult(sign << 15, 0, 0);
    return;
  }
  // Order by exponent, then significand: x is the larger magnitude.
  let xSe = aSe, xHi = aHi >>> 0, xLo = aLo >>> 0, xSign = aSign;
  let ySe = bSe, yHi = bHi >>> 0, yLo = bLo >>> 0, ySign = bSign;
  const ae = (aSe & 0x7fff) || 1, be = (bSe & 0x7fff) || 1;
  if (be > ae || (be === ae && (yHi > xHi || (yHi === xHi && yLo > xLo)))) {
    xSe = bSe; xHi = bHi >>> 0; xLo = bLo >>> 0; xSign = bSign;
    ySe = aSe; yHi = aHi >>> 0; yLo = aLo >>> 0; ySign = aSign;
  }
  // y, aligned to x's exponent.
  unpackTo(ySe, yHi, yLo);
  const xExp = (xSe & 0x7fff) || 1;
  shiftRightJam(xExp - w.exp);
  const y0 = w.r0, y1 = w.r1, y2 = w.r2;
  w.sign = xSign;
  w.exp = xExp;
  if (xSign === ySign) {
    let s1 = xLo + y1;
    let s0 = xHi + y0;
    if (s1 > 0xffffffff) {
      s1 -= 0x100000000;
      s0 += 1;
    }
    w.r2 = y2;
    w.r1 = s1;
    w.r0 = s0 >>> 0;
    if (s0 > 0xffffffff) {
      shiftRightJam(1);
      w.r0 = (w.r0 | 0x80000000) >>> 0;
      w.exp++;
    }
  } else {
    let d2 = -y2;
    let borrow = d2 < 0 ? 1 : 0;
    if (borrow) d2 += 0x100000000;
    let d1 = xLo - y1 - borrow;
    borrow = d1 < 0 ? 1 : 0;
    if (borrow) d1 += 0x100000000;
    const d0 = xHi - y0 - borrow;
    w.r0 = d0 >>> 0;
    w.r1 = d1;
    w.r2 = d2;
    if ((w.r0 | w.r1 | w.r2) === 0) {
      setResult(rc === RC_DOWN ? 0x8000 : 0, 0, 0);
      return;
    }
  }
  packExtended(cw);
}

// ---------------------------------------------------------------------------
// Multiply
// ---------------------------------------------------------------------------

/** The 128-bit product of two 64-bit significands, most significant word first. */
const product = new Float64Array(4);
const limbA = new Float64Array(4);
const limbB = new Float64Array(4);
const columns = new Float64Array(8);

/** a0:a1 * b0:b1 into `product` (16-bit limbs; every partial sum stays exact in a double). */
export function multiply64(a0: number, a1: number, b0: number, b1: number): void {
  limbA[0] = a1 & 0xffff; limbA[1] = a1 >>> 16; limbA[2] = a0 & 0xffff; limbA[3] = a0 >>> 16;
  limbB[0] = b1 & 0xffff; limbB[1] = b1 >>> 16; limbB[2] = b0 & 0xffff; limbB[3] = b0 >>> 16;
  columns.fill(0);
  for (let i = 0; i < 4; i++) {
    const ai = limbA[i];
    if (ai === 0) continue;
    for (let j = 0; j < 4; j++) columns[i + j] += ai * limbB[j];
  }
  let carry = 0;
  for (let k = 0; k < 8; k++) {
    const c = columns[k] + carry;
    const limb = c % 65536;
    columns[k] = limb;
    carry = (c - limb) / 65536;
  }
  product[3] = columns[0] + columns[1] * 65536;
  product[2] = columns[2] + columns[3] * 65536;
  product[1] = columns[4] + columns[5] * 65536;
  product[0] = columns[6] + columns[7] * 65536;
}

/** a * b, rounded per cw, into `out`. */
export function mul(aSe: number, aHi: number, aLo: number, bSe: number, bHi: number, bLo: number, cw: number): void {
  const ka = classify(aSe, aHi, aLo);
  const kb = classify(bSe, bHi, bLo);
  if (screen(aSe, aHi, aLo, ka, bSe, bHi, bLo, kb, cw)) return;
  const sign = (aSe ^ bSe) >>> 15;
  if (ka === K_INFINITY || kb === K_INFINITY) {
    if (ka === K_ZERO || kb === K_ZERO) invalid();
    else setResult((sign << 15) | EXP_SPECIAL, 0x80000000, 0);
    return;
  }
  if (ka === K_ZERO || kb === K_ZERO) {
    setResult(sign << 15, 0, 0);
    return;
  }
  // Denormal operands normalized first: the product's top 96 bits then hold every bit that matters.
  normalizeOperand(aSe, aHi, aLo);
  const aExp = w.exp, a0 = w.r0, a1 = w.r1;
  normalizeOperand(bSe, bHi, bLo);
  multiply64(a0, a1, w.r0, w.r1);
  w.sign = sign;
  // Value = a.sig * b.sig * 2^(ea + eb - 2 BIAS - 126); with the product's
  // top word at bits 127..96 of r0, the exponent of bit 95 of r0:r1:r2 is ea + eb - BIAS + 1.
  w.exp = aExp + w.exp - BIAS + 1;
  w.r0 = product[0];
  w.r1 = product[1];
  w.r2 = product[2];
  if (product[3] !== 0) w.r2 = (w.r2 | 1) >>> 0;
  packExtended(cw);
}

// ---------------------------------------------------------------------------
// Divide
// ---------------------------------------------------------------------------

/** Normalize an operand's significand in w (denormal operands), adjusting w.exp. */
function normalizeOperand(se: number, hi: number, lo: number): void {
  unpackTo(se, hi, lo);
  normalizeWorking();
}

/** The difference of two 64-bit values a0:a1 - b0:b1 (modulo 2^64), into `difference`. */
export const difference = { hi: 0, lo: 0 };
export function subtract64(a0: number, a1: number, b0: number, b1: number): void {
  let lo = a1 - b1;
  let borrow = 0;
  if (lo < 0) {
    lo += 0x100000000;
    borrow = 1;
  }
  difference.hi = (a0 - b0 - borrow) >>> 0;
  difference.lo = lo;
}

/**
 * The 64-bit quotient of two normalized significands n >= d (n < 2d),
 * restoring division, with the remainder encoded into r2 as the rounding
 * needs it (0 exact, 1 below half, 80000000h half, 80000001h above).
 */
function divideSignificands(n0: number, n1: number, d0: number, d1: number): void {
  let t = 0, r0 = n0, r1 = n1, q0 = 0, q1 = 0;
  for (let i = 0; i < 64; i++) {
    let bit = 0;
    if (t !== 0 || r0 > d0 || (r0 === d0 && r1 >= d1)) {
      subtract64(r0, r1, d0, d1);
      r0 = difference.hi;
      r1 = difference.lo;
      t = 0;
      bit = 1;
    }
    q0 = ((q0 << 1) | (q1 >>> 31)) >>> 0;
    q1 = ((q1 << 1) | bit) >>> 0;
    t = r0 >>> 31;
    r0 = ((r0 << 1) | (r1 >>> 31)) >>> 0;
    r1 = (r1 << 1) >>> 0;
  }
  // The remainder, doubled, against the divisor: the position of the rest against half an ulp.
  let rbits: number;
  if ((t | r0 | r1) === 0) rbits = 0;
  else if (t !== 0 || r0 > d0 || (r0 === d0 && r1 > d1)) rbits = 0x80000001;
  else if (r0 === d0 && r1 === d1) rbits = 0x80000000;
  else rbits = 1;
  w.r0 = q0;
  w.r1 = q1;
  w.r2 = rbits;
}

/** a / b, rounded per cw, into `out`. */
export function div(aSe: number, aHi: number, aLo: number, bSe: number, bHi: number, bLo: number, cw: number): void {
  const ka = classify(aSe, aHi, aLo);
  const kb = classify(bSe, bHi, bLo);
  const sign = (aSe ^ bSe) >>> 15;
  if (ka === K_DENORMAL && kb === K_ZERO) {
    // A denormal divided by zero is a zero divide, without DE (as the hardware reports it).
    out.flags |= ZE;
    setResult((sign << 15) | EXP_SPECIAL, 0x80000000, 0);
    return;
  }
  if (screen(aSe, aHi, aLo, ka, bSe, bHi, bLo, kb, cw)) return;
  if (ka === K_INFINITY) {
    if (kb === K_INFINITY) invalid();
    else setResult((sign << 15) | EXP_SPECIAL, 0x80000000, 0);
    return;
  }
  if (kb === K_INFINITY) {
    setResult(sign << 15, 0, 0);
    return;
  }
  if (kb === K_ZERO) {
    if (ka === K_ZERO) invalid();
    else {
      out.flags |= ZE;
      setResult((sign << 15) | EXP_SPECIAL, 0x80000000, 0);
    }
    return;
  }
  if (ka === K_ZERO) {
    setResult(sign << 15, 0, 0);
    return;
  }
  normalizeOperand(bSe, bHi, bLo);
  const bExp = w.exp, d0 = w.r0, d1 = w.r1;
  normalizeOperand(aSe, aHi, aLo);
  let exp = w.exp - bExp + BIAS;
  let n0 = w.r0, n1 = w.r1;
  let top = 0;
  if (n0 < d0 || (n0 === d0 && n1 < d1)) {
    // n < d: take one more bit of the dividend (n * 2 < 2d).
    top = n0 >>> 31;
    n0 = ((n0 << 1) | (n1 >>> 31)) >>> 0;
    n1 = (n1 << 1) >>> 0;
    exp--;
  }
  divideWithTop(top, n0, n1, d0, d1);
  w.sign = sign;
  w.exp = exp;
  packExtended(cw);
}

/** divideSignificands for a dividend of up to 65 bits (top:n0:n1 < 2d). */
function divideWithTop(top: number, n0: number, n1: number, d0: number, d1: number): void {
  if (top === 0) {
    divideSignificands(n0, n1, d0, d1);
    return;
  }
  // The first quotient bit is 1: subtract d once, then continue on the 64-bit remainder.
  subtract64(n0, n1, d0, d1);
  const s0 = difference.hi, s1 = difference.lo;
  // Remaining value (s0:s1) < d; dividing (s0:s1)*2 by d gives the next 63 bits; emulate by dividing
  // with the quotient's top bit forced: compute 64 bits of (s0:s1)/d and shift in.
  divideSignificands(s0, s1, d0, d1);
  // divideSignificands produced floor((s0:s1) * 2^63 / d) in its 64 bits, since its first step compares
  // the undoubled remainder; (s0:s1) < d gives a leading 0 that the forced 1 replaces.
  w.r0 = (w.r0 | 0x80000000) >>> 0;
}

// ---------------------------------------------------------------------------
// Square root
// ---------------------------------------------------------------------------

/**
 * sqrt(a), rounded per cw, into `out`. Negative nonzero operands
 * (including -infinity) are invalid; -0 gives -0.
 */
export function sqrt(aSe: number, aHi: number, aLo: number, cw: number): void {
  const ka = classify(aSe, aHi, aLo);
  if (ka === K_UNSUPPORTED) {
    invalid();
    return;
  }
  if (ka === K_QNAN || ka === K_SNAN) {
    propagateNaN(aSe, aHi, aLo, ka, aSe, aHi, aLo, ka);
    return;
  }
  if (ka === K_ZERO) {
    setResult(aSe, 0, 0);
    return;
  }
  if ((aSe & 0x8000) !== 0) {
    invalid();
    return;
  }
  if (ka === K_DENORMAL) {
    out.flags |= DE;
    if ((cw & DE) === 0) return;
  }
  if (ka === K_INFINITY) {
    setResult(aSe, 0x80000000, 0);
    return;
  }
  normalizeOperand(aSe, aHi, aLo);
  const e = w.exp - BIAS; // unbiased exponent of the integer bit
  const odd = (e & 1) !== 0;
  // Radicand: sig * 2^63 (even e) or sig * 2^64 (odd e), as 128 bits; 65 root bits with two more zero bits.
  squareRootBits(w.r0, w.r1, odd);
  w.sign = 0;
  w.exp = (odd ? (e - 1) / 2 : e / 2) + BIAS;
  packExtended(cw);
}

/**
 * The integer square root of sig * 2^(63 or 64), 64 bits with bit 63 set,
 * bit by bit (two radicand bits per root bit), into r0:r1, the rest into r2
 * as the rounding needs it (an exact half is impossible).
 */
function squareRootBits(s0: number, s1: number, odd: boolean): void {
  // Radicand bits from the top, 130 of them (128 + 2 for the round bit): the
  // significand's 64 bits placed so that the radicand is sig * 2^63 or 2^64.
  const shift = odd ? 0 : 1; // sig * 2^64 starts at bit 127 of 128; sig * 2^63 has a leading 0.
  let rt = 0, rm0 = 0, rm1 = 0; // remainder (rt small top part, rm0:rm1)
  let q0 = 0, q1 = 0; // root so far
  let roundBit = 0;
  for (let i = 0; i < 65; i++) {
    // Next two radicand bits: positions 2i and 2i+1 from the top of the 130-bit radicand.
    const pair = (radicandBit(s0, s1, 2 * i - shift) << 1) | radicandBit(s0, s1, 2 * i + 1 - shift);
    // rem = rem * 4 + pair
    rt = rt * 4 + (rm0 >>> 30);
    rm0 = ((rm0 << 2) | (rm1 >>> 30)) >>> 0;
    rm1 = ((rm1 << 2) | pair) >>> 0;
    // trial = root * 4 + 1 (root has at most i bits; held as tt:t0:t1)
    const tt = q0 >>> 30;
    const t0 = ((q0 << 2) | (q1 >>> 30)) >>> 0;
    const t1 = ((q1 << 2) | 1) >>> 0;
    let bit = 0;
    if (rt > tt || (rt === tt && (rm0 > t0 || (rm0 === t0 && rm1 >= t1)))) {
      let d1 = rm1 - t1;
      let borrow = 0;
      if (d1 < 0) {
        d1 += 0x100000000;
        borrow = 1;
      }
      let d0 = rm0 - t0 - borrow;
      borrow = 0;
      if (d0 < 0) {
        d0 += 0x100000000;
        borrow = 1;
      }
      rt = rt - tt - borrow;
      rm0 = d0;
      rm1 = d1;
      bit = 1;
    }
    if (i === 64) {
      roundBit = bit;
      break;
    }
    q0 = ((q0 << 1) | (q1 >>> 31)) >>> 0;
    q1 = ((q1 << 1) | bit) >>> 0;
  }
  const rest = (rt | rm0 | rm1) !== 0;
  w.r0 = q0;
  w.r1 = q1;
  w.r2 = roundBit ? 0x80000001 : rest ? 1 : 0;
}

/** Bit `i` (0 = the most significant) of the significand s0:s1 followed by zeros; bits before it are 0. */
function radicandBit(s0: number, s1: number, i: number): number {
  if (i < 0 || i >= 64) return 0;
  return i < 32 ? (s0 >>> (31 - i)) & 1 : (s1 >>> (63 - i)) & 1;
}

// ---------------------------------------------------------------------------
// Compare
// ---------------------------------------------------------------------------

/** Comparison outcomes as condition codes C3, C2, C0 (vol. 2 FCOM, table 3-21). */
export const CC_GREATER = 0, CC_LESS = 0x100, CC_EQUAL = 0x4000, CC_UNORDERED = 0x4500;

/**
 * Compare a with b. NaNs are unordered; any NaN raises IE unless `quiet`
 * (FUCOM: only SNaNs), an unsupported encoding always does; a denormal
 * raises DE. Returns the condition codes, which the host FPU sets even when
 * the exception is unmasked.
 */
export function compare(aSe: number, aHi: number, aLo: number, bSe: number, bHi: number, bLo: number, quiet: boolean): number {
  const ka = classify(aSe, aHi, aLo);
  const kb = classify(bSe, bHi, bLo);
  if (ka >= K_QNAN || kb >= K_QNAN) {
    if (ka === K_UNSUPPORTED || kb === K_UNSUPPORTED || ka === K_SNAN || kb === K_SNAN || !quiet) out.flags |= IE;
    return CC_UNORDERED;
  }
  if (ka === K_DENORMAL || kb === K_DENORMAL) out.flags |= DE;
  const aZero = ka === K_ZERO, bZero = kb === K_ZERO;
  if (aZero && bZero) return CC_EQUAL;
  const aNeg = (aSe & 0x8000) !== 0, bNeg = (bSe & 0x8000) !== 0;
  if (aNeg !== bNeg) return aNeg ? CC_LESS : CC_GREATER;
  // Same sign: order the magnitudes (denormals at exponent 1 keep the order of values).
  const ae = (aSe & 0x7fff) || 1, be = (bSe & 0x7fff) || 1;
  const ah = aZero ? 0 : aHi >>> 0, bh = bZero ? 0 : bHi >>> 0;
  let c: number;
  if (aZero) c = -1;
  else if (bZero) c = 1;
  else if (ae !== be) c = ae < be ? -1 : 1;
  else if (ah !== bh) c = ah < bh ? -1 : 1;
  else if (aLo >>> 0 !== bLo >>> 0) c = aLo >>> 0 < bLo >>> 0 ? -1 : 1;
  else return CC_EQUAL;
  if (aNeg) c = -c;
  return c < 0 ? CC_LESS : CC_GREATER;
}
