// x87 data transfer and control: D9, DB, DD and DF (SDM vol. 2, the opcode
// maps): FLD/FST/FSTP of m32/m64/m80 reals and ST(i), FILD/FIST/FISTP/FISTTP
// of m16/m32/m64 integers, FBLD/FBSTP, FXCH, FFREE(P), FLDCW/FNSTCW,
// FNSTSW (m16 and AX), FNCLEX, FNINIT, FLDENV/FNSTENV, FRSTOR/FNSAVE, and the
// undocumented aliases later processors keep (FSTP1 D9 D8+i, FXCH4 DD C8+i,
// FXCH7 DF C8+i, FSTP8/9 DF D0+i/D8+i, FCOM2/FCOMP3 DC D0+i/D8+i). The D9
// register forms that compute are in ./stackOps.ts.

import type { Cpu } from '../cpu';
import { fcmovOrFcomi, unorderedCompare } from './arith';
import {
  loadBcd, loadFloat32, loadFloat64, loadInt64, loadInteger, loaded, mem, storeBcd, storeFloat32, storeFloat64, storeInteger,
} from './convert';
import { loadEnvironment, restoreState, saveState, storeEnvironment } from './environment';
import { IE, INDEFINITE_HI, INDEFINITE_SE, DE, out } from './float80';
import { registerForms } from './stackOps';
import {
  commitFlags, nonWaiting, notePointers, operand, pushWouldOverflow, read16, read32, readWide, stackOverflow,
  stackUnderflow, waiting, writableAt, writeOperand,
} from './unit';
import { SW_C1, X87 } from './x87';

/** Push an exactly loaded value: the stack overflow response if ST(7) is full, else C1 cleared and the push. */
function pushLoaded(f: X87, se: number, hi: number, lo: number): void {
  if (pushWouldOverflow(f)) {
    stackOverflow(f);
    return;
  }
  f.sw &= ~SW_C1;
  f.push(se, hi, lo);
}

/** FLD m32real / m64real: DE for a denormal, IE for an SNaN (pushed quiet). */
function loadReal(cpu: Cpu, f: X87, double: boolean): void {
  if (double) {
    readWide(cpu, 8);
    loadFloat64(operand.lo, operand.hi);
  } else loadFloat32(read32(cpu));
  if (pushWouldOverflow(f)) {
    out.flags = 0;
    stackOverflow(f);
    return;
  }
  out.flags = 0;
  if (loaded.snan) {
    out.flags |= IE;
    out.hi = (out.hi | 0x40000000) >>> 0;
  }
  if (loaded.denormal) out.flags |= DE;
  // An unmasked IE keeps the SNaN off the stack; an unmasked DE does not stop the load (as on the host FPU).
  if ((out.flags & ~f.cw & IE) !== 0) {
    f.sw = (f.sw & ~SW_C1) | IE;
    return;
  }
  f.sw = (f.sw & ~SW_C1) | out.flags;
  f.push(out.se, out.hi, out.lo);
}

/** FLD m80real: no conversion, no exception but stack overflow. */
function loadExtended(cpu: Cpu, f: X87): void {
  readWide(cpu, 10);
  pushLoaded(f, operand.top, operand.hi, operand.lo);
}

/** FILD m16/m32/m64 (exact). */
function loadIntegerOperand(cpu: Cpu, f: X87, size: number): void {
  if (size === 8) {
    readWide(cpu, 8);
    loadInt64(operand.lo, operand.hi);
  } else {
    const v = size === 2 ? (read16(cpu) << 16) >> 16 : read32(cpu) | 0;
    loadInteger(v < 0, 0, Math.abs(v));
  }
  out.flags = 0;
  pushLoaded(f, out.se, out.hi, out.lo);
}

/** Indefinite values of the memory formats: real (negative QNaN) and integer (the most negative). */
function storeIndefinite(cpu: Cpu, kind: 'real32' | 'real64' | 'real80' | 'int16' | 'int32' | 'int64' | 'bcd'): void {
  switch (kind) {
    case 'real32': writeOperand(cpu, 4, 0xffc00000, 0, 0); break;
    case 'real64': writeOperand(cpu, 8, 0, 0xfff80000, 0); break;
    case 'real80': writeOperand(cpu, 10, 0, INDEFINITE_HI, INDEFINITE_SE); break;
    case 'int16': writeOperand(cpu, 2, 0x8000, 0, 0); break;
    case 'int32': writeOperand(cpu, 4, 0x80000000, 0, 0); break;
    case 'int64': writeOperand(cpu, 8, 0, 0x80000000, 0); break;
    default: writeOperand(cpu, 10, 0, 0xc0000000, 0xffff);
  }
}

/** ST(0) is empty for a store: stack underflow; masked, the format's indefinite is stored (and the pop done). */
function storeUnderflow(cpu: Cpu, f: X87, kind: Parameters<typeof storeIndefinite>[1], pop: boolean): void {
  if ((f.cw & IE) !== 0) {
    storeIndefinite(cpu, kind);
    stackUnderflow(f, -1);
    if (pop) f.pop();
  } else stackUnderflow(f, -1);
}

/** FST/FSTP m32real/m64real/m80real. */
function storeReal(cpu: Cpu, f: X87, size: number, pop: boolean): void {
  const p = f.top;
  out.flags = 0;
  if ((f.empty & (1 << p)) !== 0) {
    storeUnderflow(cpu, f, size === 4 ? 'real32' : size === 8 ? 'real64' : 'real80', pop);
    return;
  }
  if (size === 10) {
    writeOperand(cpu, 10, f.lo[p], f.hi[p], f.se[p]);
    f.sw &= ~SW_C1;
  } else {
    if (size === 4) storeFloat32(f.se[p], f.hi[p], f.lo[p], f.cw);
    else storeFloat64(f.se[p], f.hi[p], f.lo[p], f.cw);
    // Check the destination before any flag changes: a page fault leaves the FPU as it was.
    if (mem.ok) writableAt(cpu, cpu.eaSeg, cpu.eaOff, size);
    if (!commitFlags(f) || !mem.ok) return;
    writeOperand(cpu, size, mem.lo, mem.hi, 0);
  }
  if (pop) f.pop();
}

/** FIST/FISTP/FISTTP m16/m32/m64int. */
function storeIntegerOperand(cpu: Cpu, f: X87, size: number, pop: boolean, chop: boolean): void {
  const p = f.top;
  out.flags = 0;
  if ((f.empty & (1 << p)) !== 0) {
    storeUnderflow(cpu, f, size === 2 ? 'int16' : size === 4 ? 'int32' : 'int64', pop);
    return;
  }
  storeInteger(f.se[p], f.hi[p], f.lo[p], f.cw, size * 8, chop);
  if (mem.ok) writableAt(cpu, cpu.eaSeg, cpu.eaOff, size);
  if (!commitFlags(f) || !mem.ok) return;
  writeOperand(cpu, size, mem.lo, mem.hi, 0);
  if (pop) f.pop();
}

/** The integer forms by ModRM reg: 0 FILD, 1 FISTTP, 2 FIST, 3 FISTP, of a `size`-byte integer. */
function integerForm(cpu: Cpu, f: X87, reg: number, size: number): void {
  if (reg === 0) loadIntegerOperand(cpu, f, size);
  else storeIntegerOperand(cpu, f, size, reg !== 2, reg === 1);
}

const bcd = new Uint8Array(10);

/** FBLD m80bcd. */
function loadBcdOperand(cpu: Cpu, f: X87): void {
  const lin = cpu.linearAddress(cpu.eaSeg, cpu.eaOff, 10);
  for (let i = 0; i < 10; i++) bcd[i] = cpu.readLinear8((lin + i) | 0);
  loadBcd(bcd);
  out.flags = 0;
  pushLoaded(f, out.se, out.hi, out.lo);
}

/** FBSTP m80bcd. */
function storeBcdOperand(cpu: Cpu, f: X87): void {
  const p = f.top;
  out.flags = 0;
  if ((f.empty & (1 << p)) !== 0) {
    storeUnderflow(cpu, f, 'bcd', true);
    return;
  }
  const ok = storeBcd(f.se[p], f.hi[p], f.lo[p], f.cw, bcd);
  const lin = ok ? writableAt(cpu, cpu.eaSeg, cpu.eaOff, 10) : 0;
  if (!commitFlags(f) || !ok) return;
  for (let i = 0; i < 10; i++) cpu.writeLinear8((lin + i) | 0, bcd[i]);
  f.pop();
}

/** FLD ST(i): push a copy (read before the push moves the indices). */
function loadRegister(f: X87, i: number): void {
  const pi = f.phys(i);
  if (((f.empty >> pi) & 1) !== 0) {
    // An empty source is a stack underflow even when ST(7) is full too.
    if (stackUnderflow(f, -1)) f.push(INDEFINITE_SE, INDEFINITE_HI, 0);
    return;
  }
  pushLoaded(f, f.se[pi], f.hi[pi], f.lo[pi]);
}

/**
 * FST/FSTP ST(i) (and the FSTP aliases): ST(i) = ST(0), no conversion.
 * `checkEmpty` false: D9 D8+i (FSTP1), which with ST(0) empty only pops,
 * without a stack fault (as the host FPU does).
 */
function storeRegister(f: X87, i: number, pop: boolean, checkEmpty = true): void {
  const p0 = f.top, pi = f.phys(i);
  if (((f.empty >> p0) & 1) !== 0) {
    if (!checkEmpty) {
      f.sw &= ~SW_C1;
      f.pop();
    } else if (stackUnderflow(f, pi) && pop) f.pop();
    return;
  }
  f.sw &= ~SW_C1;
  f.setPhys(pi, f.se[p0], f.hi[p0], f.lo[p0]);
  if (pop) f.pop();
}

/** FXCH ST(i): an empty operand is a stack underflow; masked, it reads as the indefinite. */
function exchange(f: X87, i: number): void {
  const p0 = f.top, pi = f.phys(i);
  const e0 = ((f.empty >> p0) & 1) !== 0, ei = ((f.empty >> pi) & 1) !== 0;
  if (e0 || ei) {
    if (!stackUnderflow(f, -1)) return;
    if (e0) f.setPhys(p0, INDEFINITE_SE, INDEFINITE_HI, 0);
    if (ei) f.setPhys(pi, INDEFINITE_SE, INDEFINITE_HI, 0);
  } else f.sw &= ~SW_C1;
  const se = f.se[p0], hi = f.hi[p0], lo = f.lo[p0];
  f.setPhys(p0, f.se[pi], f.hi[pi], f.lo[pi]);
  f.setPhys(pi, se, hi, lo);
}

/** D9: FLD/FST/FSTP m32real, FLDENV, FLDCW, FNSTENV, FNSTCW; register forms in ./stackOps.ts. */
export function escapeD9(cpu: Cpu): void {
  cpu.decodeModRm();
  const reg = cpu.regField;
  if (cpu.modrm >= 0xc0) {
    if (reg === 0 || reg === 1 || reg === 3) {
      const f = waiting(cpu);
      notePointers(cpu, f, 0xd9);
      const i = cpu.modrm & 7;
      if (reg === 0) loadRegister(f, i);
      else if (reg === 1) exchange(f, i);
      else storeRegister(f, i, true, false); // FSTP1 alias
      return;
    }
    registerForms(cpu);
    return;
  }
  switch (reg) {
    case 0: case 2: case 3: {
      const f = waiting(cpu);
      notePointers(cpu, f, 0xd9);
      if (reg === 0) loadReal(cpu, f, false);
      else storeReal(cpu, f, 4, reg === 3);
      return;
    }
    case 4: loadEnvironment(cpu, waiting(cpu)); return;
    case 5: {
      const f = waiting(cpu);
      f.setControlWord(read16(cpu));
      return;
    }
    case 6: storeEnvironment(cpu, nonWaiting(cpu)); return;
    case 7: {
      const f = nonWaiting(cpu);
      cpu.write16(cpu.eaSeg, cpu.eaOff, f.cw);
      return;
    }
    default: cpu.undefinedOpcode();
  }
}

/** DB: FILD/FISTTP/FIST/FISTP m32int, FLD/FSTP m80real; FCMOVNcc, FNCLEX, FNINIT, FUCOMI, FCOMI. */
export function escapeDB(cpu: Cpu): void {
  cpu.decodeModRm();
  const reg = cpu.regField;
  if (cpu.modrm >= 0xc0) {
    if (reg < 4 || reg === 5 || reg === 6) {
      fcmovOrFcomi(cpu, 0xdb);
      return;
    }
    if (reg !== 4) cpu.undefinedOpcode();
    switch (cpu.modrm) {
      case 0xe0: case 0xe1: case 0xe4: // FENI, FDISI (8087), FSETPM (287): no-ops since the 387
        nonWaiting(cpu);
        return;
      case 0xe2: { // FNCLEX
        const f = nonWaiting(cpu);
        f.sw &= ~0xff;
        return;
      }
      case 0xe3: nonWaiting(cpu).init(); return; // FNINIT
      default: cpu.undefinedOpcode();
    }
  }
  if (reg === 4 || reg === 6) cpu.undefinedOpcode();
  const f = waiting(cpu);
  notePointers(cpu, f, 0xdb);
  if (reg < 4) integerForm(cpu, f, reg, 4);
  else if (reg === 5) loadExtended(cpu, f);
  else storeReal(cpu, f, 10, true);
}

/** DD: FLD/FISTTP/FST/FSTP m64, FRSTOR, FNSAVE, FNSTSW m16; FFREE, FXCH4, FST/FSTP ST(i), FUCOM/FUCOMP. */
export function escapeDD(cpu: Cpu): void {
  cpu.decodeModRm();
  const reg = cpu.regField;
  if (cpu.modrm >= 0xc0) {
    if (reg >= 6) cpu.undefinedOpcode();
    if (reg === 4 || reg === 5) {
      unorderedCompare(cpu);
      return;
    }
    const f = waiting(cpu);
    const i = cpu.modrm & 7;
    notePointers(cpu, f, 0xdd);
    if (reg === 0) {
      f.empty |= 1 << f.phys(i); // FFREE
      f.sw &= ~SW_C1;
      return;
    }
    if (reg === 1) exchange(f, i);
    else storeRegister(f, i, reg === 3);
    return;
  }
  switch (reg) {
    case 4: restoreState(cpu, waiting(cpu)); return;
    case 5: cpu.undefinedOpcode(); break;
    case 6: saveState(cpu, nonWaiting(cpu)); return;
    case 7: cpu.write16(cpu.eaSeg, cpu.eaOff, nonWaiting(cpu).statusWord()); return;
  }
  const f = waiting(cpu);
  notePointers(cpu, f, 0xdd);
  switch (reg) {
    case 0: loadReal(cpu, f, true); return;
    case 1: integerForm(cpu, f, 1, 8); return;
    case 2: storeReal(cpu, f, 8, false); return;
    default: storeReal(cpu, f, 8, true);
  }
}

/** DF: FILD/FISTTP/FIST/FISTP m16int, FBLD, FILD m64, FBSTP, FISTP m64; FFREEP, aliases, FNSTSW AX, FUCOMIP, FCOMIP. */
export function escapeDF(cpu: Cpu): void {
  cpu.decodeModRm();
  const reg = cpu.regField;
  if (cpu.modrm >= 0xc0) {
    if (reg === 5 || reg === 6) {
      fcmovOrFcomi(cpu, 0xdf);
      return;
    }
    if (reg === 4) {
      if (cpu.modrm !== 0xe0) cpu.undefinedOpcode();
      cpu.reg16[0] = nonWaiting(cpu).statusWord(); // FNSTSW AX
      return;
    }
    if (reg === 7) cpu.undefinedOpcode();
    const f = waiting(cpu);
    const i = cpu.modrm & 7;
    notePointers(cpu, f, 0xdf);
    if (reg === 0) {
      f.empty |= 1 << f.phys(i); // FFREEP
      f.sw &= ~SW_C1;
      f.pop();
      return;
    }
    if (reg === 1) exchange(f, i);
    else storeRegister(f, i, true);
    return;
  }
  const f = waiting(cpu);
  notePointers(cpu, f, 0xdf);
  switch (reg) {
    case 0: case 1: case 2: case 3: integerForm(cpu, f, reg, 2); return;
    case 4: loadBcdOperand(cpu, f); return;
    case 5: loadIntegerOperand(cpu, f, 8); return;
    case 6: storeBcdOperand(cpu, f); return;
    default: storeIntegerOperand(cpu, f, 8, true, false);
  }
}
