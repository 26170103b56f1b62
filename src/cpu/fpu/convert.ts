// Conversions between the 80-bit register format and the x87's memory
// formats: single and double precision reals, 16/32/64-bit integers and
// 18-digit packed BCD (SDM vol. 1 §4.2, §4.7, §8.2), plus rounding to an
// integer in the register format (FRNDINT). Integer arithmetic only, as in
// ./float80.ts, whose working value and result conventions these share.

import {
  BIAS, C1, DE, EXP_SPECIAL, IE, INDEFINITE_HI, INDEFINITE_SE, K_DENORMAL, K_INFINITY, K_NORMAL, K_QNAN, K_SNAN,
  K_UNSUPPORTED, K_ZERO, PE, classify, normalizeWorking, out, roundPack, setResult, shiftRightJam, w,
} from './float80';

/** A memory-format result: up to 64 bits as two 32-bit words (lo first, as in memory). */
export const mem = { lo: 0, hi: 0, ok: true };

/** What the last real load saw: a denormal (DE for the instruction) or an SNaN (IE). */
export const loaded = { denormal: false, snan: false };

// ---------------------------------------------------------------------------
// Reals to and from memory
// ---------------------------------------------------------------------------

/**
 * A real of `fracBits` fraction bits and exponent bias `bias` (single: 23,
 * 127; double: 52, 1023) to the register format, exactly: denormals are
 * normalized, an SNaN stays signalling (the arithmetic sees it as such; FLD
 * quiets it); `loaded` says which, for the instruction's DE and IE.
 * The value arrives as sign, biased exponent and fraction split into the
 * fraction's upper part `fHi` (bits above 32) and lower 32 bits `fLo`.
 */
function loadReal(sign: number, exp: number, fHi: number, fLo: number, fracBits: number, maxExp: number, bias: number): void {
  // Significand left-aligned in hi:lo with the integer bit at hi bit 31.
  const shift = 63 - fracBits; // fraction bit fracBits-1 goes to bit 62
  let hi: number, lo: number;
  if (fracBits > 32) {
    // double: fHi has fracBits - 32 bits
    hi = ((fHi << shift) | (fLo >>> (32 - shift))) >>> 0;
    lo = (fLo << shift) >>> 0;
  } else {
    hi = (fLo << shift) >>> 0;
    lo = 0;
  }
  loaded.denormal = loaded.snan = false;
  if (exp === maxExp) {
    if (hi === 0 && lo === 0) {
      setResult((sign << 15) | EXP_SPECIAL, 0x80000000, 0);
      return;
    }
    loaded.snan = (hi & 0x40000000) === 0;
    setResult((sign << 15) | EXP_SPECIAL, hi | 0x80000000, lo);
    return;
  }
  if (exp === 0) {
    if (hi === 0 && lo === 0) {
      setResult(sign << 15, 0, 0);
      return;
    }
    // 0.f * 2^(1 - bias): the fraction as a significand whose integer bit is 0.
    loaded.denormal = true;
    w.sign = sign;
    w.exp = 1 - bias + BIAS;
    w.r0 = hi;
    w.r1 = lo;
    w.r2 = 0;
    normalizeWorking();
    setResult((sign << 15) | w.exp, w.r0, w.r1);
    return;
  }
  setResult((sign << 15) | (exp - bias + BIAS), hi | 0x80000000, lo);
}

export function loadFloat32(bits: number): void {
  loadReal(bits >>> 31, (bits >>> 23) & 0xff, 0, bits & 0x7fffff, 23, 0xff, 127);
}

export function loadFloat64(lo: number, hi: number): void {
  loadReal(hi >>> 31, (hi >>> 20) & 0x7ff, hi & 0xfffff, lo >>> 0, 52, 0x7ff, 1023);
}

/**
 * Round a register value to a memory real (FST m32/m64) into `mem`;
 * mem.ok is false when an unmasked exception suppresses the store.
 */
function storeReal(se: number, hi: number, lo: number, cw: number, double: boolean): void {
  const k = classify(se, hi, lo);
  const sign = se >>> 15;
  const precision = double ? 53 : 24;
  const emax = double ? 0x7fe : 0xfe;
  const bias = double ? 1023 : 127;
  mem.ok = true;
  let exp = 0, r0 = 0, r1 = 0;
  switch (k) {
    case K_ZERO:
      break;
    case K_INFINITY:
      exp = emax + 1;
      break;
    case K_UNSUPPORTED:
    case K_QNAN:
    case K_SNAN:
      if (k !== K_QNAN) {
        out.flags |= IE;
        if ((cw & IE) === 0) {
          mem.ok = false;
          return;
        }
      }
      exp = emax + 1;
      if (k === K_UNSUPPORTED) {
        // The indefinite, with the sign set.
        packReal(1, exp, 0xc0000000, 0, double);
        return;
      }
      r0 = (hi | 0x40000000) & 0x7fffffff;
      r1 = lo;
      packReal(sign, exp, r0, r1, double);
      return;
    default: {
      // A denormal source raises no DE here (the host FPU reports none): it underflows like any tiny value.
      w.sign = sign;
      w.exp = (se & 0x7fff) || 1;
      w.r0 = hi >>> 0;
      w.r1 = lo >>> 0;
      w.r2 = 0;
      normalizeWorking();
      w.exp = w.exp - BIAS + bias;
      if (!roundPack(precision, emax, cw, 0)) {
        mem.ok = false;
        return;
      }
      exp = w.exp;
      r0 = w.r0;
      r1 = w.r1;
    }
  }
  packReal(sign, exp, r0, r1, double);
}

/** Pack sign, biased exponent and a significand (integer bit at r0 bit 31, ignored) into `mem`. */
function packReal(sign: number, exp: number, r0: number, r1: number, double: boolean): void {
  if (double) {
    mem.hi = ((sign << 31) | (exp << 20) | ((r0 >>> 11) & 0xfffff)) >>> 0;
    mem.lo = (((r0 & 0x7ff) << 21) | (r1 >>> 11)) >>> 0;
  } else {
    mem.lo = ((sign << 31) | (exp << 23) | ((r0 >>> 8) & 0x7fffff)) >>> 0;
    mem.hi = 0;
  }
}

export function storeFloat32(se: number, hi: number, lo: number, cw: number): void {
  storeReal(se, hi, lo, cw, false);
}

export function storeFloat64(se: number, hi: number, lo: number, cw: number): void {
  storeReal(se, hi, lo, cw, true);
}

// ---------------------------------------------------------------------------
// Integers
// ---------------------------------------------------------------------------

/** A signed integer given as magnitude hi:lo and sign, to the register format (exact). */
export function loadInteger(negative: boolean, hi: number, lo: number): void {
  w.sign = negative ? 1 : 0;
  w.exp = BIAS + 63;
  w.r0 = hi >>> 0;
  w.r1 = lo >>> 0;
  w.r2 = 0;
  if (!normalizeWorking()) {
    setResult(0, 0, 0);
    return;
  }
  setResult((w.sign << 15) | w.exp, w.r0, w.r1);
}

/** A two's-complement 64-bit integer (lo, hi words) to the register format. */
export function loadInt64(lo: number, hi: number): void {
  if ((hi & 0x80000000) !== 0) {
    // Negate: magnitude of a negative value.
    let nlo = (~lo + 1) >>> 0;
    let nhi = ~hi >>> 0;
    if (nlo === 0) nhi = (nhi + 1) >>> 0;
    if (lo === 0 && nlo !== 0) nlo = 0;
    loadInteger(true, nhi, nlo);
  } else loadInteger(false, hi, lo);
}

/**
 * Round a register value to an integer in mode `rc` (3 = chop, for FISTTP)
 * into w.r0:w.r1 as a magnitude (sign in w.sign). Returns false for values
 * with no integer (NaN, infinity, unsupported) or beyond 2^64.
 */
function roundToInteger(se: number, hi: number, lo: number, rc: number): boolean {
  const k = classify(se, hi, lo);
  w.sign = se >>> 15;
  if (k === K_ZERO) {
    w.r0 = w.r1 = 0;
    return true;
  }
  if (k !== K_NORMAL && k !== K_DENORMAL) return false;
  const e = ((se & 0x7fff) || 1) - BIAS;
  if (e > 63) return false;
  w.r0 = hi >>> 0;
  w.r1 = lo >>> 0;
  w.r2 = 0;
  shiftRightJam(63 - e);
  return roundIntegerPart(rc);
}

/** Round w.r0:r1 . r2 to an integer; false when it carries beyond 64 bits. */
function roundIntegerPart(rc: number): boolean {
  const r2 = w.r2;
  if (r2 === 0) return true;
  out.flags |= PE;
  const lsb = w.r1 & 1;
  const sign = w.sign;
  let up: boolean;
  switch (rc) {
    case 0: up = r2 > 0x80000000 || (r2 === 0x80000000 && lsb === 1); break;
    case 1: up = sign !== 0; break;
    case 2: up = sign === 0; break;
    default: up = false;
  }
  w.r2 = 0;
  if (!up) return true;
  out.flags |= C1;
  let r1 = w.r1 + 1;
  let r0 = w.r0;
  if (r1 > 0xffffffff) {
    r1 = 0;
    r0++;
  }
  w.r1 = r1;
  w.r0 = r0 >>> 0;
  return r0 <= 0xffffffff;
}

/**
 * A register value to a `bits`-bit two's-complement integer (FIST/FISTP,
 * FISTTP with `chop`) into `mem`. Out of range, NaN, infinity or an
 * unsupported encoding is IE, with the integer indefinite (the most negative
 * value) as the masked response; mem.ok false when IE is unmasked.
 */
export function storeInteger(se: number, hi: number, lo: number, cw: number, bits: number, chop: boolean): void {
  mem.ok = true;
  const flagsBefore = out.flags;
  const rc = chop ? 3 : (cw >> 10) & 3;
  let ok = roundToInteger(se, hi, lo, rc);
  if (ok) {
    const r0 = w.r0, r1 = w.r1, neg = w.sign !== 0;
    if (bits === 64) ok = r0 < 0x80000000 || (neg && r0 === 0x80000000 && r1 === 0);
    else if (r0 !== 0) ok = false;
    else {
      const limit = bits === 32 ? 0x80000000 : 0x8000;
      ok = r1 < limit || (neg && r1 === limit);
    }
    if (ok) {
      let vlo = r1, vhi = r0;
      if (neg) {
        vlo = (~r1 + 1) >>> 0;
        vhi = (~r0 + (vlo === 0 ? 1 : 0)) >>> 0;
      }
      mem.lo = bits === 16 ? vlo & 0xffff : vlo;
      mem.hi = bits === 64 ? vhi : 0;
      return;
    }
  }
  out.flags = flagsBefore | IE;
  if ((cw & IE) === 0) {
    mem.ok = false;
    return;
  }
  mem.lo = bits === 16 ? 0x8000 : bits === 32 ? 0x80000000 : 0;
  mem.hi = bits === 64 ? 0x80000000 : 0;
}

// ---------------------------------------------------------------------------
// Packed BCD: 18 digits in bytes 0-8 (two per byte, low digit in the low
// nibble), the sign in bit 7 of byte 9.
// ---------------------------------------------------------------------------

/** FBLD: 10 bytes of packed BCD to the register format. Invalid digits give undefined (here: their nibble values). */
export function loadBcd(bytes: Uint8Array): void {
  // Accumulate in two 32-bit halves: value = hiPart * 10^9 + loPart, each below 10^9.
  let loPart = 0, hiPart = 0;
  for (let i = 8; i >= 0; i--) {
    const b = bytes[i];
    const d = (b >> 4) * 10 + (b & 15);
    if (i >= 5) hiPart = hiPart * 100 + d;
    else if (i === 4) {
      hiPart = hiPart * 10 + (b >> 4);
      loPart = b & 15;
    } else loPart = loPart * 100 + d;
  }
  // hiPart * 10^9 + loPart as a 64-bit magnitude: hiPart < 10^9, so split the product in 16-bit pieces.
  const e9 = 1000000000;
  const pLo = (hiPart % 65536) * e9; // < 2^46
  const pHi = Math.floor(hiPart / 65536) * e9; // times 2^16
  // total = pHi * 2^16 + pLo + loPart
  const low = pLo + loPart + (pHi % 65536) * 65536;
  const lo32 = low % 4294967296;
  const hi32 = Math.floor(pHi / 65536) + Math.floor(low / 4294967296);
  loadInteger((bytes[9] & 0x80) !== 0, hi32, lo32);
  if ((bytes[9] & 0x80) !== 0) out.se |= 0x8000; // -0 stays negative
}

/**
 * FBSTP: a register value rounded to an integer per RC, as 10 bytes of
 * packed BCD into `bcd`; beyond 18 digits (or NaN, infinity, unsupported)
 * is IE with the BCD indefinite as the masked response. False when IE is
 * unmasked (nothing is stored).
 */
export function storeBcd(se: number, hi: number, lo: number, cw: number, bcd: Uint8Array): boolean {
  const flagsBefore = out.flags;
  let ok = roundToInteger(se, hi, lo, (cw >> 10) & 3);
  // 10^18 - 1 = 0DE0B6B3_A763FFFF.
  if (ok) ok = w.r0 < 0x0de0b6b3 || (w.r0 === 0x0de0b6b3 && w.r1 <= 0xa763ffff);
  if (!ok) {
    out.flags = flagsBefore | IE;
    if ((cw & IE) === 0) return false;
    bcd.fill(0);
    bcd[7] = 0xc0;
    bcd[8] = 0xff;
    bcd[9] = 0xff;
    return true;
  }
  // Split the magnitude into two base-10^9 halves: (r0 * 2^32 + r1) / 10^9.
  const e9 = 1000000000;
  const r0 = w.r0, r1 = w.r1;
  // Long division in 16-bit steps keeps every intermediate exact.
  let rem = 0, q = 0;
  for (const part of [r0 >>> 16, r0 & 0xffff, r1 >>> 16, r1 & 0xffff]) {
    const cur = rem * 65536 + part;
    const d = Math.floor(cur / e9);
    rem = cur - d * e9;
    q = q * 65536 + d;
  }
  // Digits from the least significant: nine from the remainder, nine from the quotient.
  let high = q, low = rem;
  for (let i = 0; i < 9; i++) {
    let pair: number;
    if (i < 4) {
      pair = low % 100;
      low = Math.floor(low / 100);
    } else if (i === 4) {
      pair = low + (high % 10) * 10;
      high = Math.floor(high / 10);
    } else {
      pair = high % 100;
      high = Math.floor(high / 100);
    }
    bcd[i] = (Math.floor(pair / 10) << 4) | (pair % 10);
  }
  bcd[9] = w.sign !== 0 ? 0x80 : 0;
  return true;
}

// ---------------------------------------------------------------------------
// FRNDINT
// ---------------------------------------------------------------------------

/** Round a register value to an integer value per RC (FRNDINT), into `out`. */
export function roundToIntegral(se: number, hi: number, lo: number, cw: number): void {
  const k = classify(se, hi, lo);
  switch (k) {
    case K_UNSUPPORTED:
      out.flags |= IE;
      setResult(INDEFINITE_SE, INDEFINITE_HI, 0);
      return;
    case K_SNAN:
      out.flags |= IE;
      setResult(se, hi | 0x40000000, lo);
      return;
    case K_QNAN: case K_INFINITY: case K_ZERO:
      setResult(se, hi, lo);
      return;
  }
  if (k === K_DENORMAL) {
    out.flags |= DE;
    if ((cw & DE) === 0) return;
  }
  const exp = (se & 0x7fff) || 1;
  if (exp - BIAS >= 63) {
    setResult(se, hi, lo);
    return;
  }
  const sign = se >>> 15;
  w.sign = sign;
  if (exp < BIAS - 1) {
    // |x| < 1/2: nothing of it is integer; all of it is below half an integer.
    w.r0 = w.r1 = 0;
    w.r2 = 1;
  } else {
    w.r0 = hi >>> 0;
    w.r1 = lo >>> 0;
    w.r2 = 0;
    shiftRightJam(63 - (exp - BIAS));
  }
  roundIntegerPart((cw >> 10) & 3);
  w.exp = BIAS + 63;
  if (!normalizeWorking()) {
    setResult(sign << 15, 0, 0);
    return;
  }
  setResult((sign << 15) | w.exp, w.r0, w.r1);
}
