// Multiply and divide: MUL/IMUL/DIV/IDIV (F6/F7 /4-/7), IMUL Gv,Ev (0F AF),
// IMUL Gv,Ev,Iz (69) and IMUL Gv,Ev,Ib (6B).
//
// Flags (SDM vol. 2, MUL/IMUL/DIV/IDIV): MUL and IMUL set CF = OF when the
// upper half of the product is significant (MUL: non-zero; IMUL: not the sign
// extension of the lower half). SF, ZF, AF and PF are undefined after a
// multiply: here SF/ZF/PF follow the (truncated or lower-half) result and AF
// is cleared. All six flags are undefined after a divide: they are left as
// they were. A zero divisor or a quotient that does not fit raises #DE.
//
// 32-bit products and 64-bit dividends are handled exactly with 16-bit
// splitting in doubles (every intermediate stays below 2^53); nothing here
// allocates.

import { Cpu } from '../cpu';
import { GuestFault } from '../faults';
import { CF, EAX, EDX, OF, VEC_DE } from '../state';
import { OpTable, define, defineGroup } from './table';

/** Outputs of mul32U/mul32S: the 64-bit product as two unsigned 32-bit halves. */
let productLo = 0;
let productHi = 0;

/** Unsigned 32 x 32 -> 64-bit multiply into productHi:productLo. */
function mul32U(a: number, b: number): void {
  a >>>= 0;
  b >>>= 0;
  const aLo = a & 0xffff, aHi = a >>> 16, bLo = b & 0xffff, bHi = b >>> 16;
  const p0 = aLo * bLo, p1 = aLo * bHi, p2 = aHi * bLo, p3 = aHi * bHi;
  const mid = (p0 >>> 16) + (p1 & 0xffff) + (p2 & 0xffff);
  productLo = Math.imul(a, b) >>> 0;
  productHi = (p3 + Math.floor(p1 / 0x10000) + Math.floor(p2 / 0x10000) + Math.floor(mid / 0x10000)) >>> 0;
}

/**
 * Signed 32 x 32 -> 64-bit multiply: the unsigned product corrected in the
 * upper half (for two's complement, hi(a*b) = hiU - (a<0 ? b : 0) - (b<0 ? a : 0)).
 */
function mul32S(a: number, b: number): void {
  mul32U(a, b);
  let hi = productHi;
  if (a < 0 || a >= 0x80000000) hi -= b >>> 0;
  if (b < 0 || b >= 0x80000000) hi -= a >>> 0;
  productHi = hi >>> 0;
}

/** Outputs of div64U: quotient (when it fits in 32 bits) and remainder. */
let quotient = 0;
let remainder = 0;

/**
 * Unsigned 64 / 32-bit divide of hi:lo by d (all unsigned, d > 0, hi < d so
 * the quotient fits in 32 bits): long division in two 16-bit steps, each
 * partial dividend below 2^48.
 */
function div64U(hi: number, lo: number, d: number): void {
  let t = hi * 0x10000 + (lo >>> 16);
  let r = t % d;
  const q1 = (t - r) / d;
  t = r * 0x10000 + (lo & 0xffff);
  r = t % d;
  const q0 = (t - r) / d;
  quotient = q1 * 0x10000 + q0;
  remainder = r;
}

function divideError(): never {
  throw new GuestFault(VEC_DE, -1);
}

/** Flags after a multiply: CF = OF = `overflow`; SF/ZF/PF from `result` (undefined per SDM), AF cleared. */
function mulFlags(cpu: Cpu, result: number, size: number, overflow: boolean): void {
  cpu.setResultFlags(result, size, overflow ? CF | OF : 0);
}

// ---- F6 /4 .. /7: byte forms (AX is the double-width accumulator). ----

/** F6 /4: MUL Eb: AX = AL * Eb. */
function opMulEb(cpu: Cpu): void {
  const r = cpu.reg8[0] * cpu.readE8();
  cpu.reg16[0] = r;
  mulFlags(cpu, r, 8, r > 0xff);
}

/** F6 /5: IMUL Eb: AX = AL * Eb, signed. */
function opImulEb(cpu: Cpu): void {
  const r = ((cpu.reg8[0] << 24) >> 24) * ((cpu.readE8() << 24) >> 24);
  cpu.reg16[0] = r;
  mulFlags(cpu, r, 8, r !== (r << 24) >> 24);
}

/** F6 /6: DIV Eb: AL = AX / Eb, AH = AX % Eb. */
function opDivEb(cpu: Cpu): void {
  const d = cpu.readE8();
  if (d === 0) divideError();
  const n = cpu.reg16[0];
  const q = (n / d) | 0;
  if (q > 0xff) divideError();
  cpu.reg8[0] = q;
  cpu.reg8[1] = n - q * d;
}

/** F6 /7: IDIV Eb: signed; the quotient must lie in -128..127 (SDM vol. 2, IDIV). */
function opIdivEb(cpu: Cpu): void {
  const d = (cpu.readE8() << 24) >> 24;
  if (d === 0) divideError();
  const n = (cpu.reg16[0] << 16) >> 16;
  const q = (n / d) | 0; // truncates toward zero, as IDIV does
  if (q > 0x7f || q < -0x80) divideError();
  cpu.reg8[0] = q;
  cpu.reg8[1] = n - q * d;
}

// ---- F7 /4 .. /7: word and doubleword forms (DX:AX or EDX:EAX). ----

/** F7 /4: MUL Ev. */
function opMulEv(cpu: Cpu): void {
  if (cpu.opsize32) {
    mul32U(cpu.reg32[EAX], cpu.readE32());
    cpu.reg32[EAX] = productLo;
    cpu.reg32[EDX] = productHi;
    mulFlags(cpu, productLo, 32, productHi !== 0);
  } else {
    const r = cpu.reg16[0] * cpu.readE16();
    cpu.reg16[0] = r;
    cpu.reg16[4] = r >>> 16;
    mulFlags(cpu, r, 16, r > 0xffff);
  }
}

/** F7 /5: IMUL Ev. */
function opImulEv(cpu: Cpu): void {
  if (cpu.opsize32) {
    mul32S(cpu.reg32[EAX], cpu.readE32());
    cpu.reg32[EAX] = productLo;
    cpu.reg32[EDX] = productHi;
    mulFlags(cpu, productLo, 32, (productHi | 0) !== (productLo | 0) >> 31);
  } else {
    const r = ((cpu.reg16[0] << 16) >> 16) * ((cpu.readE16() << 16) >> 16);
    cpu.reg16[0] = r;
    cpu.reg16[4] = r >> 16;
    mulFlags(cpu, r, 16, r !== (r << 16) >> 16);
  }
}

/** F7 /6: DIV Ev. */
function opDivEv(cpu: Cpu): void {
  if (cpu.opsize32) {
    const d = cpu.readE32() >>> 0;
    if (d === 0) divideError();
    const hi = cpu.reg32[EDX] >>> 0;
    if (hi >= d) divideError(); // quotient would need more than 32 bits
    div64U(hi, cpu.reg32[EAX] >>> 0, d);
    cpu.reg32[EAX] = quotient;
    cpu.reg32[EDX] = remainder;
  } else {
    const d = cpu.readE16();
    if (d === 0) divideError();
    const n = cpu.reg16[4] * 0x10000 + cpu.reg16[0];
    const r = n % d;
    const q = (n - r) / d;
    if (q > 0xffff) divideError();
    cpu.reg16[0] = q;
    cpu.reg16[4] = r;
  }
}

/** F7 /7: IDIV Ev. */
function opIdivEv(cpu: Cpu): void {
  if (cpu.opsize32) {
    const d = cpu.readE32() | 0;
    if (d === 0) divideError();
    // Divide magnitudes, then apply the signs: the quotient is negative when
    // the signs differ, the remainder takes the dividend's sign.
    let hi = cpu.reg32[EDX] >>> 0;
    let lo = cpu.reg32[EAX] >>> 0;
    const negative = hi >= 0x80000000;
    if (negative) {
      lo = (~lo + 1) >>> 0;
      hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
    }
    const dMag = Math.abs(d);
    if (hi >= dMag) divideError();
    div64U(hi, lo, dMag);
    const qNegative = negative !== d < 0;
    if (qNegative ? quotient > 0x80000000 : quotient > 0x7fffffff) divideError();
    cpu.reg32[EAX] = qNegative ? -quotient : quotient;
    cpu.reg32[EDX] = negative ? -remainder : remainder;
  } else {
    const d = (cpu.readE16() << 16) >> 16;
    if (d === 0) divideError();
    const n = (cpu.reg16[4] << 16) | cpu.reg16[0];
    const r = n % d; // sign of the dividend, as IDIV
    const q = (n - r) / d;
    if (q > 0x7fff || q < -0x8000) divideError();
    cpu.reg16[0] = q;
    cpu.reg16[4] = r;
  }
}

/** IMUL Gv, a, b with the product truncated to the operand size (0F AF, 69, 6B). */
function imulTruncated(cpu: Cpu, a: number, b: number): void {
  const reg = cpu.regField;
  if (cpu.opsize32) {
    mul32S(a, b);
    cpu.reg32[reg] = productLo;
    mulFlags(cpu, productLo, 32, (productHi | 0) !== (productLo | 0) >> 31);
  } else {
    const r = ((a << 16) >> 16) * ((b << 16) >> 16);
    cpu.setReg16(reg, r);
    mulFlags(cpu, r, 16, r !== (r << 16) >> 16);
  }
}

export function installMulDiv(t: OpTable): void {
  defineGroup(t, 0xf6, 4, opMulEb);
  defineGroup(t, 0xf6, 5, opImulEb);
  defineGroup(t, 0xf6, 6, opDivEb);
  defineGroup(t, 0xf6, 7, opIdivEb);
  defineGroup(t, 0xf7, 4, opMulEv);
  defineGroup(t, 0xf7, 5, opImulEv);
  defineGroup(t, 0xf7, 6, opDivEv);
  defineGroup(t, 0xf7, 7, opIdivEv);

  // 0F AF: IMUL Gv,Ev.
  define(t, 0x1af, (cpu) => {
    cpu.decodeModRm();
    imulTruncated(cpu, cpu.getRegV(cpu.regField), cpu.readEv());
  });
  // 69: IMUL Gv,Ev,Iz.
  define(t, 0x69, (cpu) => {
    cpu.decodeModRm();
    const a = cpu.readEv();
    imulTruncated(cpu, a, cpu.fetchImmV());
  });
  // 6B: IMUL Gv,Ev,Ib (the immediate sign-extended).
  define(t, 0x6b, (cpu) => {
    cpu.decodeModRm();
    const a = cpu.readEv();
    imulTruncated(cpu, a, cpu.fetchS8());
  });
}
