// Data movement: MOV in every form (88-8C, 8E, A0-A3, B0-BF, C6/C7), LEA,
// XCHG, CBW/CWD and their 32-bit forms, LAHF/SAHF, XLAT, far-pointer loads
// (LES LDS LSS LFS LGS) and MOVZX/MOVSX.

import { Cpu, OpHandler } from '../cpu';
import { CS, DS, EAX, EBX, ES, FS, GS, SS } from '../state';
import { OpTable, define, defineGroup } from './table';

/** The segment of a memory operand without ModRM (moffs, XLAT): DS unless overridden. */
function defaultDataSegment(cpu: Cpu): number {
  return cpu.segPrefix >= 0 ? cpu.segPrefix : DS;
}

/** The moffs operand of A0-A3: an offset of the address size. */
function fetchMoffs(cpu: Cpu): number {
  return cpu.addr32 ? cpu.fetch32() >>> 0 : cpu.fetch16();
}

/** Load a segment register from MOV/POP/LxS: MOV SS and POP SS also start an interrupt shadow. */
export function loadSegmentRegister(cpu: Cpu, seg: number, selector: number): void {
  cpu.loadSegment(seg, selector);
  if (seg === SS) cpu.shadowAt = cpu.retired();
}

/** LES/LDS/LSS/LFS/LGS: offset then selector from memory, into a register and a segment. */
function opLoadFarPointer(seg: number): OpHandler {
  return (cpu) => {
    cpu.decodeModRm();
    if (cpu.modrm >= 0xc0) cpu.undefinedOpcode();
    const reg = cpu.regField;
    if (cpu.opsize32) {
      const offset = cpu.read32(cpu.eaSeg, cpu.eaOff);
      const selector = cpu.read16(cpu.eaSeg, (cpu.eaOff + 4) & (cpu.addr32 ? -1 : 0xffff));
      loadSegmentRegister(cpu, seg, selector);
      cpu.reg32[reg] = offset;
    } else {
      const offset = cpu.read16(cpu.eaSeg, cpu.eaOff);
      const selector = cpu.read16(cpu.eaSeg, (cpu.eaOff + 2) & (cpu.addr32 ? -1 : 0xffff));
      loadSegmentRegister(cpu, seg, selector);
      cpu.setReg16(reg, offset);
    }
  };
}

/** MOV Eb,Gb (88), Ev,Gv (89), Gb,Eb (8A), Gv,Ev (8B). Called directly by Cpu.dispatch. */
export function moveForm(cpu: Cpu, opcode: number): void {
  cpu.decodeModRm();
  const reg = (cpu.modrm >> 3) & 7;
  switch (opcode) {
    case 0x88: cpu.writeE8(cpu.getReg8(reg)); return;
    case 0x89:
      if (cpu.opsize32) cpu.writeE32(cpu.reg32[reg]);
      else cpu.writeE16(cpu.getReg16(reg));
      return;
    case 0x8a: cpu.setReg8(reg, cpu.readE8()); return;
    default:
      if (cpu.opsize32) cpu.reg32[reg] = cpu.readE32();
      else cpu.setReg16(reg, cpu.readE16());
  }
}

/** MOV r8,Ib (B0-B7) and MOV r,Iv (B8-BF). Called directly by Cpu.dispatch. */
export function moveImmediate(cpu: Cpu, opcode: number): void {
  const reg = opcode & 7;
  if (opcode < 0xb8) cpu.setReg8(reg, cpu.fetch8());
  else if (cpu.opsize32) cpu.reg32[reg] = cpu.fetch32();
  else cpu.setReg16(reg, cpu.fetch16());
}

/** 0F B6/B7 MOVZX Gv,Eb/Ew and 0F BE/BF MOVSX Gv,Eb/Ew (`opcode` is the second byte). */
export function moveExtend(cpu: Cpu, opcode: number): void {
  cpu.decodeModRm();
  const reg = (cpu.modrm >> 3) & 7;
  switch (opcode) {
    case 0xb6: cpu.setRegV(reg, cpu.readE8()); return;
    case 0xb7: cpu.setRegV(reg, cpu.readE16()); return;
    case 0xbe: cpu.setRegV(reg, (cpu.readE8() << 24) >> 24); return;
    default: cpu.setRegV(reg, (cpu.readE16() << 16) >> 16);
  }
}

export function installMove(t: OpTable): void {
  // 88-8B: MOV Eb,Gb / Ev,Gv / Gb,Eb / Gv,Ev
  for (let opcode = 0x88; opcode < 0x8c; opcode++) define(t, opcode, (cpu) => moveForm(cpu, opcode));
  // 8C: MOV Ev,Sreg. A register destination takes the zero-extended selector at 32 bits; memory is always 16 bits.
  define(t, 0x8c, (cpu) => {
    cpu.decodeModRm();
    const seg = cpu.regField;
    if (seg > GS) cpu.undefinedOpcode();
    const selector = cpu.segSel[seg];
    if (cpu.modrm >= 0xc0 && cpu.opsize32) cpu.reg32[cpu.modrm & 7] = selector;
    else cpu.writeE16(selector);
  });
  // 8D: LEA Gv,M: the offset, truncated to the operand size.
  define(t, 0x8d, (cpu) => {
    cpu.decodeModRm();
    if (cpu.modrm >= 0xc0) cpu.undefinedOpcode();
    cpu.setRegV(cpu.regField, cpu.eaOff);
  });
  // 8E: MOV Sreg,Ew. CS cannot be loaded this way.
  define(t, 0x8e, (cpu) => {
    cpu.decodeModRm();
    const seg = cpu.regField;
    if (seg === CS || seg > GS) cpu.undefinedOpcode();
    loadSegmentRegister(cpu, seg, cpu.readE16());
  });

  // 86/87: XCHG Eb,Gb / Ev,Gv (the memory form is implicitly locked).
  define(t, 0x86, (cpu) => {
    cpu.decodeModRm();
    const reg = cpu.regField;
    const a = cpu.readE8();
    cpu.writeE8(cpu.getReg8(reg));
    cpu.setReg8(reg, a);
  });
  define(t, 0x87, (cpu) => {
    cpu.decodeModRm();
    const reg = cpu.regField;
    if (cpu.opsize32) {
      const a = cpu.readE32();
      cpu.writeE32(cpu.reg32[reg]);
      cpu.reg32[reg] = a;
    } else {
      const a = cpu.readE16();
      cpu.writeE16(cpu.getReg16(reg));
      cpu.setReg16(reg, a);
    }
    // xchg bx, bx: Bochs' magic breakpoint, when the debugger arms it.
    if (cpu.modrm === 0xdb && cpu.debugArmed && cpu.debug.magicBreakpoint) cpu.debugStop({ kind: 'magic-breakpoint' });
  });
  // 90: NOP (XCHG eAX,eAX; F3 90 is PAUSE). 91-97: XCHG eAX,reg.
  define(t, 0x90, () => {});
  for (let reg = 1; reg < 8; reg++) {
    define(t, 0x90 + reg, (cpu) => {
      if (cpu.opsize32) {
        const a = cpu.reg32[EAX];
        cpu.reg32[EAX] = cpu.reg32[reg];
        cpu.reg32[reg] = a;
      } else {
        const a = cpu.reg16[0];
        cpu.reg16[0] = cpu.getReg16(reg);
        cpu.setReg16(reg, a);
      }
    });
  }

  // 98: CBW / CWDE; 99: CWD / CDQ.
  define(t, 0x98, (cpu) => {
    if (cpu.opsize32) cpu.reg32[EAX] = (cpu.reg32[EAX] << 16) >> 16;
    else cpu.reg16[0] = (cpu.reg8[0] << 24) >> 24;
  });
  define(t, 0x99, (cpu) => {
    if (cpu.opsize32) cpu.reg32[2] = cpu.reg32[EAX] >> 31;
    else cpu.reg16[4] = (cpu.reg16[0] << 16) >> 31;
  });
  // 9E: SAHF loads SF ZF AF PF CF from AH; 9F: LAHF stores them (bit 1 reads as 1).
  define(t, 0x9e, (cpu) => {
    const mask = 0xd5;
    cpu.flags = (cpu.getFlags() & ~mask) | (cpu.reg8[1] & mask);
    cpu.lazy = 0;
  });
  define(t, 0x9f, (cpu) => {
    cpu.reg8[1] = (cpu.getFlags() & 0xd5) | 0x02;
  });

  // A0-A3: MOV AL/eAX <-> moffs.
  define(t, 0xa0, (cpu) => {
    const off = fetchMoffs(cpu);
    cpu.reg8[0] = cpu.read8(defaultDataSegment(cpu), off);
  });
  define(t, 0xa1, (cpu) => {
    const off = fetchMoffs(cpu);
    if (cpu.opsize32) cpu.reg32[EAX] = cpu.read32(defaultDataSegment(cpu), off);
    else cpu.reg16[0] = cpu.read16(defaultDataSegment(cpu), off);
  });
  define(t, 0xa2, (cpu) => {
    const off = fetchMoffs(cpu);
    cpu.write8(defaultDataSegment(cpu), off, cpu.reg8[0]);
  });
  define(t, 0xa3, (cpu) => {
    const off = fetchMoffs(cpu);
    if (cpu.opsize32) cpu.write32(defaultDataSegment(cpu), off, cpu.reg32[EAX]);
    else cpu.write16(defaultDataSegment(cpu), off, cpu.reg16[0]);
  });

  // B0-B7: MOV r8,Ib; B8-BF: MOV r,Iv.
  for (let opcode = 0xb0; opcode < 0xc0; opcode++) define(t, opcode, (cpu) => moveImmediate(cpu, opcode));
  // C6 /0, C7 /0: MOV E,I. The other reg values are #UD (ops/encodings.ts).
  defineGroup(t, 0xc6, 0, (cpu) => cpu.writeE8(cpu.fetch8()));
  defineGroup(t, 0xc7, 0, (cpu) => cpu.writeEv(cpu.fetchImmV()));

  // C4: LES, C5: LDS; 0F B2: LSS, 0F B4: LFS, 0F B5: LGS.
  define(t, 0xc4, opLoadFarPointer(ES));
  define(t, 0xc5, opLoadFarPointer(DS));
  define(t, 0x1b2, opLoadFarPointer(SS));
  define(t, 0x1b4, opLoadFarPointer(FS));
  define(t, 0x1b5, opLoadFarPointer(GS));

  // D7: XLAT: AL = [seg:(E)BX + AL].
  define(t, 0xd7, (cpu) => {
    const off = cpu.addr32 ? (cpu.reg32[EBX] + cpu.reg8[0]) >>> 0 : (cpu.reg16[6] + cpu.reg8[0]) & 0xffff;
    cpu.reg8[0] = cpu.read8(defaultDataSegment(cpu), off);
  });

  // 0F B6/B7: MOVZX Gv,Eb/Ew; 0F BE/BF: MOVSX Gv,Eb/Ew.
  for (const opcode of [0xb6, 0xb7, 0xbe, 0xbf]) define(t, 0x100 | opcode, (cpu) => moveExtend(cpu, opcode));
}
