// The D9 register forms that compute on the stack top (SDM vol. 2, the D9
// opcode map): FNOP, FCHS, FABS, FTST, FXAM, the constants (FLD1 ... FLDZ,
// rounded per RC from their exact values), FDECSTP/FINCSTP, FSQRT, FRNDINT,
// FPREM/FPREM1, FSCALE and FXTRACT (./scaling.ts).
// Instructions not implemented yet end the run with an internal error naming
// them (the project's rule), never an approximation.

import type { Cpu } from '../cpu';
import { testZero } from './arith';
import { roundToIntegral } from './convert';
import {
  IE, INDEFINITE_HI, INDEFINITE_SE, K_DENORMAL, K_INFINITY, K_NORMAL, K_QNAN, K_SNAN, K_ZERO, RC_UP, classify, out, sqrt,
} from './float80';
import { extract, extracted, remainder, remainderInfo, scale } from './scaling';
import {
  commit, notePointers, pushWouldOverflow, stackOverflow, stackUnderflow, waiting,
} from './unit';
import { SW_C0, SW_C1, SW_C2, SW_C3, X87 } from './x87';

/**
 * The constants of D9 E8-EE as exponent, the significand's 64 bits and
 * whether the exact value lies above them (then RC up rounds up, and round
 * to nearest does when the next bit is 1; vol. 1 §8.3.9). The exact values
 * (log2 10, log2 e, pi, log10 2, ln 2) continue with nonzero bits.
 */
const CONSTANTS: ReadonlyArray<readonly [se: number, hi: number, lo: number, nearestUp: boolean, inexact: boolean]> = [
  [0x3fff, 0x80000000, 0x00000000, false, false], // FLD1
  [0x4000, 0xd49a784b, 0xcd1b8afe, false, true], // FLDL2T (next bits 492Bh...)
  [0x3fff, 0xb8aa3b29, 0x5c17f0bb, true, true], // FLDL2E (next bits BE87h...)
  [0x4000, 0xc90fdaa2, 0x2168c234, true, true], // FLDPI (next bits C4C6h...)
  [0x3ffd, 0x9a209a84, 0xfbcff798, true, true], // FLDLG2 (next bits 8F89h...)
  [0x3ffe, 0xb17217f7, 0xd1cf79ab, true, true], // FLDLN2 (next bits C9E3h...)
  [0x0000, 0x00000000, 0x00000000, false, false], // FLDZ
];

function loadConstant(f: X87, index: number): void {
  if (pushWouldOverflow(f)) {
    stackOverflow(f);
    return;
  }
  const [se, hi, lo, nearestUp, inexact] = CONSTANTS[index];
  const rc = (f.cw >> 10) & 3;
  const up = inexact && (rc === RC_UP || (rc === 0 && nearestUp));
  f.sw &= ~SW_C1;
  // No significand here ends in all ones, so the increment never carries.
  f.push(se, hi, up ? lo + 1 : lo);
}

/** FXAM: the class of ST(0) in C3, C2, C0 and its sign in C1 (vol. 2 FXAM, table 3-45). */
function examine(f: X87): void {
  const p = f.top;
  let cc: number;
  if (((f.empty >> p) & 1) !== 0) cc = SW_C3 | SW_C0;
  else {
    switch (classify(f.se[p], f.hi[p], f.lo[p])) {
      case K_ZERO: cc = SW_C3; break;
      case K_DENORMAL: cc = SW_C3 | SW_C2; break;
      case K_NORMAL: cc = SW_C2; break;
      case K_INFINITY: cc = SW_C2 | SW_C0; break;
      case K_QNAN: case K_SNAN: cc = SW_C0; break;
      default: cc = 0; // unsupported
    }
  }
  if ((f.se[p] & 0x8000) !== 0) cc |= SW_C1;
  f.sw = (f.sw & ~(SW_C0 | SW_C1 | SW_C2 | SW_C3)) | cc;
}

/** An operation on ST(0) alone, its result back in ST(0). */
function unary(f: X87, operation: (se: number, hi: number, lo: number, cw: number) => void): void {
  const p = f.top;
  out.flags = 0;
  if (((f.empty >> p) & 1) !== 0) {
    stackUnderflow(f, p);
    return;
  }
  operation(f.se[p], f.hi[p], f.lo[p], f.cw);
  commit(f, p);
}

/** FCHS and FABS change the sign bit only: no exception but stack underflow, C1 cleared. */
function signOperation(f: X87, abs: boolean): void {
  const p = f.top;
  if (((f.empty >> p) & 1) !== 0) {
    stackUnderflow(f, p);
    return;
  }
  f.se[p] = abs ? f.se[p] & 0x7fff : f.se[p] ^ 0x8000;
  f.sw &= ~SW_C1;
}

/** ST(0) and ST(1) both full; else a stack underflow with the masked indefinite in ST(0): false. */
function twoOperands(f: X87): boolean {
  out.flags = 0;
  const p0 = f.top, p1 = f.phys(1);
  if (((f.empty >> p0) & 1) === 0 && ((f.empty >> p1) & 1) === 0) return true;
  stackUnderflow(f, p0);
  return false;
}

/** FPREM / FPREM1: ST(0) = remainder of ST(0) / ST(1); C2 = partial, else C0 C3 C1 = the quotient's low bits. */
function partialRemainder(f: X87, nearest: boolean): void {
  if (!twoOperands(f)) {
    f.sw &= ~SW_C2;
    return;
  }
  const p0 = f.top, p1 = f.phys(1);
  remainder(f.se[p0], f.hi[p0], f.lo[p0], f.se[p1], f.hi[p1], f.lo[p1], nearest, f.cw);
  if (!commit(f, p0) || !remainderInfo.ordered) {
    f.sw &= ~SW_C2;
    return;
  }
  // A partial remainder sets C2 alone; a complete one the quotient's bits 2, 1, 0 in C0, C3, C1.
  const q = remainderInfo.partial ? 0 : remainderInfo.quotient;
  let cc = remainderInfo.partial ? SW_C2 : 0;
  if (q & 4) cc |= SW_C0;
  if (q & 2) cc |= SW_C3;
  if (q & 1) cc |= SW_C1;
  f.sw = (f.sw & ~(SW_C0 | SW_C1 | SW_C2 | SW_C3)) | cc;
}

/** FSCALE: ST(0) = ST(0) * 2^trunc(ST(1)). */
function scaleByPowerOfTwo(f: X87): void {
  if (!twoOperands(f)) return;
  const p0 = f.top, p1 = f.phys(1);
  scale(f.se[p0], f.hi[p0], f.lo[p0], f.se[p1], f.hi[p1], f.lo[p1], f.cw);
  commit(f, p0);
}

/** FXTRACT: ST(0) becomes the exponent, then the significand is pushed. */
function extractExponent(f: X87): void {
  const p0 = f.top;
  out.flags = 0;
  if (((f.empty >> p0) & 1) !== 0) {
    if (stackUnderflow(f, p0)) f.push(INDEFINITE_SE, INDEFINITE_HI, 0);
    return;
  }
  if (pushWouldOverflow(f)) {
    // Masked, both results are the indefinite: ST(0) is replaced before the push.
    if ((f.cw & IE) !== 0) f.setPhys(p0, INDEFINITE_SE, INDEFINITE_HI, 0);
    stackOverflow(f);
    return;
  }
  extract(f.se[p0], f.hi[p0], f.lo[p0], f.cw);
  const { expSe, expHi, expLo } = extracted;
  if (!commit(f, p0)) return;
  f.setPhys(p0, expSe, expHi, expLo);
  f.push(out.se, out.hi, out.lo);
}

function notImplemented(cpu: Cpu, name: string): never {
  return cpu.unimplemented(`x87 ${name} is not implemented yet`);
}

/** D9 register forms other than FLD/FXCH/FSTP1 (those are in ./loadStore.ts). */
export function registerForms(cpu: Cpu): void {
  const modrm = cpu.modrm;
  switch (modrm) {
    case 0xd0: { // FNOP
      const f = waiting(cpu);
      notePointers(cpu, f, 0xd9);
      return;
    }
    case 0xe0: case 0xe1: {
      const f = waiting(cpu);
      notePointers(cpu, f, 0xd9);
      signOperation(f, modrm === 0xe1);
      return;
    }
    case 0xe4: testZero(cpu); return;
    case 0xe5: {
      const f = waiting(cpu);
      notePointers(cpu, f, 0xd9);
      examine(f);
      return;
    }
    case 0xe8: case 0xe9: case 0xea: case 0xeb: case 0xec: case 0xed: case 0xee: {
      const f = waiting(cpu);
      notePointers(cpu, f, 0xd9);
      loadConstant(f, modrm - 0xe8);
      return;
    }
    case 0xf6: case 0xf7: { // FDECSTP, FINCSTP
      const f = waiting(cpu);
      notePointers(cpu, f, 0xd9);
      f.top = (f.top + (modrm === 0xf6 ? 7 : 1)) & 7;
      f.sw &= ~SW_C1;
      return;
    }
    case 0xfa: case 0xfc: {
      const f = waiting(cpu);
      notePointers(cpu, f, 0xd9);
      unary(f, modrm === 0xfa ? sqrt : roundToIntegral);
      return;
    }
    case 0xf0: return notImplemented(cpu, 'F2XM1');
    case 0xf1: return notImplemented(cpu, 'FYL2X');
    case 0xf2: return notImplemented(cpu, 'FPTAN');
    case 0xf3: return notImplemented(cpu, 'FPATAN');
    case 0xf4: {
      const f = waiting(cpu);
      notePointers(cpu, f, 0xd9);
      extractExponent(f);
      return;
    }
    case 0xf5: case 0xf8: {
      const f = waiting(cpu);
      notePointers(cpu, f, 0xd9);
      partialRemainder(f, modrm === 0xf5);
      return;
    }
    case 0xfd: {
      const f = waiting(cpu);
      notePointers(cpu, f, 0xd9);
      scaleByPowerOfTwo(f);
      return;
    }
    case 0xf9: return notImplemented(cpu, 'FYL2XP1');
    case 0xfb: return notImplemented(cpu, 'FSINCOS');
    case 0xfe: return notImplemented(cpu, 'FSIN');
    case 0xff: return notImplemented(cpu, 'FCOS');
    default: cpu.undefinedOpcode();
  }
}
