// A bare CPU for unit tests of the opcode groups: 16 MiB of RAM, no devices.
// The program (hex bytes) runs at 1000:0000 in real mode with DS = ES = 1000h
// and SS:SP = 2000:FFF0; IVT vector v points at a HLT at 0000:0500+v, so a
// fault shows as a halt at a known address.

import { IoPorts } from '../../src/cpu/bus';
import { Cpu } from '../../src/cpu/cpu';
import { buildOpTable } from '../../src/cpu/ops/table';
import { ATTR_REAL_CODE, ATTR_REAL_DATA, CS, DS, ES, SS } from '../../src/cpu/state';

export const CODE = 0x10000;
export const HANDLERS = 0x500;

export interface TestCpu {
  cpu: Cpu;
  ram: Uint8Array;
}

/** A CPU over 16 MiB of RAM (the rest of the 4 GiB reads as all ones), with the full opcode table. */
export function createBareCpu(io: IoPorts = { portIn: () => 0xffffffff, portOut: () => {} }): TestCpu {
  const ram = new Uint8Array(1 << 24);
  const pageKind = new Uint8Array(1 << 20).fill(2);
  pageKind.fill(0, 0, ram.length >>> 12);
  const mem = { ram, pageKind, readSlow: () => 0xffffffff, writeSlow: () => {} };
  const cpu = new Cpu(mem, io, { acknowledge: () => 8 });
  cpu.ops = buildOpTable();
  return { cpu, ram };
}

export function createTestCpu(code: string, io: IoPorts): TestCpu {
  const { cpu, ram } = createBareCpu(io);
  for (let v = 0; v < 256; v++) {
    ram[v * 4] = (HANDLERS + v) & 0xff;
    ram[v * 4 + 1] = (HANDLERS + v) >> 8;
    ram[HANDLERS + v] = 0xf4;
  }
  cpu.idtrLimit = 0x3ff;
  cpu.loadSegmentCache(CS, CODE >> 4, CODE, 0xffff, ATTR_REAL_CODE);
  cpu.loadSegmentCache(DS, CODE >> 4, CODE, 0xffff, ATTR_REAL_DATA);
  cpu.loadSegmentCache(ES, CODE >> 4, CODE, 0xffff, ATTR_REAL_DATA);
  cpu.loadSegmentCache(SS, 0x2000, 0x20000, 0xffff, ATTR_REAL_DATA);
  cpu.reg32[4] = 0xfff0;
  cpu.eip = 0;
  ram.set(code.trim().split(/\s+/).map((b) => parseInt(b, 16)), CODE);
  return { cpu, ram };
}
