// Shifts and rotates: group 2 (C0/C1 by Ib, D0/D1 by 1, D2/D3 by CL) with
// ROL ROR RCL RCR SHL SHR SAL(/6, an alias of SHL) SAR, and the double
// shifts SHLD (0F A4/A5) and SHRD (0F AC/AD).
//
// Flags (SDM vol. 2, SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR, SHLD, SHRD):
// - the count is masked to 5 bits; a masked count of 0 changes nothing, not
//   even the flags (and the operand is not written back);
// - CF is the last bit shifted (or rotated) out;
// - OF is defined for a count of 1. For other counts it is computed with the
//   same formula on the final result, which equals the OF of the last single
//   step of an iterative shift: left forms OF = MSB(result) XOR CF; right
//   rotates, SHR and SHRD OF = XOR of the two top bits of the result; SAR 0;
// - shifts set SF, ZF, PF from the result and clear AF (undefined);
//   rotates leave SF, ZF, AF, PF alone.
// 8- and 16-bit RCL/RCR rotate through CF modulo 9 and 17; ROL/ROR modulo
// the width, still setting CF/OF when that leaves the value unchanged.

import { Cpu, OpHandler } from '../cpu';
import { CF, OF } from '../state';
import { OpTable, define } from './table';

const ROL = 0, ROR = 1, RCL = 2, RCR = 3, SHL = 4, SHR = 5, SAL = 6; // 7: SAR (the default case)

/** Logical shifts that give 0 for a count of 32 or more (JS masks shift counts to 5 bits). */
function shl(v: number, n: number): number {
  return n >= 32 ? 0 : v << n;
}
function shr(v: number, n: number): number {
  return n >= 32 ? 0 : v >>> n;
}

/** Set CF and OF, leaving every other flag (lazy or not) as it is. */
function setCfOf(cpu: Cpu, cf: number, of: number): void {
  cpu.flags = (cpu.flags & ~(CF | OF)) | cf | (of !== 0 ? OF : 0);
  cpu.lazy &= ~(CF | OF);
}

/**
 * Shift or rotate `v` (zero-extended, `size` bits) by `count` (1..31, already
 * masked), set the flags, and return the result (unsigned, `size` bits).
 */
function shiftOp(cpu: Cpu, op: number, v: number, count: number, size: number): number {
  const mask = size === 32 ? 0xffffffff : (1 << size) - 1;
  const msb = size - 1;
  let r: number;
  let cf: number;
  switch (op) {
    case ROL: {
      const n = count & msb;
      r = n === 0 ? v : ((v << n) | (v >>> (size - n))) & mask;
      r >>>= 0;
      cf = r & 1;
      setCfOf(cpu, cf, (r >>> msb) ^ cf);
      return r;
    }
    case ROR: {
      const n = count & msb;
      r = n === 0 ? v : ((v >>> n) | (v << (size - n))) & mask;
      r >>>= 0;
      cf = r >>> msb;
      setCfOf(cpu, cf, cf ^ ((r >>> (msb - 1)) & 1));
      return r;
    }
    case RCL: {
      const n = size === 8 ? count % 9 : size === 16 ? count % 17 : count;
      const c = cpu.getCF();
      if (n === 0) {
        r = v;
        cf = c;
      } else {
        r = ((v << n) | (c << (n - 1)) | shr(v, size + 1 - n)) & mask;
        r >>>= 0;
        cf = (v >>> (size - n)) & 1;
      }
      setCfOf(cpu, cf, (r >>> msb) ^ cf);
      return r;
    }
    case RCR: {
      const n = size === 8 ? count % 9 : size === 16 ? count % 17 : count;
      const c = cpu.getCF();
      if (n === 0) {
        r = v;
        cf = c;
      } else {
        r = ((v >>> n) | (c << (size - n)) | shl(v, size + 1 - n)) & mask;
        r >>>= 0;
        cf = (v >>> (n - 1)) & 1;
      }
      setCfOf(cpu, cf, (r >>> msb) ^ ((r >>> (msb - 1)) & 1));
      return r;
    }
    case SHL:
    case SAL:
      r = (v << count) & mask;
      r >>>= 0;
      cf = count <= size ? (v >>> (size - count)) & 1 : 0;
      cpu.setResultFlags(r, size, cf | ((r >>> msb) ^ cf ? OF : 0));
      return r;
    case SHR:
      r = v >>> count;
      cf = count <= size ? (v >>> (count - 1)) & 1 : 0;
      cpu.setResultFlags(r, size, cf | ((r >>> msb) ^ ((r >>> (msb - 1)) & 1) ? OF : 0));
      return r;
    default: {
      // SAR: the sign-extended operand shifted arithmetically; a count of the
      // width or more leaves only copies of the sign bit (and CF = sign).
      const s = size === 8 ? (v << 24) >> 24 : size === 16 ? (v << 16) >> 16 : v | 0;
      r = (s >> count) & mask;
      r >>>= 0;
      cf = (s >> (count - 1)) & 1;
      cpu.setResultFlags(r, size, cf);
      return r;
    }
  }
}

/**
 * Group 2, C0/C1 (count Ib), D0/D1 (count 1), D2/D3 (count CL): shift or
 * rotate Eb (even opcodes) or Ev (odd). Called directly by Cpu.dispatch.
 */
export function shiftGroup(cpu: Cpu, opcode: number): void {
  cpu.decodeModRm();
  const op = (cpu.modrm >> 3) & 7;
  const count = opcode < 0xd0 ? cpu.fetch8() & 0x1f : opcode < 0xd2 ? 1 : cpu.reg8[4] & 0x1f; // Ib, 1, CL
  if ((opcode & 1) === 0) {
    const v = cpu.readE8();
    if (count === 0) return;
    cpu.writeE8(shiftOp(cpu, op, v, count, 8));
  } else if (cpu.opsize32) {
    const v = cpu.readE32() >>> 0;
    if (count === 0) return;
    cpu.writeE32(shiftOp(cpu, op, v, count, 32));
  } else {
    const v = cpu.readE16();
    if (count === 0) return;
    cpu.writeE16(shiftOp(cpu, op, v, count, 16));
  }
}

/**
 * SHLD: shift `d` left by `count` (1..31), filling from the top of `s`. For
 * 16-bit operands a count above 16 is undefined; here the bits continue from
 * `d` again (the 48-bit pattern d:s:d), as Intel processors do.
 */
function shld(cpu: Cpu, d: number, s: number, count: number, size: number): number {
  let r: number;
  let cf: number;
  if (size === 32) {
    r = ((d << count) | (s >>> (32 - count))) >>> 0;
    cf = (d >>> (32 - count)) & 1;
  } else if (count <= 16) {
    r = ((d << count) | (s >>> (16 - count))) & 0xffff;
    cf = (d >>> (16 - count)) & 1;
  } else {
    const n = count - 16;
    r = ((s << n) | (d >>> (16 - n))) & 0xffff;
    cf = (s >>> (16 - n)) & 1;
  }
  cpu.setResultFlags(r, size, cf | ((r >>> (size - 1)) ^ cf ? OF : 0));
  return r;
}

/** SHRD: shift `d` right by `count` (1..31), filling from the bottom of `s` (16-bit: pattern d:s:d). */
function shrd(cpu: Cpu, d: number, s: number, count: number, size: number): number {
  let r: number;
  let cf: number;
  if (size === 32) {
    r = ((d >>> count) | (s << (32 - count))) >>> 0;
    cf = (d >>> (count - 1)) & 1;
  } else if (count <= 16) {
    r = ((d >>> count) | (s << (16 - count))) & 0xffff;
    cf = (d >>> (count - 1)) & 1;
  } else {
    const n = count - 16;
    r = ((s >>> n) | (d << (16 - n))) & 0xffff;
    cf = (s >>> (n - 1)) & 1;
  }
  const msb = size - 1;
  cpu.setResultFlags(r, size, cf | ((r >>> msb) ^ ((r >>> (msb - 1)) & 1) ? OF : 0));
  return r;
}

/** 0F A4/A5 (SHLD) and 0F AC/AD (SHRD) Ev,Gv,Ib/CL. */
function opDoubleShift(left: boolean, byCl: boolean): OpHandler {
  return (cpu) => {
    cpu.decodeModRm();
    const count = (byCl ? cpu.reg8[4] : cpu.fetch8()) & 0x1f;
    const reg = cpu.regField;
    if (cpu.opsize32) {
      const d = cpu.readE32() >>> 0;
      if (count === 0) return;
      const s = cpu.reg32[reg] >>> 0;
      cpu.writeE32(left ? shld(cpu, d, s, count, 32) : shrd(cpu, d, s, count, 32));
    } else {
      const d = cpu.readE16();
      if (count === 0) return;
      const s = cpu.getReg16(reg);
      cpu.writeE16(left ? shld(cpu, d, s, count, 16) : shrd(cpu, d, s, count, 16));
    }
  };
}

export function installShift(t: OpTable): void {
  for (const opcode of [0xc0, 0xc1, 0xd0, 0xd1, 0xd2, 0xd3]) define(t, opcode, (cpu) => shiftGroup(cpu, opcode));
  define(t, 0x1a4, opDoubleShift(true, false));
  define(t, 0x1a5, opDoubleShift(true, true));
  define(t, 0x1ac, opDoubleShift(false, false));
  define(t, 0x1ad, opDoubleShift(false, true));
}
