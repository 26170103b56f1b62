// Control transfer: Jcc (70-7F, 0F 80-8F), JMP (E9 EA EB, FF /4 /5), CALL
// (E8 9A, FF /2 /3), RET/RETF (C2 C3 CA CB), LOOP/LOOPE/LOOPNE/JCXZ (E0-E3),
// INT3/INT n/INTO/INT1 (CC CD CE F1) and IRET (CF).

import { Cpu } from '../cpu';
import { softwareInterrupt } from '../interrupts';
import { callFarProtected, jumpFarProtected, returnFarProtected } from '../farTransfers';
import { requireIopl3 } from '../vm86';
import { CS, ECX, IF, OF, VEC_BP, VEC_DB, VEC_OF, VM } from '../state';
import { interruptReturnProtected } from '../protectedInterrupts';
import { OpTable, define, defineGroup } from './table';

/** Relative jump: the displacement is added to the address of the next instruction. */
function jumpRelative(cpu: Cpu, displacement: number): void {
  cpu.jumpNear((cpu.eip + displacement) | 0);
}

/** CX or ECX, by address size: the count register of LOOP and JCXZ. */
function decrementCount(cpu: Cpu): number {
  if (cpu.addr32) return (cpu.reg32[ECX] = cpu.reg32[ECX] - 1);
  return (cpu.reg16[2] = cpu.reg16[2] - 1);
}

/** Protected mode outside virtual-8086 mode: far transfers go through the descriptor tables (../farTransfers.ts). */
function segmentedByDescriptors(cpu: Cpu): boolean {
  return cpu.protectedMode && (cpu.flags & VM) === 0;
}

/** Far JMP; `offset` is already masked to the operand size. */
function jumpFar(cpu: Cpu, selector: number, offset: number): void {
  if (segmentedByDescriptors(cpu)) jumpFarProtected(cpu, selector, offset);
  else cpu.loadCsFar(selector, offset);
}

/** Far CALL; `offset` is already masked to the operand size. */
function callFar(cpu: Cpu, selector: number, offset: number): void {
  if (segmentedByDescriptors(cpu)) {
    callFarProtected(cpu, selector, offset);
    return;
  }
  const returnCs = cpu.segSel[CS];
  const returnIp = cpu.eip;
  cpu.pushV(returnCs);
  cpu.pushV(returnIp);
  cpu.loadCsFar(selector, offset);
}

function returnFar(cpu: Cpu, release: number): void {
  if (segmentedByDescriptors(cpu)) {
    returnFarProtected(cpu, release);
    return;
  }
  const offset = cpu.popV() >>> 0;
  const selector = cpu.popV() & 0xffff;
  cpu.loadCsFar(selector, cpu.opsize32 ? offset : offset & 0xffff);
  cpu.adjustSp(release);
}

/**
 * IRET in real mode (SDM vol. 3 IRET, real-address mode): pops IP, CS and
 * FLAGS; a 32-bit IRETD keeps VM, VIF and VIP.
 */
function interruptReturn(cpu: Cpu): void {
  // The end of an NMI handler (or any IRET) lets the next NMI in (SDM vol. 3 §6.7.1):
  // one latched meanwhile is taken right after this IRET, so end the slice for the run loop.
  if (cpu.nmiBlocked) {
    cpu.nmiBlocked = false;
    if (cpu.nmiPending) cpu.endSlice();
  }
  if (cpu.protectedMode) {
    interruptReturnProtected(cpu);
    return;
  }
  if (cpu.opsize32) {
    const eip = cpu.pop32() >>> 0;
    const cs = cpu.pop32() & 0xffff;
    const eflags = cpu.pop32();
    cpu.loadCsFar(cs, eip);
    cpu.setFlags((eflags & 0x257fd5) | (cpu.getFlags() & 0x1a0000));
  } else {
    const ip = cpu.pop16();
    const cs = cpu.pop16();
    const flags = cpu.pop16();
    cpu.loadCsFar(cs, ip);
    cpu.setFlags((cpu.getFlags() & ~0xffff) | flags);
  }
}

/** Jcc rel8 (70-7F): the condition in the low nibble. */
export function conditionalJumpShort(cpu: Cpu, opcode: number): void {
  const d = cpu.fetchS8();
  if (cpu.testCondition(opcode & 15)) jumpRelative(cpu, d);
}

/** Jcc rel16/32 (0F 80-8F; `opcode` is the second byte). Called directly by Cpu.dispatch. */
export function conditionalJumpNear(cpu: Cpu, opcode: number): void {
  const d = cpu.opsize32 ? cpu.fetch32() : (cpu.fetch16() << 16) >> 16;
  if (cpu.testCondition(opcode & 15)) jumpRelative(cpu, d);
}

/**
 * The near branches: LOOPNE/LOOPE/LOOP/JCXZ (E0-E3), CALL rel (E8), JMP rel
 * (E9), JMP rel8 (EB), RET imm16 (C2) and RET (C3). Called directly by
 * Cpu.dispatch.
 */
export function nearBranch(cpu: Cpu, opcode: number): void {
  switch (opcode) {
    case 0xe0: {
      const d = cpu.fetchS8();
      if (decrementCount(cpu) !== 0 && cpu.getZF() === 0) jumpRelative(cpu, d);
      return;
    }
    case 0xe1: {
      const d = cpu.fetchS8();
      if (decrementCount(cpu) !== 0 && cpu.getZF() !== 0) jumpRelative(cpu, d);
      return;
    }
    case 0xe2: {
      const d = cpu.fetchS8();
      if (decrementCount(cpu) !== 0) jumpRelative(cpu, d);
      return;
    }
    case 0xe3: {
      const d = cpu.fetchS8();
      const count = cpu.addr32 ? cpu.reg32[ECX] : cpu.reg16[2];
      if (count === 0) jumpRelative(cpu, d);
      return;
    }
    case 0xe8: {
      const d = cpu.opsize32 ? cpu.fetch32() : (cpu.fetch16() << 16) >> 16;
      const target = cpu.nearTarget(cpu.eip + d); // checked before anything is pushed
      cpu.pushV(cpu.eip);
      cpu.eip = target;
      return;
    }
    case 0xe9:
      jumpRelative(cpu, cpu.opsize32 ? cpu.fetch32() : (cpu.fetch16() << 16) >> 16);
      return;
    case 0xeb:
      jumpRelative(cpu, cpu.fetchS8());
      return;
    case 0xc2: {
      const release = cpu.fetch16();
      cpu.jumpNear(cpu.popV());
      cpu.adjustSp(release);
      return;
    }
    default: // C3
      cpu.jumpNear(cpu.popV());
  }
}

export function installControl(t: OpTable): void {
  for (let cc = 0; cc < 16; cc++) {
    define(t, 0x70 + cc, (cpu) => conditionalJumpShort(cpu, 0x70 + cc));
    define(t, 0x180 + cc, (cpu) => conditionalJumpNear(cpu, 0x80 + cc));
  }

  // E0 LOOPNE, E1 LOOPE, E2 LOOP, E3 JCXZ/JECXZ; E8 CALL rel; E9 JMP rel; EB JMP rel8; C2/C3 RET.
  for (const opcode of [0xe0, 0xe1, 0xe2, 0xe3, 0xe8, 0xe9, 0xeb, 0xc2, 0xc3]) define(t, opcode, (cpu) => nearBranch(cpu, opcode));

  // EA: JMP ptr16:16/32; 9A: CALL ptr16:16/32.
  define(t, 0xea, (cpu) => {
    const offset = cpu.opsize32 ? cpu.fetch32() >>> 0 : cpu.fetch16();
    jumpFar(cpu, cpu.fetch16(), offset);
  });
  define(t, 0x9a, (cpu) => {
    const offset = cpu.opsize32 ? cpu.fetch32() >>> 0 : cpu.fetch16();
    callFar(cpu, cpu.fetch16(), offset);
  });

  // FF /2 CALL Ev, /3 CALL Mp, /4 JMP Ev, /5 JMP Mp.
  defineGroup(t, 0xff, 2, (cpu) => {
    const target = cpu.nearTarget(cpu.readEv());
    cpu.pushV(cpu.eip);
    cpu.eip = target;
  });
  defineGroup(t, 0xff, 3, (cpu) => {
    if (cpu.modrm >= 0xc0) cpu.undefinedOpcode();
    const offset = cpu.opsize32 ? cpu.read32(cpu.eaSeg, cpu.eaOff) >>> 0 : cpu.read16(cpu.eaSeg, cpu.eaOff);
    const selector = cpu.read16(cpu.eaSeg, (cpu.eaOff + (cpu.opsize32 ? 4 : 2)) & (cpu.addr32 ? -1 : 0xffff));
    callFar(cpu, selector, offset);
  });
  defineGroup(t, 0xff, 4, (cpu) => cpu.jumpNear(cpu.readEv()));
  defineGroup(t, 0xff, 5, (cpu) => {
    if (cpu.modrm >= 0xc0) cpu.undefinedOpcode();
    const offset = cpu.opsize32 ? cpu.read32(cpu.eaSeg, cpu.eaOff) >>> 0 : cpu.read16(cpu.eaSeg, cpu.eaOff);
    const selector = cpu.read16(cpu.eaSeg, (cpu.eaOff + (cpu.opsize32 ? 4 : 2)) & (cpu.addr32 ? -1 : 0xffff));
    jumpFar(cpu, selector, offset);
  });

  // CA/CB: RETF (imm16 releases that many bytes).
  define(t, 0xca, (cpu) => returnFar(cpu, cpu.fetch16()));
  define(t, 0xcb, (cpu) => returnFar(cpu, 0));

  // CC INT3, CD INT n, CE INTO, F1 INT1 (ICEBP), CF IRET.
  define(t, 0xcc, (cpu) => softwareInterrupt(cpu, VEC_BP));
  // INT n (not INT3 or INTO) is IOPL-sensitive in vm86 (SDM vol. 2 INT n).
  define(t, 0xcd, (cpu) => {
    const vector = cpu.fetch8();
    if (cpu.flags & VM) requireIopl3(cpu);
    softwareInterrupt(cpu, vector);
  });
  define(t, 0xce, (cpu) => {
    if (cpu.getOF() & OF) softwareInterrupt(cpu, VEC_OF);
  });
  define(t, 0xf1, (cpu) => softwareInterrupt(cpu, VEC_DB));
  define(t, 0xcf, (cpu) => interruptReturn(cpu));

  // FA CLI / FB STI: STI starts a one-instruction interrupt shadow when it sets IF.
  // In vm86 they need IOPL 3 (CPL is 3); in protected mode CPL <= IOPL.
  define(t, 0xfa, (cpu) => {
    if (cpu.flags & VM) requireIopl3(cpu);
    else if (!cpu.ioAllowed()) cpu.generalProtection();
    cpu.setFlagBits(IF, false);
  });
  define(t, 0xfb, (cpu) => {
    if (cpu.flags & VM) requireIopl3(cpu);
    else if (!cpu.ioAllowed()) cpu.generalProtection();
    if ((cpu.flags & IF) === 0) {
      cpu.setFlagBits(IF, true);
      cpu.shadowAt = cpu.retired();
      if (cpu.intr) cpu.endSlice();
    }
  });
}
