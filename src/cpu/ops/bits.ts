// Bit and byte operations and the 486/P5/P6 additions that work on one
// operand in place: BT/BTS/BTR/BTC (0F A3 AB B3 BB, 0F BA /4-/7), BSF/BSR
// (0F BC BD), BSWAP (0F C8-CF), SETcc (0F 90-9F), CMOVcc (0F 40-4F), XADD
// (0F C0 C1), CMPXCHG (0F B0 B1) and CMPXCHG8B (0F C7 /1).

import { Cpu, OpHandler } from '../cpu';
import { LAZY_ADD, LAZY_SUB } from '../flags';
import { CF, EAX, EBX, ECX, EDX, ZF } from '../state';
import { OpTable, define, defineGroup } from './table';

/** The four bit-test operations, in the order of the reg field of 0F BA (/4 BT ... /7 BTC). */
const BT = 0, BTS = 1, BTR = 2, BTC = 3;

/** Apply bit-test operation `op` to bit `bit` of `value`: sets CF, returns the new value. */
function bitOp(cpu: Cpu, op: number, value: number, bit: number): number {
  const mask = 1 << bit;
  // SDM BT: CF = the selected bit; ZF unaffected; OF SF AF PF undefined (left as they are).
  cpu.setFlagBits(CF, (value & mask) !== 0);
  switch (op) {
    case BTS: return value | mask;
    case BTR: return value & ~mask;
    case BTC: return value ^ mask;
    default: return value;
  }
}

/**
 * 0F A3 BT / 0F AB BTS / 0F B3 BTR / 0F BB BTC Ev,Gv. With a register operand
 * the offset is taken modulo the operand size. With a memory operand it is a
 * signed bit offset from the bit base (SDM vol. 1 §3.4.1 "bit base/bit
 * offset", vol. 2 BT): the word or dword at EA + 2*(offset SAR 4) or
 * EA + 4*(offset SAR 5) is accessed, the address arithmetic wrapping at the
 * address size.
 */
function opBitEvGv(op: number): OpHandler {
  return (cpu) => {
    cpu.decodeModRm();
    const reg = cpu.regField;
    if (cpu.modrm >= 0xc0) {
      const rm = cpu.modrm & 7;
      if (cpu.opsize32) {
        const r = bitOp(cpu, op, cpu.reg32[rm], cpu.reg32[reg] & 31);
        if (op !== BT) cpu.reg32[rm] = r;
      } else {
        const r = bitOp(cpu, op, cpu.getReg16(rm), cpu.getReg16(reg) & 15);
        if (op !== BT) cpu.setReg16(rm, r);
      }
      return;
    }
    const amask = cpu.addr32 ? -1 : 0xffff;
    if (cpu.opsize32) {
      const offset = cpu.reg32[reg]; // signed
      const off = ((cpu.eaOff + ((offset >> 5) << 2)) & amask) >>> 0;
      const v = cpu.read32(cpu.eaSeg, off);
      const r = bitOp(cpu, op, v, offset & 31);
      if (op !== BT) cpu.write32(cpu.eaSeg, off, r);
    } else {
      const offset = (cpu.getReg16(reg) << 16) >> 16; // signed
      const off = ((cpu.eaOff + ((offset >> 4) << 1)) & amask) >>> 0;
      const v = cpu.read16(cpu.eaSeg, off);
      const r = bitOp(cpu, op, v, offset & 15);
      if (op !== BT) cpu.write16(cpu.eaSeg, off, r);
    }
  };
}

/** 0F BA /4-/7: BT BTS BTR BTC Ev,Ib; the immediate is taken modulo the operand size. */
function opBitEvIb(op: number): OpHandler {
  return (cpu) => {
    const imm = cpu.fetch8();
    if (cpu.opsize32) {
      const r = bitOp(cpu, op, cpu.readE32(), imm & 31);
      if (op !== BT) cpu.writeE32(r);
    } else {
      const r = bitOp(cpu, op, cpu.readE16(), imm & 15);
      if (op !== BT) cpu.writeE16(r);
    }
  };
}

/**
 * 0F BC BSF / 0F BD BSR Gv,Ev. A zero source sets ZF and leaves the
 * destination unchanged (the SDM calls it undefined; Intel hardware keeps it).
 * CF OF SF AF PF are undefined: left as they are.
 */
function opBitScan(reverse: boolean): OpHandler {
  return (cpu) => {
    cpu.decodeModRm();
    const src = cpu.opsize32 ? cpu.readE32() : cpu.readE16();
    if (src === 0) {
      cpu.setFlagBits(ZF, true);
      return;
    }
    cpu.setFlagBits(ZF, false);
    const index = reverse ? 31 - Math.clz32(src) : 31 - Math.clz32(src & -src);
    cpu.setRegV(cpu.regField, index);
  };
}

/**
 * 0F B0 CMPXCHG Eb,Gb / 0F B1 CMPXCHG Ev,Gv. Flags as CMP accumulator,
 * destination. Equal: destination = source. Not equal: the accumulator gets
 * the destination, and the destination is written back with its own value
 * (SDM vol. 2 CMPXCHG: "the destination operand is written back if the
 * comparison fails"), so a read-only destination faults either way; the write
 * comes before the accumulator changes so a fault leaves it intact.
 */
function opCmpxchgEbGb(cpu: Cpu): void {
  cpu.decodeModRm();
  const dest = cpu.readE8();
  const acc = cpu.reg8[0];
  cpu.setLazy(LAZY_SUB, acc, dest, acc - dest, 8);
  if (acc === dest) {
    cpu.writeE8(cpu.getReg8(cpu.regField));
  } else {
    cpu.writeE8(dest);
    cpu.reg8[0] = dest;
  }
}

function opCmpxchgEvGv(cpu: Cpu): void {
  cpu.decodeModRm();
  if (cpu.opsize32) {
    const dest = cpu.readE32();
    const acc = cpu.reg32[EAX];
    cpu.setLazy(LAZY_SUB, acc, dest, (acc - dest) | 0, 32);
    if (acc === dest) {
      cpu.writeE32(cpu.reg32[cpu.regField]);
    } else {
      cpu.writeE32(dest);
      cpu.reg32[EAX] = dest;
    }
  } else {
    const dest = cpu.readE16();
    const acc = cpu.reg16[0];
    cpu.setLazy(LAZY_SUB, acc, dest, acc - dest, 16);
    if (acc === dest) {
      cpu.writeE16(cpu.getReg16(cpu.regField));
    } else {
      cpu.writeE16(dest);
      cpu.reg16[0] = dest;
    }
  }
}

/**
 * 0F C0 XADD Eb,Gb / 0F C1 XADD Ev,Gv: TEMP = SRC + DEST; SRC = DEST; DEST =
 * TEMP (SDM vol. 2 XADD), flags as ADD. With a memory destination the memory
 * is written first, so a fault leaves the register untouched; with two
 * registers the order above matters when both are the same register.
 */
function opXaddEbGb(cpu: Cpu): void {
  cpu.decodeModRm();
  const reg = cpu.regField;
  const dest = cpu.readE8();
  const src = cpu.getReg8(reg);
  const sum = dest + src;
  cpu.setLazy(LAZY_ADD, dest, src, sum, 8);
  if (cpu.modrm >= 0xc0) {
    cpu.setReg8(reg, dest);
    cpu.writeE8(sum);
  } else {
    cpu.writeE8(sum);
    cpu.setReg8(reg, dest);
  }
}

function opXaddEvGv(cpu: Cpu): void {
  cpu.decodeModRm();
  const reg = cpu.regField;
  const size = cpu.opsize32 ? 32 : 16;
  const dest = cpu.opsize32 ? cpu.readE32() : cpu.readE16();
  const src = cpu.getRegV(reg);
  const sum = cpu.opsize32 ? (dest + src) | 0 : dest + src;
  cpu.setLazy(LAZY_ADD, dest, src, sum, size);
  if (cpu.modrm >= 0xc0) {
    cpu.setRegV(reg, dest);
    cpu.writeEv(sum);
  } else {
    cpu.writeEv(sum);
    cpu.setRegV(reg, dest);
  }
}

/**
 * 0F C7 /1 CMPXCHG8B Mq: compare EDX:EAX with the quadword; equal: ZF = 1 and
 * ECX:EBX is stored; else ZF = 0 and EDX:EAX gets the quadword, which is also
 * written back (SDM vol. 2 CMPXCHG8B). Other flags unaffected. A register
 * operand is #UD.
 */
function opCmpxchg8bMq(cpu: Cpu): void {
  if (cpu.modrm >= 0xc0) cpu.undefinedOpcode();
  const seg = cpu.eaSeg;
  const off = cpu.eaOff;
  const offHi = ((off + 4) & (cpu.addr32 ? -1 : 0xffff)) >>> 0;
  const lo = cpu.read32(seg, off);
  const hi = cpu.read32(seg, offHi);
  const r = cpu.reg32;
  if (lo === r[EAX] && hi === r[EDX]) {
    cpu.write32(seg, off, r[EBX]);
    cpu.write32(seg, offHi, r[ECX]);
    cpu.setFlagBits(ZF, true);
  } else {
    cpu.write32(seg, off, lo);
    cpu.write32(seg, offHi, hi);
    r[EAX] = lo;
    r[EDX] = hi;
    cpu.setFlagBits(ZF, false);
  }
}

export function installBits(t: OpTable): void {
  define(t, 0x1a3, opBitEvGv(BT));
  define(t, 0x1ab, opBitEvGv(BTS));
  define(t, 0x1b3, opBitEvGv(BTR));
  define(t, 0x1bb, opBitEvGv(BTC));
  defineGroup(t, 0x1ba, 4, opBitEvIb(BT));
  defineGroup(t, 0x1ba, 5, opBitEvIb(BTS));
  defineGroup(t, 0x1ba, 6, opBitEvIb(BTR));
  defineGroup(t, 0x1ba, 7, opBitEvIb(BTC));

  define(t, 0x1bc, opBitScan(false));
  define(t, 0x1bd, opBitScan(true));

  // 0F C8+r: BSWAP r32. With a 16-bit operand size the SDM leaves the result
  // undefined; Intel processors clear the 16-bit register, and so do we.
  for (let reg = 0; reg < 8; reg++) {
    define(t, 0x1c8 + reg, (cpu) => {
      if (!cpu.opsize32) {
        cpu.setReg16(reg, 0);
        return;
      }
      const v = cpu.reg32[reg];
      cpu.reg32[reg] = (v << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
    });
  }

  for (let cc = 0; cc < 16; cc++) {
    // 0F 90+cc: SETcc Eb (the reg field is ignored).
    define(t, 0x190 + cc, (cpu) => {
      cpu.decodeModRm();
      cpu.writeE8(cpu.testCondition(cc) ? 1 : 0);
    });
    // 0F 40+cc: CMOVcc Gv,Ev (P6). The source is read, and may fault, whether
    // or not the condition holds; a false condition leaves the destination as it is.
    define(t, 0x140 + cc, (cpu) => {
      cpu.decodeModRm();
      const v = cpu.readEv();
      if (cpu.testCondition(cc)) cpu.setRegV(cpu.regField, v);
    });
  }

  define(t, 0x1c0, opXaddEbGb);
  define(t, 0x1c1, opXaddEvGv);
  define(t, 0x1b0, opCmpxchgEbGb);
  define(t, 0x1b1, opCmpxchgEvGv);

  // 0F C7 /1 CMPXCHG8B; the other members of group 9 are not in a 32-bit P6 (#UD, ops/encodings.ts).
  defineGroup(t, 0x1c7, 1, opCmpxchg8bMq);
}
