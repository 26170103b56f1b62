// The exact operations on exponents and remainders (SDM vol. 2, FPREM,
// FPREM1, FSCALE, FXTRACT), in the conventions of ./float80.ts: a result in
// `out`, flags in `out.flags`. No rounding but at the ends of the exponent
// range: a remainder is exact, a scaled value keeps its significand.

import {
  BIAS, C1, DE, EXP_SPECIAL, INDEFINITE_HI, OE, PE, UE, INDEFINITE_SE, K_DENORMAL, K_INFINITY, K_QNAN, K_SNAN, K_UNSUPPORTED,
  K_ZERO, WRAP, ZE, classify, difference, invalid, screen, normalizeWorking, out, propagateNaN, roundPack, setResult,
  subtract64, w,
} from './float80';
import { loadInteger } from './convert';

/**
 * The quotient's low three bits, whether the reduction was only partial, and
 * whether there was a quotient at all (not for a NaN or invalid operand: the
 * host FPU then leaves C0, C1 and C3 alone).
 */
export const remainderInfo = { quotient: 0, partial: false, ordered: false };

/** Unpack a finite nonzero operand into w, normalized (denormals take exponent 1 first). */
function unpackNormalized(se: number, hi: number, lo: number): void {
  w.sign = se >>> 15;
  w.exp = (se & 0x7fff) || 1;
  w.r0 = hi >>> 0;
  w.r1 = lo >>> 0;
  w.r2 = 0;
  normalizeWorking();
}

/** Pack the working value exactly (64-bit precision: nothing to round but a tiny or huge result). */
function packExact(cw: number): void {
  if (!normalizeWorking()) {
    setResult(w.sign << 15, 0, 0);
    return;
  }
  roundPack(64, EXP_SPECIAL - 1, cw, WRAP);
  setResult((w.sign << 15) | w.exp, w.r0, w.r1);
}

/** The dividend itself as the remainder, in canonical form (a pseudo-denormal comes back with exponent 1). */
function passThrough(se: number, hi: number, lo: number, cw: number): void {
  if (classify(se, hi, lo) === K_ZERO) {
    setResult(se, 0, 0);
    return;
  }
  unpackNormalized(se, hi, lo);
  packExact(cw);
}

/**
 * FPREM (`nearest` false: the quotient truncated) and FPREM1 (`nearest`:
 * rounded to even) of a by b into `out`, with `remainderInfo`. When the
 * exponents differ by 64 or more the reduction is partial: 32 + (d mod 32)
 * quotient bits are taken (what the host FPU does), and C2 is to be set.
 */
export function remainder(aSe: number, aHi: number, aLo: number, bSe: number, bHi: number, bLo: number, nearest: boolean, cw: number): void {
  remainderInfo.quotient = 0;
  remainderInfo.partial = remainderInfo.ordered = false;
  const ka = classify(aSe, aHi, aLo);
  const kb = classify(bSe, bHi, bLo);
  // An infinite dividend or a zero divisor is invalid before a denormal counts (as the host FPU reports it).
  const invalidPair = (ka === K_INFINITY || kb === K_ZERO) && ka !== K_UNSUPPORTED && kb !== K_UNSUPPORTED &&
    ka !== K_QNAN && ka !== K_SNAN && kb !== K_QNAN && kb !== K_SNAN;
  if (invalidPair) {
    invalid();
    return;
  }
  if (screen(aSe, aHi, aLo, ka, bSe, bHi, bLo, kb, cw)) return;
  remainderInfo.ordered = true;
  if (ka === K_ZERO || kb === K_INFINITY) {
    passThrough(aSe, aHi, aLo, cw);
    return;
  }
  unpackNormalized(bSe, bHi, bLo);
  const bExp = w.exp, d0 = w.r0, d1 = w.r1;
  unpackNormalized(aSe, aHi, aLo);
  const sign = w.sign;
  const d = w.exp - bExp;
  if (d < -1 || (d === -1 && !nearest)) {
    passThrough(aSe, aHi, aLo, cw);
    return;
  }
  let n0 = w.r0, n1 = w.r1;
  if (d === -1) {
    // |a| / |b| lies in (1/4, 1): the nearest quotient is 1 when |a| > |b| / 2, that is a.sig > b.sig (a tie stays 0).
    if (n0 < d0 || (n0 === d0 && n1 <= d1)) {
      passThrough(aSe, aHi, aLo, cw);
      return;
    }
    // The remainder |a| - |b| is negative: its magnitude is (2 b.sig - a.sig) at a's scale, below b.sig.
    let lo = d1 * 2 - n1;
    const carry = Math.floor(lo / 0x100000000);
    lo -= carry * 0x100000000;
    const r0 = d0 * 2 - n0 + carry, r1 = lo;
    remainderInfo.quotient = 1;
    w.sign = sign ^ 1;
    w.exp = bExp - 1;
    w.r0 = r0 >>> 0;
    w.r1 = r1 >>> 0;
    w.r2 = 0;
    packExact(cw);
    return;
  }
  const partial = d >= 64;
  const bits = partial ? 32 + (d & 31) : d;
  // Restoring division of a.sig * 2^bits by b.sig: the quotient's low bits and the remainder (< b.sig).
  let q = 0;
  for (let i = 0; i <= bits; i++) {
    const top = i > 0 ? n0 >>> 31 : 0;
    if (i > 0) {
      n0 = ((n0 << 1) | (n1 >>> 31)) >>> 0;
      n1 = (n1 << 1) >>> 0;
    }
    q = (q << 1) & 0xff;
    if (top !== 0 || n0 > d0 || (n0 === d0 && n1 >= d1)) {
      subtract64(n0, n1, d0, d1);
      n0 = difference.hi;
      n1 = difference.lo;
      q |= 1;
    }
  }
  let resultSign = sign;
  if (nearest && !partial) {
    // Round the quotient to nearest even: compare 2R with b.sig.
    const t = n0 >>> 31;
    const h0 = ((n0 << 1) | (n1 >>> 31)) >>> 0, h1 = (n1 << 1) >>> 0;
    const above = t !== 0 || h0 > d0 || (h0 === d0 && h1 > d1);
    const tie = t === 0 && h0 === d0 && h1 === d1;
    if (above || (tie && (q & 1) !== 0)) {
      q = (q + 1) & 0xff;
      subtract64(d0, d1, n0, n1);
      n0 = difference.hi;
      n1 = difference.lo;
      resultSign ^= 1;
    }
  }
  remainderInfo.quotient = q & 7;
  remainderInfo.partial = partial;
  w.sign = resultSign;
  w.exp = bExp + (d - bits);
  w.r0 = n0;
  w.r1 = n1;
  w.r2 = 0;
  if ((n0 | n1) === 0) {
    setResult(sign << 15, 0, 0);
    return;
  }
  packExact(cw);
}

/** The largest scale FSCALE applies: beyond it every result over- or underflows anyway. */
const SCALE_LIMIT = 0x10000;

/** FSCALE: a * 2^trunc(b) into `out` (vol. 2 FSCALE, table 3-47). */
export function scale(aSe: number, aHi: number, aLo: number, bSe: number, bHi: number, bLo: number, cw: number): void {
  const ka = classify(aSe, aHi, aLo);
  const kb = classify(bSe, bHi, bLo);
  if (screen(aSe, aHi, aLo, ka, bSe, bHi, bLo, kb, cw)) return;
  const bNeg = (bSe & 0x8000) !== 0;
  if (kb === K_INFINITY) {
    if ((ka === K_ZERO && !bNeg) || (ka === K_INFINITY && bNeg)) invalid();
    else if (ka === K_ZERO || ka === K_INFINITY) setResult(aSe, aHi, aLo);
    else if (bNeg) setResult(aSe & 0x8000, 0, 0);
    else setResult((aSe & 0x8000) | EXP_SPECIAL, 0x80000000, 0);
    return;
  }
  if (ka === K_ZERO || ka === K_INFINITY) {
    setResult(aSe, aHi, aLo);
    return;
  }
  // trunc(b), clamped.
  let n = 0;
  if (kb !== K_ZERO) {
    const e = ((bSe & 0x7fff) || 1) - BIAS;
    if (e >= 16) n = SCALE_LIMIT;
    else if (e >= 0) n = (bHi >>> 0) >>> (31 - e);
    if (bNeg) n = -n;
  }
  unpackNormalized(aSe, aHi, aLo);
  w.exp += n;
  // Beyond what an unmasked response's 2^24576 can bring back: infinity or zero, whatever the rounding (as the host FPU).
  if (w.exp - WRAP > EXP_SPECIAL - 1 && (cw & OE) === 0) {
    out.flags |= OE | PE | C1;
    setResult((w.sign << 15) | EXP_SPECIAL, 0x80000000, 0);
    return;
  }
  if (w.exp + WRAP < 1 && (cw & UE) === 0) {
    out.flags |= UE | PE;
    setResult(w.sign << 15, 0, 0);
    return;
  }
  packExact(cw);
}

/** FXTRACT's two results: the exponent (into ST(1)) and the significand (the new ST(0)). */
export const extracted = { expSe: 0, expHi: 0, expLo: 0 };

/**
 * FXTRACT of a: `out` is the significand (a with exponent 0), `extracted`
 * the exponent as a real. Zero: ZE, exponent -infinity; infinity: exponent
 * +infinity; NaNs both.
 */
export function extract(aSe: number, aHi: number, aLo: number, cw: number): void {
  const ka = classify(aSe, aHi, aLo);
  if (ka === K_UNSUPPORTED) {
    invalid();
    extracted.expSe = INDEFINITE_SE;
    extracted.expHi = INDEFINITE_HI;
    extracted.expLo = 0;
    return;
  }
  if (ka === K_QNAN || ka === K_SNAN) {
    propagateNaN(aSe, aHi, aLo, ka, aSe, aHi, aLo, ka);
    extracted.expSe = out.se;
    extracted.expHi = out.hi;
    extracted.expLo = out.lo;
    return;
  }
  if (ka === K_ZERO) {
    out.flags |= ZE;
    extracted.expSe = 0x8000 | EXP_SPECIAL;
    extracted.expHi = 0x80000000;
    extracted.expLo = 0;
    setResult(aSe, 0, 0);
    return;
  }
  if (ka === K_INFINITY) {
    extracted.expSe = EXP_SPECIAL;
    extracted.expHi = 0x80000000;
    extracted.expLo = 0;
    setResult(aSe, aHi, aLo);
    return;
  }
  if (ka === K_DENORMAL) {
    out.flags |= DE;
    if ((cw & DE) === 0) return;
  }
  unpackNormalized(aSe, aHi, aLo);
  const e = w.exp - BIAS;
  const sign = w.sign, hi = w.r0, lo = w.r1;
  const flags = out.flags;
  loadInteger(e < 0, 0, Math.abs(e));
  extracted.expSe = out.se;
  extracted.expHi = out.hi;
  extracted.expLo = out.lo;
  out.flags = flags;
  setResult((sign << 15) | BIAS, hi, lo);
}

