// Decimal adjust: DAA (27), DAS (2F), AAA (37), AAS (3F), AAM (D4 ib) and
// AAD (D5 ib), following the operation sections of the SDM vol. 2. Flags the
// SDM leaves undefined are set deterministically: SF/ZF/PF from the result
// where the SDM leaves them open (AAA/AAS), OF cleared (DAA/DAS/AAA/AAS/AAM),
// and for AAD the flags of the byte addition AL + AH * imm8 it performs.

import { Cpu } from '../cpu';
import { GuestFault } from '../faults';
import { LAZY_ADD } from '../flags';
import { AF, CF, VEC_DE } from '../state';
import { OpTable, define } from './table';

/** 27: DAA: adjust AL after a packed-BCD addition. */
function opDaa(cpu: Cpu): void {
  const oldAl = cpu.reg8[0];
  const oldCf = cpu.getCF();
  let al = oldAl;
  let cf = 0;
  let af = 0;
  if ((al & 0x0f) > 9 || cpu.getAF() !== 0) {
    al += 6;
    cf = oldCf | (al > 0xff ? CF : 0);
    af = AF;
  }
  if (oldAl > 0x99 || oldCf !== 0) {
    al += 0x60;
    cf = CF;
  } else {
    cf = 0;
  }
  al &= 0xff;
  cpu.reg8[0] = al;
  cpu.setResultFlags(al, 8, cf | af);
}

/** 2F: DAS: adjust AL after a packed-BCD subtraction. */
function opDas(cpu: Cpu): void {
  const oldAl = cpu.reg8[0];
  const oldCf = cpu.getCF();
  let al = oldAl;
  let cf = 0;
  let af = 0;
  if ((al & 0x0f) > 9 || cpu.getAF() !== 0) {
    al -= 6;
    cf = oldCf | (al < 0 ? CF : 0);
    af = AF;
  }
  if (oldAl > 0x99 || oldCf !== 0) {
    al -= 0x60;
    cf = CF;
  }
  al &= 0xff;
  cpu.reg8[0] = al;
  cpu.setResultFlags(al, 8, cf | af);
}

/** 37: AAA: adjust AL (and AH) after an unpacked-BCD addition. */
function opAaa(cpu: Cpu): void {
  let adjust = 0;
  if ((cpu.reg8[0] & 0x0f) > 9 || cpu.getAF() !== 0) {
    cpu.reg16[0] = cpu.reg16[0] + 0x106;
    adjust = AF | CF;
  }
  cpu.reg8[0] &= 0x0f;
  cpu.setResultFlags(cpu.reg8[0], 8, adjust);
}

/** 3F: AAS: adjust AL (and AH) after an unpacked-BCD subtraction. */
function opAas(cpu: Cpu): void {
  let adjust = 0;
  if ((cpu.reg8[0] & 0x0f) > 9 || cpu.getAF() !== 0) {
    cpu.reg16[0] = cpu.reg16[0] - 6;
    cpu.reg8[1] = cpu.reg8[1] - 1;
    adjust = AF | CF;
  }
  cpu.reg8[0] &= 0x0f;
  cpu.setResultFlags(cpu.reg8[0], 8, adjust);
}

/** D4 ib: AAM: AH = AL / imm8, AL = AL % imm8; #DE when imm8 is 0. */
function opAam(cpu: Cpu): void {
  const base = cpu.fetch8();
  if (base === 0) {
    // The flags are undefined here. Hardware (an 80286, as captured in the
    // conformance vectors) updates them before raising #DE: SF = ZF = 0, PF = 1.
    cpu.setResultFlags(0x03, 8, 0);
    throw new GuestFault(VEC_DE, -1);
  }
  const al = cpu.reg8[0];
  const r = al % base;
  cpu.reg8[1] = (al - r) / base;
  cpu.reg8[0] = r;
  cpu.setResultFlags(r, 8, 0);
}

/** D5 ib: AAD: AL = (AL + AH * imm8) & FFh, AH = 0. */
function opAad(cpu: Cpu): void {
  const base = cpu.fetch8();
  const al = cpu.reg8[0];
  const product = (cpu.reg8[1] * base) & 0xff;
  const r = al + product;
  cpu.reg16[0] = r & 0xff;
  cpu.setLazy(LAZY_ADD, al, product, r, 8);
}

export function installBcd(t: OpTable): void {
  define(t, 0x27, opDaa);
  define(t, 0x2f, opDas);
  define(t, 0x37, opAaa);
  define(t, 0x3f, opAas);
  define(t, 0xd4, opAam);
  define(t, 0xd5, opAad);
}
