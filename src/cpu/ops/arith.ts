// Integer arithmetic and logic: ADD OR ADC SBB AND SUB XOR CMP in all their
// forms (00-3D, 80-83), INC/DEC (40-4F, FE/FF /0 /1), TEST (84/85, A8/A9,
// F6/F7 /0 /1), NOT and NEG (F6/F7 /2 /3).

import { Cpu } from '../cpu';
import { LAZY_ADD, LAZY_LOGIC, LAZY_SUB } from '../flags';
import { EAX } from '../state';
import { OpTable, define, defineGroup } from './table';

/** The eight ALU operations, in the order of the opcode's bits 3-5 (and the reg field of 80-83). */
const ADD = 0, OR = 1, ADC = 2, SBB = 3, AND = 4, SUB = 5, XOR = 6, CMP = 7;

/** Compute `a op b` at `size` bits, record lazy flags, return the result (not masked). */
export function alu(cpu: Cpu, op: number, a: number, b: number, size: number): number {
  let r: number;
  switch (op) {
    case ADD: r = a + b; cpu.setLazy(LAZY_ADD, a, b, r, size); return r;
    case OR: r = a | b; cpu.setLazy(LAZY_LOGIC, a, b, r, size); return r;
    case ADC: r = a + b + cpu.getCF(); cpu.setLazy(LAZY_ADD, a, b, r, size); return r;
    case SBB: r = a - b - cpu.getCF(); cpu.setLazy(LAZY_SUB, a, b, r, size); return r;
    case AND: r = a & b; cpu.setLazy(LAZY_LOGIC, a, b, r, size); return r;
    case XOR: r = a ^ b; cpu.setLazy(LAZY_LOGIC, a, b, r, size); return r;
    default: r = a - b; cpu.setLazy(LAZY_SUB, a, b, r, size); return r; // SUB, CMP
  }
}

/**
 * The 48 two-operand forms 00-3D: the operation in bits 3-5 of the opcode,
 * the form (Eb,Gb / Ev,Gv / Gb,Eb / Gv,Ev / AL,Ib / eAX,Iz) in bits 0-2. One
 * function for all of them keeps the hot path monomorphic (see Cpu.dispatch).
 */
export function aluForm(cpu: Cpu, opcode: number): void {
  const op = (opcode >> 3) & 7;
  switch (opcode & 7) {
    case 0: {
      cpu.decodeModRm();
      const r = alu(cpu, op, cpu.readE8(), cpu.getReg8(cpu.regField), 8);
      if (op !== CMP) cpu.writeE8(r);
      return;
    }
    case 1: {
      cpu.decodeModRm();
      if (cpu.opsize32) {
        const r = alu(cpu, op, cpu.readE32(), cpu.reg32[cpu.regField], 32);
        if (op !== CMP) cpu.writeE32(r);
      } else {
        const r = alu(cpu, op, cpu.readE16(), cpu.getReg16(cpu.regField), 16);
        if (op !== CMP) cpu.writeE16(r);
      }
      return;
    }
    case 2: {
      cpu.decodeModRm();
      const reg = cpu.regField;
      const r = alu(cpu, op, cpu.getReg8(reg), cpu.readE8(), 8);
      if (op !== CMP) cpu.setReg8(reg, r);
      return;
    }
    case 3: {
      cpu.decodeModRm();
      const reg = cpu.regField;
      if (cpu.opsize32) {
        const r = alu(cpu, op, cpu.reg32[reg], cpu.readE32(), 32);
        if (op !== CMP) cpu.reg32[reg] = r;
      } else {
        const r = alu(cpu, op, cpu.getReg16(reg), cpu.readE16(), 16);
        if (op !== CMP) cpu.setReg16(reg, r);
      }
      return;
    }
    case 4: {
      const r = alu(cpu, op, cpu.reg8[0], cpu.fetch8(), 8);
      if (op !== CMP) cpu.reg8[0] = r;
      return;
    }
    default: {
      if (cpu.opsize32) {
        const r = alu(cpu, op, cpu.reg32[EAX], cpu.fetch32(), 32);
        if (op !== CMP) cpu.reg32[EAX] = r;
      } else {
        const r = alu(cpu, op, cpu.reg16[0], cpu.fetch16(), 16);
        if (op !== CMP) cpu.reg16[0] = r;
      }
    }
  }
}

/**
 * Group 1, 80-83 /op: 80 Eb,Ib (82 is its undocumented alias outside 64-bit
 * mode), 81 Ev,Iz, 83 Ev,Ib sign-extended. Called directly by Cpu.dispatch.
 */
export function aluGroup1(cpu: Cpu, opcode: number): void {
  cpu.decodeModRm();
  const op = (cpu.modrm >> 3) & 7;
  if ((opcode & 1) === 0) {
    const a = cpu.readE8();
    const r = alu(cpu, op, a, cpu.fetch8(), 8);
    if (op !== CMP) cpu.writeE8(r);
  } else if (cpu.opsize32) {
    const a = cpu.readE32();
    const b = opcode === 0x83 ? cpu.fetchS8() : cpu.fetch32();
    const r = alu(cpu, op, a, b, 32);
    if (op !== CMP) cpu.writeE32(r);
  } else {
    const a = cpu.readE16();
    const b = (opcode === 0x83 ? cpu.fetchS8() : cpu.fetch16()) & 0xffff;
    const r = alu(cpu, op, a, b, 16);
    if (op !== CMP) cpu.writeE16(r);
  }
}

function inc(cpu: Cpu, a: number, size: number): number {
  const r = a + 1;
  cpu.setLazyKeepCf(LAZY_ADD, a, 1, r, size);
  return r;
}

function dec(cpu: Cpu, a: number, size: number): number {
  const r = a - 1;
  cpu.setLazyKeepCf(LAZY_SUB, a, 1, r, size);
  return r;
}

/** INC/DEC r16/r32 (40-47 INC, 48-4F DEC). */
export function incDecRegister(cpu: Cpu, opcode: number): void {
  const reg = opcode & 7;
  if (opcode < 0x48) {
    if (cpu.opsize32) cpu.reg32[reg] = inc(cpu, cpu.reg32[reg], 32);
    else cpu.setReg16(reg, inc(cpu, cpu.getReg16(reg), 16));
  } else if (cpu.opsize32) cpu.reg32[reg] = dec(cpu, cpu.reg32[reg], 32);
  else cpu.setReg16(reg, dec(cpu, cpu.getReg16(reg), 16));
}

function testFlags(cpu: Cpu, a: number, b: number, size: number): void {
  cpu.setLazy(LAZY_LOGIC, a, b, a & b, size);
}

/** TEST Eb,Gb (84), Ev,Gv (85), AL,Ib (A8), eAX,Iz (A9). Called directly by Cpu.dispatch. */
export function testForm(cpu: Cpu, opcode: number): void {
  if (opcode < 0xa8) {
    cpu.decodeModRm();
    if (opcode === 0x84) testFlags(cpu, cpu.readE8(), cpu.getReg8(cpu.regField), 8);
    else if (cpu.opsize32) testFlags(cpu, cpu.readE32(), cpu.reg32[cpu.regField], 32);
    else testFlags(cpu, cpu.readE16(), cpu.getReg16(cpu.regField), 16);
    return;
  }
  if (opcode === 0xa8) testFlags(cpu, cpu.reg8[0], cpu.fetch8(), 8);
  else if (cpu.opsize32) testFlags(cpu, cpu.reg32[EAX], cpu.fetch32(), 32);
  else testFlags(cpu, cpu.reg16[0], cpu.fetch16(), 16);
}

export function installArith(t: OpTable): void {
  for (let op = 0; op < 8; op++) {
    for (let form = 0; form < 6; form++) {
      const opcode = (op << 3) | form;
      define(t, opcode, (cpu) => aluForm(cpu, opcode));
    }
  }
  for (let opcode = 0x80; opcode < 0x84; opcode++) define(t, opcode, (cpu) => aluGroup1(cpu, opcode));
  for (let opcode = 0x40; opcode < 0x50; opcode++) define(t, opcode, (cpu) => incDecRegister(cpu, opcode));

  // TEST Eb,Gb / Ev,Gv / AL,Ib / eAX,Iz
  for (const opcode of [0x84, 0x85, 0xa8, 0xa9]) define(t, opcode, (cpu) => testForm(cpu, opcode));

  // F6/F7 /0 and /1 (the undocumented alias): TEST E,I
  for (const reg of [0, 1]) {
    defineGroup(t, 0xf6, reg, (cpu) => {
      testFlags(cpu, cpu.readE8(), cpu.fetch8(), 8);
    });
    defineGroup(t, 0xf7, reg, (cpu) => {
      if (cpu.opsize32) testFlags(cpu, cpu.readE32(), cpu.fetch32(), 32);
      else testFlags(cpu, cpu.readE16(), cpu.fetch16(), 16);
    });
  }
  // NOT: no flags.
  defineGroup(t, 0xf6, 2, (cpu) => {
    cpu.writeE8(~cpu.readE8());
  });
  defineGroup(t, 0xf7, 2, (cpu) => {
    if (cpu.opsize32) cpu.writeE32(~cpu.readE32());
    else cpu.writeE16(~cpu.readE16());
  });
  // NEG: 0 - x; CF set unless the operand was zero (which the SUB borrow gives).
  defineGroup(t, 0xf6, 3, (cpu) => {
    cpu.writeE8(alu(cpu, SUB, 0, cpu.readE8(), 8));
  });
  defineGroup(t, 0xf7, 3, (cpu) => {
    if (cpu.opsize32) cpu.writeE32(alu(cpu, SUB, 0, cpu.readE32(), 32));
    else cpu.writeE16(alu(cpu, SUB, 0, cpu.readE16(), 16));
  });

  // FE /0 /1, FF /0 /1: INC/DEC Eb/Ev.
  defineGroup(t, 0xfe, 0, (cpu) => {
    cpu.writeE8(inc(cpu, cpu.readE8(), 8));
  });
  defineGroup(t, 0xfe, 1, (cpu) => {
    cpu.writeE8(dec(cpu, cpu.readE8(), 8));
  });
  defineGroup(t, 0xff, 0, (cpu) => {
    if (cpu.opsize32) cpu.writeE32(inc(cpu, cpu.readE32(), 32));
    else cpu.writeE16(inc(cpu, cpu.readE16(), 16));
  });
  defineGroup(t, 0xff, 1, (cpu) => {
    if (cpu.opsize32) cpu.writeE32(dec(cpu, cpu.readE32(), 32));
    else cpu.writeE16(dec(cpu, cpu.readE16(), 16));
  });
}
