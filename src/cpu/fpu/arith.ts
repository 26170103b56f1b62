// The x87 arithmetic and comparison instructions: D8 (m32real, ST(0) with
// ST(i)), DC (m64real, ST(i) with ST(0)), DA (m32int; FCMOVcc, FUCOMPP), DE
// (m16int; the popping register forms), and the compares FCOM/FCOMP/FCOMPP,
// FUCOM*, FICOM*, FCOMI/FUCOMI(P) (SDM vol. 2, the D8-DF opcode maps, and
// each instruction's page for its exceptions).

import type { Cpu } from '../cpu';
import { CF, PF, ZF } from '../state';
import {
  CC_UNORDERED, DE, IE, K_QNAN, K_SNAN, K_UNSUPPORTED, K_ZERO, add, classify, compare, div, mul, out,
} from './float80';
import { loadFloat32, loadFloat64, loadInteger, loaded } from './convert';
import {
  commit, commitFlags, notePointers, operand, read16, read32, readWide, stackUnderflow, waiting,
} from './unit';
import { SW_C0, SW_C1, SW_C2, SW_C3, X87 } from './x87';

/** The source operand of a memory form, in register format. */
const src = { se: 0, hi: 0, lo: 0, denormal: false };

/** Read the memory operand of D8/DC/DA/DE into `src`. */
function readSource(cpu: Cpu, escape: number): void {
  src.denormal = false;
  switch (escape) {
    case 0xd8:
      loadFloat32(read32(cpu));
      src.denormal = loaded.denormal;
      break;
    case 0xdc:
      readWide(cpu, 8);
      loadFloat64(operand.lo, operand.hi);
      src.denormal = loaded.denormal;
      break;
    case 0xda: {
      const v = read32(cpu) | 0;
      loadInteger(v < 0, 0, Math.abs(v));
      break;
    }
    default: { // DE: m16int
      const v = (read16(cpu) << 16) >> 16;
      loadInteger(v < 0, 0, Math.abs(v));
    }
  }
  src.se = out.se;
  src.hi = out.hi;
  src.lo = out.lo;
}

/**
 * One of the six arithmetic operations (the ModRM reg field of D8: 0 FADD,
 * 1 FMUL, 4 FSUB, 5 FSUBR, 6 FDIV, 7 FDIVR) on a and b, into `out`.
 */
function operate(
  op: number, aSe: number, aHi: number, aLo: number, bSe: number, bHi: number, bLo: number, cw: number,
): void {
  switch (op) {
    case 0: add(aSe, aHi, aLo, bSe, bHi, bLo, false, cw); break;
    case 1: mul(aSe, aHi, aLo, bSe, bHi, bLo, cw); break;
    case 4: add(aSe, aHi, aLo, bSe, bHi, bLo, true, cw); break;
    case 5: add(bSe, bHi, bLo, aSe, aHi, aLo, true, cw); break;
    case 6: div(aSe, aHi, aLo, bSe, bHi, bLo, cw); break;
    default: div(bSe, bHi, bLo, aSe, aHi, aLo, cw);
  }
}

/**
 * A memory operand that was a denormal real raises DE unless the register
 * operand is a NaN or unsupported, or the operation (reg field `op`) divides
 * it by a zero ST(0) (a zero divide only). True when an unmasked DE stops the instruction.
 */
function sourceDenormal(f: X87, p: number, op: number): boolean {
  if (!src.denormal) return false;
  const k = classify(f.se[p], f.hi[p], f.lo[p]);
  if (k === K_QNAN || k === K_SNAN || k === K_UNSUPPORTED || (op === 7 && k === K_ZERO)) return false;
  out.flags |= DE;
  return (f.cw & DE) === 0;
}

/** Set C3, C2, C0 from a comparison's outcome (C1 cleared). */
function setCompareCodes(f: X87, cc: number): void {
  f.sw = (f.sw & ~(SW_C0 | SW_C1 | SW_C2 | SW_C3)) | cc;
}

/** Compare ST(0) with (se, hi, lo), set the codes; pops `pops` times when the comparison completed. */
function compareAndPop(f: X87, se: number, hi: number, lo: number, quiet: boolean, pops: number): void {
  const p = f.top;
  const cc = compare(f.se[p], f.hi[p], f.lo[p], se, hi, lo, quiet);
  const completed = commitFlags(f);
  setCompareCodes(f, cc);
  if (completed) for (let i = 0; i < pops; i++) f.pop();
}

/** A compare with an empty operand: stack underflow, the outcome unordered; the pops only when masked. */
function compareUnderflow(f: X87, pops: number): void {
  const masked = stackUnderflow(f, -1);
  setCompareCodes(f, CC_UNORDERED);
  if (masked) for (let i = 0; i < pops; i++) f.pop();
}

/** D8, DC, DA, DE with a memory operand: ST(0) = ST(0) op m, or a compare (reg 2 FCOM, 3 FCOMP). */
function arithmeticMemory(cpu: Cpu, escape: number): void {
  const f = waiting(cpu);
  const op = cpu.regField;
  readSource(cpu, escape);
  notePointers(cpu, f, escape);
  out.flags = 0;
  const p = f.top;
  if ((f.empty & (1 << p)) !== 0) {
    if (op === 2 || op === 3) compareUnderflow(f, op - 2);
    else stackUnderflow(f, p);
    return;
  }
  if (op === 2 || op === 3) {
    // A compare goes on with an unmasked DE (the codes are set; the pop is not done).
    sourceDenormal(f, p, op);
    compareAndPop(f, src.se, src.hi, src.lo, false, op - 2);
    return;
  }
  if (sourceDenormal(f, p, op)) {
    commitFlags(f);
    return;
  }
  operate(op, f.se[p], f.hi[p], f.lo[p], src.se, src.hi, src.lo, f.cw);
  commit(f, p);
}

/**
 * D8 register forms: ST(0) = ST(0) op ST(i); DC and DE: ST(i) = ST(i) op
 * ST(0) with the subtract and divide directions swapped (DC E0+i is FSUBR
 * ST(i),ST(0) = ST(0) - ST(i)); DE pops. Reg 2/3: FCOM/FCOMP ST(i) (and
 * their DC aliases); DE reg 2 is an FCOMP alias, DE D9 is FCOMPP.
 */
function arithmeticRegister(cpu: Cpu, escape: number): void {
  const f = waiting(cpu);
  const op = cpu.regField;
  const i = cpu.modrm & 7;
  notePointers(cpu, f, escape);
  out.flags = 0;
  const p0 = f.top, pi = f.phys(i);
  const bothFull = ((f.empty >> p0) & 1) === 0 && ((f.empty >> pi) & 1) === 0;
  if (op === 2 || op === 3) {
    // FCOM (pops 0), FCOMP (1), DE D9 FCOMPP (2); DE D0-D7 is an FCOMP alias.
    let pops = op - 2;
    if (escape === 0xde) {
      if (op === 3 && i !== 1) cpu.undefinedOpcode();
      pops = op === 3 ? 2 : 1;
    }
    if (!bothFull) compareUnderflow(f, pops);
    else compareAndPop(f, f.se[pi], f.hi[pi], f.lo[pi], false, pops);
    return;
  }
  const toSt0 = escape === 0xd8;
  const dest = toSt0 ? p0 : pi;
  const pop = escape === 0xde;
  if (!bothFull) {
    if (stackUnderflow(f, dest) && pop) f.pop();
    return;
  }
  if (toSt0) operate(op, f.se[p0], f.hi[p0], f.lo[p0], f.se[pi], f.hi[pi], f.lo[pi], f.cw);
  else operate(op ^ (op >= 4 ? 1 : 0), f.se[pi], f.hi[pi], f.lo[pi], f.se[p0], f.hi[p0], f.lo[p0], f.cw);
  if (commit(f, dest) && pop) f.pop();
}

/** DA C0-DF: FCMOVB/E/BE/U; DB C0-DF: FCMOVNB/NE/NBE/NU (ST(0) = ST(i) when the EFLAGS condition holds). */
function conditionalMove(cpu: Cpu, escape: number): void {
  const f = waiting(cpu);
  notePointers(cpu, f, escape);
  const i = cpu.modrm & 7;
  const p0 = f.top, pi = f.phys(i);
  let t: boolean;
  switch (cpu.regField) {
    case 0: t = cpu.getCF() !== 0; break;
    case 1: t = cpu.getZF() !== 0; break;
    case 2: t = cpu.getCF() !== 0 || cpu.getZF() !== 0; break;
    default: t = cpu.getPF() !== 0;
  }
  if (escape === 0xdb) t = !t;
  if (((f.empty >> p0) & 1) !== 0 || ((f.empty >> pi) & 1) !== 0) {
    stackUnderflow(f, p0);
    return;
  }
  // C1 is left as it was (the host FPU does not clear it here).
  if (t) f.setPhys(p0, f.se[pi], f.hi[pi], f.lo[pi]);
}

/**
 * DB E8/F0 FUCOMI/FCOMI, DF E8/F0 FUCOMIP/FCOMIP: compare ST(0) with ST(i)
 * into ZF, PF, CF (OF, SF, AF cleared); unordered is all three set.
 */
function compareToEflags(cpu: Cpu, escape: number): void {
  const f = waiting(cpu);
  notePointers(cpu, f, escape);
  const quiet = cpu.regField === 5;
  const pop = escape === 0xdf;
  const p0 = f.top, pi = f.phys(cpu.modrm & 7);
  out.flags = 0;
  let cc: number;
  if (((f.empty >> p0) & 1) !== 0 || ((f.empty >> pi) & 1) !== 0) {
    cc = CC_UNORDERED;
    if (!stackUnderflow(f, -1)) {
      setEflags(cpu, cc);
      return;
    }
  } else {
    cc = compare(f.se[p0], f.hi[p0], f.lo[p0], f.se[pi], f.hi[pi], f.lo[pi], quiet);
    // C1 is left as it was (the host FPU does not clear it here).
    const flags = out.flags;
    if ((flags & ~f.cw & (IE | DE)) !== 0) {
      f.sw |= flags & (IE | DE);
      setEflags(cpu, cc);
      return;
    }
    f.sw |= flags & 0x3f;
  }
  setEflags(cpu, cc);
  if (pop) f.pop();
}

/** ZF, PF, CF from a comparison's C3, C2, C0; OF, SF, AF cleared. */
function setEflags(cpu: Cpu, cc: number): void {
  cpu.setFlagBits(0x8d5, false);
  let set = 0;
  if (cc & SW_C3) set |= ZF;
  if (cc & SW_C2) set |= PF;
  if (cc & SW_C0) set |= CF;
  if (set !== 0) cpu.setFlagBits(set, true);
}

/** D8: FADD FMUL FCOM FCOMP FSUB FSUBR FDIV FDIVR with m32real or ST(i). */
export function escapeD8(cpu: Cpu): void {
  cpu.decodeModRm();
  if (cpu.modrm < 0xc0) arithmeticMemory(cpu, 0xd8);
  else arithmeticRegister(cpu, 0xd8);
}

/** DC: the same with m64real, or ST(i) as the destination. */
export function escapeDC(cpu: Cpu): void {
  cpu.decodeModRm();
  if (cpu.modrm < 0xc0) arithmeticMemory(cpu, 0xdc);
  else arithmeticRegister(cpu, 0xdc);
}

/** DA: the integer forms with m32int; FCMOVB/E/BE/U; DA E9 FUCOMPP. */
export function escapeDA(cpu: Cpu): void {
  cpu.decodeModRm();
  if (cpu.modrm < 0xc0) {
    arithmeticMemory(cpu, 0xda);
    return;
  }
  if (cpu.modrm < 0xe0) {
    conditionalMove(cpu, 0xda);
    return;
  }
  if (cpu.modrm !== 0xe9) cpu.undefinedOpcode();
  const f = waiting(cpu);
  notePointers(cpu, f, 0xda);
  out.flags = 0;
  const p1 = f.phys(1);
  if (((f.empty >> f.top) & 1) !== 0 || ((f.empty >> p1) & 1) !== 0) compareUnderflow(f, 2);
  else compareAndPop(f, f.se[p1], f.hi[p1], f.lo[p1], true, 2);
}

/** DE: the integer forms with m16int; FADDP FMULP FCOMPP FSUBRP FSUBP FDIVRP FDIVP. */
export function escapeDE(cpu: Cpu): void {
  cpu.decodeModRm();
  if (cpu.modrm < 0xc0) arithmeticMemory(cpu, 0xde);
  else arithmeticRegister(cpu, 0xde);
}

/** DB C0-DF FCMOVNB/NE/NBE/NU, DB E8-F7 FUCOMI/FCOMI (the rest of DB is in ./loadStore.ts). */
export function fcmovOrFcomi(cpu: Cpu, escape: number): void {
  if (cpu.modrm < 0xe0) conditionalMove(cpu, escape);
  else compareToEflags(cpu, escape);
}

/** DD E0-EF: FUCOM/FUCOMP ST(i). */
export function unorderedCompare(cpu: Cpu): void {
  const f = waiting(cpu);
  notePointers(cpu, f, 0xdd);
  out.flags = 0;
  const pops = cpu.regField === 5 ? 1 : 0;
  const pi = f.phys(cpu.modrm & 7);
  if (((f.empty >> f.top) & 1) !== 0 || ((f.empty >> pi) & 1) !== 0) compareUnderflow(f, pops);
  else compareAndPop(f, f.se[pi], f.hi[pi], f.lo[pi], true, pops);
}

/** FTST (D9 E4): compare ST(0) with +0.0. */
export function testZero(cpu: Cpu): void {
  const f = waiting(cpu);
  notePointers(cpu, f, 0xd9);
  out.flags = 0;
  if (((f.empty >> f.top) & 1) !== 0) compareUnderflow(f, 0);
  else compareAndPop(f, 0, 0, 0, false, 0);
}
