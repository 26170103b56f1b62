// What every x87 instruction does around its operation: the device-not-
// available and pending-exception checks of a waiting instruction (SDM vol. 1
// §8.7, vol. 3 §2.5 table 2-2), the last-instruction pointers, memory
// operands of 2 to 10 bytes (checked whole before anything is written), the
// stack faults (vol. 1 §8.5.1.1) and the commit of a result under the
// control word's masks.

import type { Cpu } from '../cpu';
import { GuestFault } from '../faults';
import { CR0_EM, CR0_NE, CR0_TS, CS, VEC_MF, VEC_NM } from '../state';
import { C1, DE, IE, INDEFINITE_HI, INDEFINITE_SE, SF, ZE, out } from './float80';
import { SW_C1, X87 } from './x87';

/** The checks of a non-waiting instruction (FNINIT, FNSTSW, ...): #NM with CR0.EM or CR0.TS. */
export function nonWaiting(cpu: Cpu): X87 {
  if ((cpu.cr0 & (CR0_EM | CR0_TS)) !== 0) throw new GuestFault(VEC_NM, -1);
  return cpu.fpu;
}

/**
 * The checks of a waiting instruction: #NM, then a pending unmasked
 * exception is reported — #MF with CR0.NE, else through FERR# (IRQ 13 on a
 * PC) while the instruction goes on, as with IGNNE# asserted.
 */
export function waiting(cpu: Cpu): X87 {
  if ((cpu.cr0 & (CR0_EM | CR0_TS)) !== 0) throw new GuestFault(VEC_NM, -1);
  const f = cpu.fpu;
  if (f.pending) reportPending(cpu);
  return f;
}

export function reportPending(cpu: Cpu): void {
  if ((cpu.cr0 & CR0_NE) !== 0) throw new GuestFault(VEC_MF, -1);
  cpu.signalFerr();
}

/**
 * Record the last instruction (and data) pointer and opcode (vol. 1
 * §8.1.8-9): every instruction but FNINIT, FNCLEX, FLDCW, FNSTCW, FNSTSW,
 * FLDENV, FNSTENV, FRSTOR, FNSAVE and WAIT does. The host FPU records them
 * for FFREE(P), FINCSTP, FDECSTP and FNOP too, which the SDM lists among the
 * control instructions.
 */
export function notePointers(cpu: Cpu, f: X87, escape: number): void {
  f.fop = ((escape & 7) << 8) | cpu.modrm;
  f.fip = cpu.startEip >>> 0;
  f.fcs = cpu.segSel[CS];
  if (cpu.modrm < 0xc0) {
    f.fdp = cpu.eaOff >>> 0;
    f.fds = cpu.segSel[cpu.eaSeg];
  }
}

// ---------------------------------------------------------------------------
// Memory operands
// ---------------------------------------------------------------------------

/** The last 64- or 80-bit operand read: lo, hi (bits 32-63) and the top 16 bits of an 80-bit one. */
export const operand = { lo: 0, hi: 0, top: 0 };

export function read16(cpu: Cpu): number {
  return cpu.read16(cpu.eaSeg, cpu.eaOff);
}

export function read32(cpu: Cpu): number {
  return cpu.read32(cpu.eaSeg, cpu.eaOff) >>> 0;
}

/** 8 or 10 bytes at the operand into `operand`. */
export function readWide(cpu: Cpu, size: number): void {
  const lin = cpu.linearAddress(cpu.eaSeg, cpu.eaOff, size);
  operand.lo = cpu.readLinear32(lin) >>> 0;
  operand.hi = cpu.readLinear32((lin + 4) | 0) >>> 0;
  operand.top = size === 10 ? cpu.readLinear16((lin + 8) | 0) : 0;
}

/**
 * The linear address of a `size`-byte destination at seg:off, after the
 * limit check and a write translation of its first and last bytes, so a
 * store that faults changes nothing.
 */
export function writableAt(cpu: Cpu, seg: number, off: number, size: number): number {
  const lin = cpu.linearAddress(seg, off, size);
  cpu.translate(lin, true);
  cpu.translate((lin + size - 1) | 0, true);
  return lin;
}

/** Store 2, 4, 8 or 10 bytes (lo, hi, top as in `operand`) at the memory operand. */
export function writeOperand(cpu: Cpu, size: number, lo: number, hi: number, top: number): void {
  if (size === 2) {
    cpu.write16(cpu.eaSeg, cpu.eaOff, lo);
    return;
  }
  if (size === 4) {
    cpu.write32(cpu.eaSeg, cpu.eaOff, lo);
    return;
  }
  const lin = writableAt(cpu, cpu.eaSeg, cpu.eaOff, size);
  cpu.writeLinear32(lin, lo);
  cpu.writeLinear32((lin + 4) | 0, hi);
  if (size === 10) cpu.writeLinear16((lin + 8) | 0, top);
}

// ---------------------------------------------------------------------------
// Stack faults and results
// ---------------------------------------------------------------------------

/** Status flags an arithmetic instruction sets: the exceptions it raised and C1 as rounding left it. */
function setArithmeticFlags(f: X87, flags: number): void {
  f.sw = (f.sw & ~SW_C1) | (flags & 0x3f) | (flags & C1);
}

/**
 * A source register was empty (stack underflow): IE and SF with C1 = 0. The
 * masked response writes the indefinite to physical register `dest` (-1:
 * none) and returns true; unmasked, nothing changes and it returns false.
 */
export function stackUnderflow(f: X87, dest: number): boolean {
  f.sw = (f.sw & ~SW_C1) | IE | SF;
  if ((f.cw & IE) === 0) return false;
  if (dest >= 0) f.setPhys(dest, INDEFINITE_SE, INDEFINITE_HI, 0);
  return true;
}

/**
 * A push onto a full ST(7) (stack overflow): IE and SF with C1 = 1. Masked,
 * the indefinite is pushed and it returns true; unmasked, nothing changes.
 */
export function stackOverflow(f: X87): boolean {
  f.sw = f.sw | SW_C1 | IE | SF;
  if ((f.cw & IE) === 0) return false;
  f.push(INDEFINITE_SE, INDEFINITE_HI, 0);
  return true;
}

/** ST(7) is full: a push would overflow. */
export function pushWouldOverflow(f: X87): boolean {
  return ((f.empty >> ((f.top - 1) & 7)) & 1) === 0;
}

/**
 * Commit `out` to physical register `dest` under the masks: an unmasked IE,
 * DE or ZE leaves the destination (and the stack) alone and returns false;
 * otherwise the result is written, the flags set, and it returns true.
 */
export function commit(f: X87, dest: number): boolean {
  const flags = out.flags;
  if ((flags & ~f.cw & (IE | DE | ZE)) !== 0) {
    f.sw = (f.sw & ~SW_C1) | (flags & (IE | DE | ZE));
    return false;
  }
  f.setPhys(dest, out.se, out.hi, out.lo);
  setArithmeticFlags(f, flags);
  return true;
}

/** Commit flags only (a store to memory, a compare): an unmasked IE/DE/ZE returns false. */
export function commitFlags(f: X87): boolean {
  const flags = out.flags;
  if ((flags & ~f.cw & (IE | DE | ZE)) !== 0) {
    f.sw = (f.sw & ~SW_C1) | (flags & (IE | DE | ZE));
    return false;
  }
  setArithmeticFlags(f, flags);
  return true;
}
