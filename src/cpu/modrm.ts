// ModRM memory operands: the effective-address forms of 16- and 32-bit
// addressing, with their default segments (BP and ESP/EBP bases use SS) and
// the segment override. Cpu.decodeModRm calls these for mod != 3.

import type { Cpu } from './cpu';
import { DS, SS } from './state';

/** A 16-bit effective address (SDM vol. 2 table 2-1) into cpu.eaSeg:cpu.eaOff. */
export function decodeEa16(cpu: Cpu, modrm: number): void {
  const r = cpu.reg16;
  const mod = modrm >> 6;
  let off: number;
  let seg = DS;
  switch (modrm & 7) {
    case 0: off = r[6] + r[12]; break; // BX+SI
    case 1: off = r[6] + r[14]; break; // BX+DI
    case 2: off = r[10] + r[12]; seg = SS; break; // BP+SI
    case 3: off = r[10] + r[14]; seg = SS; break; // BP+DI
    case 4: off = r[12]; break; // SI
    case 5: off = r[14]; break; // DI
    case 6:
      if (mod === 0) { off = cpu.fetch16(); break; }
      off = r[10]; seg = SS; break; // BP
    default: off = r[6]; break; // BX
  }
  if (mod === 1) off += cpu.fetchS8();
  else if (mod === 2) off += cpu.fetch16();
  cpu.eaOff = off & 0xffff;
  cpu.eaSeg = cpu.segPrefix >= 0 ? cpu.segPrefix : seg;
}

/** A 32-bit effective address with its SIB byte (SDM vol. 2 tables 2-2, 2-3) into cpu.eaSeg:cpu.eaOff. */
export function decodeEa32(cpu: Cpu, modrm: number): void {
  const r = cpu.reg32;
  const mod = modrm >> 6;
  let rm = modrm & 7;
  let off: number;
  let seg = DS;
  if (rm === 4) {
    const sib = cpu.fetch8();
    const base = sib & 7;
    const index = (sib >> 3) & 7;
    off = index === 4 ? 0 : r[index] << (sib >> 6);
    if (base === 5 && mod === 0) {
      off += cpu.fetch32();
    } else {
      off += r[base];
      if (base === 4 || base === 5) seg = SS;
    }
    rm = -1;
  } else if (rm === 5 && mod === 0) {
    off = cpu.fetch32();
  } else {
    off = r[rm];
    if (rm === 5) seg = SS;
  }
  if (mod === 1) off += cpu.fetchS8();
  else if (mod === 2) off += cpu.fetch32();
  cpu.eaOff = off >>> 0;
  cpu.eaSeg = cpu.segPrefix >= 0 ? cpu.segPrefix : seg;
}
