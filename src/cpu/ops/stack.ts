// The stack: PUSH/POP of registers, segment registers, immediates and memory,
// PUSHA/POPA, PUSHF/POPF, ENTER/LEAVE.

import { Cpu, OpHandler } from '../cpu';
import { CS, DS, EBP, ES, ESP, FS, GS, SS, VM, RF } from '../state';
import { requireIopl3 } from '../vm86';
import { loadSegmentRegister } from './move';
import { OpTable, define, defineGroup } from './table';

/**
 * PUSH Sreg: with a 32-bit operand size, recent processors write only the
 * 16-bit selector into the 4-byte slot (SDM vol. 2 PUSH); the upper half keeps
 * what memory held.
 */
function opPushSegment(seg: number): OpHandler {
  return (cpu) => {
    if (cpu.opsize32) {
      const sp = cpu.stack32 ? (cpu.reg32[ESP] - 4) >>> 0 : (cpu.reg16[8] - 4) & 0xffff;
      cpu.linearAddress(SS, sp, 4);
      cpu.write16(SS, sp, cpu.segSel[seg]);
      cpu.setSp(sp);
    } else {
      cpu.push16(cpu.segSel[seg]);
    }
  };
}

/**
 * POP Sreg. The stack pointer moves by the size of the stack the value was
 * popped from: POP SS from a 16-bit stack adds to SP only, even when the new
 * SS is 32-bit (and the reverse), as the pop happens before the load.
 */
function opPopSegment(seg: number): OpHandler {
  return (cpu) => {
    const sp = cpu.getSp();
    const stack32 = cpu.stack32;
    const size = cpu.opsize32 ? 4 : 2;
    const selector = size === 4 ? cpu.read32(SS, sp) & 0xffff : cpu.read16(SS, sp);
    loadSegmentRegister(cpu, seg, selector);
    if (stack32) cpu.reg32[ESP] = sp + size;
    else cpu.reg16[8] = sp + size;
  };
}

/** PUSHF/PUSHFD: the image has VM and RF clear. */
function pushFlags(cpu: Cpu): void {
  const flags = cpu.getFlags();
  if (cpu.opsize32) cpu.push32(flags & ~(VM | RF));
  else cpu.push16(flags);
}

/**
 * POPF/POPFD (SDM vol. 2 POPF): at CPL 0 everything but VM, VIF and VIP may
 * change; IOPL only at CPL 0, IF only when CPL <= IOPL. In vm86 (CPL 3) it
 * needs IOPL 3, and then IOPL stays.
 */
function popFlags(cpu: Cpu): void {
  if (cpu.flags & VM) requireIopl3(cpu);
  const old = cpu.getFlags();
  let changeable = 0x257fd5; // CF PF AF ZF SF TF IF DF OF IOPL NT RF AC ID
  if (cpu.protectedMode) {
    if (cpu.cpl > 0) changeable &= ~0x3000;
    if (cpu.cpl > ((old >> 12) & 3)) changeable &= ~0x200;
  }
  if (cpu.opsize32) {
    const v = cpu.pop32();
    cpu.setFlags((v & changeable) | (old & ~changeable));
  } else {
    const v = cpu.pop16();
    cpu.setFlags((v & changeable & 0xffff) | (old & ~(changeable & 0xffff)));
  }
}

/** ENTER imm16, imm8 (SDM vol. 2 ENTER): nesting level masked to 5 bits. */
function enter(cpu: Cpu): void {
  const size = cpu.fetch16();
  const level = cpu.fetch8() & 31;
  const opBytes = cpu.opsize32 ? 4 : 2;
  // The pushes are operand-sized; the frame pointer is the whole ESP with a
  // 32-bit operand size even on a 16-bit stack (what hardware does; checked
  // against the host CPU by the native oracle).
  cpu.pushV(cpu.getRegV(EBP));
  const frame = cpu.getRegV(ESP);
  if (level > 0) {
    let bp = cpu.stack32 ? cpu.reg32[EBP] >>> 0 : cpu.getReg16(EBP);
    for (let i = 1; i < level; i++) {
      bp = cpu.stack32 ? (bp - opBytes) >>> 0 : (bp - opBytes) & 0xffff;
      cpu.pushV(cpu.opsize32 ? cpu.read32(SS, bp) : cpu.read16(SS, bp));
    }
    cpu.pushV(frame);
  }
  const newSp = cpu.stack32 ? (cpu.reg32[ESP] - size) >>> 0 : (cpu.reg16[8] - size) & 0xffff;
  // The final stack pointer must address valid stack (the 386 checks the whole frame).
  if (size > 0) cpu.linearAddress(SS, newSp, 1);
  if (cpu.opsize32) cpu.reg32[EBP] = frame;
  else cpu.setReg16(EBP, frame);
  cpu.setSp(newSp);
}

/** LEAVE: SP = BP, then BP = POP. */
function leave(cpu: Cpu): void {
  const bp = cpu.stack32 ? cpu.reg32[EBP] >>> 0 : cpu.getReg16(EBP);
  const v = cpu.opsize32 ? cpu.read32(SS, bp) : cpu.read16(SS, bp);
  cpu.setSp(bp);
  cpu.adjustSp(cpu.opsize32 ? 4 : 2);
  cpu.setRegV(EBP, v);
}

/** PUSH r (50-57) and POP r (58-5F). Called directly by Cpu.dispatch. */
export function pushPopRegister(cpu: Cpu, opcode: number): void {
  const reg = opcode & 7;
  // PUSH SP pushes the value SP had before the push (286 and later).
  if (opcode < 0x58) cpu.pushV(cpu.getRegV(reg));
  // POP SP: the popped value wins over the increment.
  else cpu.setRegV(reg, cpu.popV());
}

export function installStack(t: OpTable): void {
  for (let opcode = 0x50; opcode < 0x60; opcode++) define(t, opcode, (cpu) => pushPopRegister(cpu, opcode));
  define(t, 0x06, opPushSegment(ES));
  define(t, 0x07, opPopSegment(ES));
  define(t, 0x0e, opPushSegment(CS));
  define(t, 0x16, opPushSegment(SS));
  define(t, 0x17, opPopSegment(SS));
  define(t, 0x1e, opPushSegment(DS));
  define(t, 0x1f, opPopSegment(DS));
  define(t, 0x1a0, opPushSegment(FS));
  define(t, 0x1a1, opPopSegment(FS));
  define(t, 0x1a8, opPushSegment(GS));
  define(t, 0x1a9, opPopSegment(GS));

  // 60 PUSHA/PUSHAD, 61 POPA/POPAD.
  define(t, 0x60, (cpu) => {
    const sp = cpu.getRegV(ESP);
    for (let reg = 0; reg < 8; reg++) cpu.pushV(reg === ESP ? sp : cpu.getRegV(reg));
  });
  define(t, 0x61, (cpu) => {
    for (let reg = 7; reg >= 0; reg--) {
      const v = cpu.popV();
      if (reg !== ESP) cpu.setRegV(reg, v);
    }
  });

  // 68 PUSH Iz, 6A PUSH Ib (sign-extended).
  define(t, 0x68, (cpu) => cpu.pushV(cpu.fetchImmV()));
  define(t, 0x6a, (cpu) => cpu.pushV(cpu.fetchS8()));

  // 8F /0: POP Ev. The address is computed after SP is incremented (SDM vol. 2 POP).
  define(t, 0x8f, (cpu) => {
    const v = cpu.popV();
    cpu.decodeModRm();
    if (cpu.regField !== 0) cpu.undefinedOpcode();
    cpu.writeEv(v);
  });
  // FF /6: PUSH Ev. FF /7 is #UD (ops/encodings.ts).
  defineGroup(t, 0xff, 6, (cpu) => cpu.pushV(cpu.readEv()));

  define(t, 0x9c, (cpu) => {
    if (cpu.flags & VM) requireIopl3(cpu);
    pushFlags(cpu);
  });
  define(t, 0x9d, popFlags);
  define(t, 0xc8, enter);
  define(t, 0xc9, leave);
}
