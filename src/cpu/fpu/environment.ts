// The x87 environment and state images: FLDENV/FNSTENV (14 or 28 bytes) and
// FRSTOR/FNSAVE (the environment then ST(0)..ST(7), 94 or 108 bytes), in the
// four layouts of SDM vol. 1 §8.1.10 figures 8-9 to 8-12: 16- or 32-bit
// operand size, protected mode (selector and offset) or real and
// virtual-8086 mode (20/32-bit linear pointers with the opcode). Reserved
// upper halves of the 32-bit layout are stored as ones, as the hardware does.

import type { Cpu } from '../cpu';
import { CR0_PE, VM } from '../state';
import { writableAt } from './unit';
import { X87 } from './x87';

/** Bytes of the environment image for the operand size. */
export function environmentSize(opsize32: boolean): number {
  return opsize32 ? 28 : 14;
}

function realFormat(cpu: Cpu): boolean {
  return (cpu.cr0 & CR0_PE) === 0 || (cpu.getFlags() & VM) !== 0;
}

/** The environment as 7 fields (each a word or dword of the image), in image order. */
function environmentFields(cpu: Cpu, f: X87, opsize32: boolean, fields: number[]): void {
  const cw = f.cw, sw = f.statusWord(), tw = f.tagWord();
  if (realFormat(cpu)) {
    const ip = ((f.fcs << 4) + f.fip) >>> 0;
    const dp = ((f.fds << 4) + f.fdp) >>> 0;
    if (opsize32) {
      fields.push(cw | 0xffff0000, sw | 0xffff0000, tw | 0xffff0000, (ip & 0xffff) | 0xffff0000,
        ((ip >>> 16) << 12) | f.fop, (dp & 0xffff) | 0xffff0000, (dp >>> 16) << 12);
    } else {
      fields.push(cw, sw, tw, ip & 0xffff, (((ip >>> 16) & 0xf) << 12) | f.fop, dp & 0xffff, ((dp >>> 16) & 0xf) << 12);
    }
  } else if (opsize32) {
    fields.push(cw | 0xffff0000, sw | 0xffff0000, tw | 0xffff0000, f.fip, f.fcs | (f.fop << 16),
      f.fdp, f.fds | 0xffff0000);
  } else {
    fields.push(cw, sw, tw, f.fip & 0xffff, f.fcs, f.fdp & 0xffff, f.fds);
  }
}

/** Write the environment at lin (already checked writable); returns its size. */
function writeEnvironment(cpu: Cpu, f: X87, lin: number, opsize32: boolean): number {
  const fields: number[] = [];
  environmentFields(cpu, f, opsize32, fields);
  const step = opsize32 ? 4 : 2;
  for (let k = 0; k < 7; k++) {
    if (opsize32) cpu.writeLinear32((lin + k * step) | 0, fields[k] | 0);
    else cpu.writeLinear16((lin + k * step) | 0, fields[k] & 0xffff);
  }
  return 7 * step;
}

/** Load the environment from lin (already checked readable). */
function readEnvironment(cpu: Cpu, f: X87, lin: number, opsize32: boolean): void {
  const step = opsize32 ? 4 : 2;
  const field = (k: number): number =>
    opsize32 ? cpu.readLinear32((lin + k * step) | 0) >>> 0 : cpu.readLinear16((lin + k * step) | 0);
  const cw = field(0), sw = field(1), tw = field(2);
  const f3 = field(3), f4 = field(4), f5 = field(5), f6 = field(6);
  if (realFormat(cpu)) {
    f.fcs = f.fds = 0;
    if (opsize32) {
      f.fip = ((f3 & 0xffff) | (((f4 >>> 12) & 0xffff) << 16)) >>> 0;
      f.fdp = ((f5 & 0xffff) | (((f6 >>> 12) & 0xffff) << 16)) >>> 0;
    } else {
      f.fip = (f3 & 0xffff) | (((f4 >>> 12) & 0xf) << 16);
      f.fdp = (f5 & 0xffff) | (((f6 >>> 12) & 0xf) << 16);
    }
    f.fop = f4 & 0x7ff;
  } else {
    f.fip = opsize32 ? f3 : f3 & 0xffff;
    f.fcs = f4 & 0xffff;
    if (opsize32) f.fop = (f4 >>> 16) & 0x7ff;
    f.fdp = opsize32 ? f5 : f5 & 0xffff;
    f.fds = f6 & 0xffff;
  }
  f.setControlWord(cw);
  f.setStatusWord(sw);
  f.setTagWord(tw);
}

/** FNSTENV: store the environment, then mask every exception (vol. 2 FSTENV). */
export function storeEnvironment(cpu: Cpu, f: X87): void {
  const size = environmentSize(cpu.opsize32);
  const lin = writableAt(cpu, cpu.eaSeg, cpu.eaOff, size);
  writeEnvironment(cpu, f, lin, cpu.opsize32);
  f.cw |= 0x3f;
}

/** FLDENV. */
export function loadEnvironment(cpu: Cpu, f: X87): void {
  const lin = cpu.linearAddress(cpu.eaSeg, cpu.eaOff, environmentSize(cpu.opsize32));
  readEnvironment(cpu, f, lin, cpu.opsize32);
}

/** FNSAVE: the environment and ST(0)..ST(7), then FNINIT. */
export function saveState(cpu: Cpu, f: X87): void {
  const env = environmentSize(cpu.opsize32);
  const lin = writableAt(cpu, cpu.eaSeg, cpu.eaOff, env + 80);
  writeEnvironment(cpu, f, lin, cpu.opsize32);
  for (let i = 0; i < 8; i++) {
    const p = f.phys(i);
    const at = (lin + env + 10 * i) | 0;
    cpu.writeLinear32(at, f.lo[p] | 0);
    cpu.writeLinear32((at + 4) | 0, f.hi[p] | 0);
    cpu.writeLinear16((at + 8) | 0, f.se[p]);
  }
  f.init();
}

/** FRSTOR. */
export function restoreState(cpu: Cpu, f: X87): void {
  const env = environmentSize(cpu.opsize32);
  const lin = cpu.linearAddress(cpu.eaSeg, cpu.eaOff, env + 80);
  // Read everything before changing anything: a fault part-way leaves the FPU as it was.
  const lo: number[] = [], hi: number[] = [], se: number[] = [];
  for (let i = 0; i < 8; i++) {
    const at = (lin + env + 10 * i) | 0;
    lo.push(cpu.readLinear32(at) >>> 0);
    hi.push(cpu.readLinear32((at + 4) | 0) >>> 0);
    se.push(cpu.readLinear16((at + 8) | 0));
  }
  readEnvironment(cpu, f, lin, cpu.opsize32);
  for (let i = 0; i < 8; i++) {
    const p = f.phys(i);
    f.lo[p] = lo[i];
    f.hi[p] = hi[i];
    f.se[p] = se[i];
  }
}
