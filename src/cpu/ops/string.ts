// String instructions: MOVS (A4/A5), CMPS (A6/A7), STOS (AA/AB), LODS
// (AC/AD), SCAS (AE/AF), INS (6C/6D) and OUTS (6E/6F), with their REP,
// REPE and REPNE forms (SDM vol. 2, "REP/REPE/REPZ/REPNE/REPNZ").
//
// The source is seg:(E)SI with DS by default and a segment override allowed;
// the destination is always ES:(E)DI. The address size picks SI/DI/CX or
// ESI/EDI/ECX; DF picks the direction.
//
// A repeated instruction is interruptible: each iteration beyond the first
// is charged to the slice as one instruction, and when the slice ends with
// the count not yet exhausted EIP goes back to the instruction's first
// prefix so it resumes later (where interrupts are taken, as on hardware).
// The registers are updated after every iteration, so a fault or an I/O
// exit in the middle leaves them describing the iterations completed.
//
// REP MOVS and REP STOS forward within one RAM page of each operand take a
// bulk fast path with the same results as the iteration-by-iteration loop.

import { Cpu } from '../cpu';
import { LAZY_SUB } from '../flags';
import { PageKind } from '../bus';
import { CR0_PG, DF, DS, ECX, EDI, ES, ESI } from '../state';
import { OpTable, define } from './table';

const MOVS = 0, CMPS = 1, STOS = 2, LODS = 3, SCAS = 4, INS = 5, OUTS = 6;

function sourceSegment(cpu: Cpu): number {
  return cpu.segPrefix >= 0 ? cpu.segPrefix : DS;
}

function getSi(cpu: Cpu): number {
  return cpu.addr32 ? cpu.reg32[ESI] >>> 0 : cpu.reg16[ESI << 1];
}

function getDi(cpu: Cpu): number {
  return cpu.addr32 ? cpu.reg32[EDI] >>> 0 : cpu.reg16[EDI << 1];
}

/** Add to (E)SI or (E)DI, wrapping at the address size. */
function advance(cpu: Cpu, reg: number, delta: number): void {
  if (cpu.addr32) cpu.reg32[reg] = cpu.reg32[reg] + delta;
  else cpu.reg16[reg << 1] = cpu.reg16[reg << 1] + delta;
}

function readN(cpu: Cpu, seg: number, off: number, size: number): number {
  if (size === 1) return cpu.read8(seg, off);
  if (size === 2) return cpu.read16(seg, off);
  return cpu.read32(seg, off) >>> 0;
}

function writeN(cpu: Cpu, seg: number, off: number, size: number, v: number): void {
  if (size === 1) cpu.write8(seg, off, v);
  else if (size === 2) cpu.write16(seg, off, v);
  else cpu.write32(seg, off, v);
}

function getAcc(cpu: Cpu, size: number): number {
  if (size === 1) return cpu.reg8[0];
  if (size === 2) return cpu.reg16[0];
  return cpu.reg32[0] >>> 0;
}

function setAcc(cpu: Cpu, size: number, v: number): void {
  if (size === 1) cpu.reg8[0] = v;
  else if (size === 2) cpu.reg16[0] = v;
  else cpu.reg32[0] = v;
}

/** One iteration of string operation `kind` on `size`-byte elements, registers updated. */
function iterate(cpu: Cpu, kind: number, size: number): void {
  const delta = (cpu.flags & DF) !== 0 ? -size : size;
  switch (kind) {
    case MOVS: {
      const v = readN(cpu, sourceSegment(cpu), getSi(cpu), size);
      writeN(cpu, ES, getDi(cpu), size, v);
      advance(cpu, ESI, delta);
      advance(cpu, EDI, delta);
      return;
    }
    case CMPS: {
      // CMPS compares the source with the destination: flags of [src] - [ES:dst].
      const a = readN(cpu, sourceSegment(cpu), getSi(cpu), size);
      const b = readN(cpu, ES, getDi(cpu), size);
      cpu.setLazy(LAZY_SUB, a, b, a - b, size << 3);
      advance(cpu, ESI, delta);
      advance(cpu, EDI, delta);
      return;
    }
    case STOS:
      writeN(cpu, ES, getDi(cpu), size, getAcc(cpu, size));
      advance(cpu, EDI, delta);
      return;
    case LODS:
      setAcc(cpu, size, readN(cpu, sourceSegment(cpu), getSi(cpu), size));
      advance(cpu, ESI, delta);
      return;
    case SCAS: {
      const a = getAcc(cpu, size);
      const b = readN(cpu, ES, getDi(cpu), size);
      cpu.setLazy(LAZY_SUB, a, b, a - b, size << 3);
      advance(cpu, EDI, delta);
      return;
    }
    case INS: {
      // The destination is checked before the port is read, so a faulting
      // store does not consume input.
      const lin = cpu.linearAddress(ES, getDi(cpu), size);
      const port = cpu.reg16[4];
      if (size === 1) cpu.writeLinear8(lin, cpu.io.portIn(port, 1));
      else if (size === 2) cpu.writeLinear16(lin, cpu.io.portIn(port, 2));
      else cpu.writeLinear32(lin, cpu.io.portIn(port, 4));
      advance(cpu, EDI, delta);
      return;
    }
    default: {
      // OUTS
      const v = readN(cpu, sourceSegment(cpu), getSi(cpu), size);
      const port = cpu.reg16[4];
      if (size === 1) cpu.io.portOut(port, 1, v & 0xff);
      else if (size === 2) cpu.io.portOut(port, 2, v & 0xffff);
      else cpu.io.portOut(port, 4, v >>> 0);
      advance(cpu, ESI, delta);
      return;
    }
  }
}

/**
 * How many whole `size`-byte elements, at most `max`, fit from offset `off`
 * of segment `seg` without leaving the segment limit, wrapping the 16-bit
 * offset, or crossing into the next 4 KiB page; 0 when none.
 */
function elementsInPage(cpu: Cpu, seg: number, off: number, size: number, max: number): number {
  const lin = (cpu.segBase[seg] + off) | 0;
  let n = ((0x1000 - (lin & 0xfff)) / size) | 0;
  if (n > max) n = max;
  const limit = cpu.addr32 ? cpu.segLimit[seg] : Math.min(cpu.segLimit[seg], 0xffff);
  if (off + n * size - 1 > limit) {
    n = off > limit ? 0 : Math.floor((limit - off + 1) / size);
  }
  return n;
}

/**
 * Bulk REP MOVS / REP STOS, forward direction, no paging: up to `max`
 * iterations that stay inside one RAM page for each operand. Returns the
 * number done (registers updated), or 0 when the slow path must take the
 * next iteration.
 */
function fastChunk(cpu: Cpu, kind: number, size: number, max: number): number {
  if ((cpu.flags & DF) !== 0 || (cpu.cr0 & CR0_PG) !== 0) return 0;
  const di = getDi(cpu);
  let n = elementsInPage(cpu, ES, di, size, max);
  if (n <= 0) return 0;
  const dp = ((cpu.segBase[ES] + di) & cpu.a20Mask) >>> 0;
  if (cpu.pageKind[dp >>> 12] !== PageKind.Ram) return 0;
  const ram = cpu.ram;
  if (kind === STOS) {
    const bytes = n * size;
    const v = getAcc(cpu, size);
    if (size === 1) ram.fill(v, dp, dp + bytes);
    else {
      for (let i = 0; i < bytes; i += size) {
        ram[dp + i] = v;
        ram[dp + i + 1] = v >>> 8;
        if (size === 4) {
          ram[dp + i + 2] = v >>> 16;
          ram[dp + i + 3] = v >>> 24;
        }
      }
    }
    advance(cpu, EDI, bytes);
    return n;
  }
  // MOVS
  const seg = sourceSegment(cpu);
  const si = getSi(cpu);
  n = elementsInPage(cpu, seg, si, size, n);
  if (n <= 0) return 0;
  const sp = ((cpu.segBase[seg] + si) & cpu.a20Mask) >>> 0;
  if (cpu.pageKind[sp >>> 12] > PageKind.ReadFast) return 0;
  const bytes = n * size;
  if (dp + bytes <= sp || sp + bytes <= dp) {
    ram.copyWithin(dp, sp, sp + bytes);
  } else {
    // Overlapping: element by element, forward, exactly as the iterations
    // would (this is what makes the "fill by copying to +1" idiom work).
    for (let i = 0; i < bytes; i += size) {
      if (size === 1) ram[dp + i] = ram[sp + i];
      else if (size === 2) {
        const b0 = ram[sp + i], b1 = ram[sp + i + 1];
        ram[dp + i] = b0;
        ram[dp + i + 1] = b1;
      } else {
        const b0 = ram[sp + i], b1 = ram[sp + i + 1], b2 = ram[sp + i + 2], b3 = ram[sp + i + 3];
        ram[dp + i] = b0;
        ram[dp + i + 1] = b1;
        ram[dp + i + 2] = b2;
        ram[dp + i + 3] = b3;
      }
    }
  }
  advance(cpu, ESI, bytes);
  advance(cpu, EDI, bytes);
  return n;
}

/** Execute string operation `kind` once, or repeated under REP/REPE/REPNE. */
function stringOp(cpu: Cpu, kind: number, size: number): void {
  if ((kind === INS || kind === OUTS) && !cpu.ioPortAllowed(cpu.reg16[4], size)) cpu.generalProtection(0);
  const rep = cpu.repPrefix;
  if (rep === 0) {
    iterate(cpu, kind, size);
    return;
  }
  let count = cpu.addr32 ? cpu.reg32[ECX] >>> 0 : cpu.reg16[ECX << 1];
  if (count === 0) return;
  const conditional = kind === CMPS || kind === SCAS;
  const bulk = kind === MOVS || kind === STOS;
  // The first iteration was charged when the instruction started.
  let first = true;
  for (;;) {
    let n = 0;
    if (bulk && count > 1) {
      const available = first ? cpu.sliceLeft + 1 : cpu.sliceLeft;
      n = fastChunk(cpu, kind, size, count < available ? count : available);
    }
    if (n === 0) {
      iterate(cpu, kind, size);
      n = 1;
    }
    cpu.sliceLeft -= first ? n - 1 : n;
    first = false;
    count -= n;
    if (cpu.addr32) cpu.reg32[ECX] = count;
    else cpu.reg16[ECX << 1] = count;
    if (count === 0) return;
    // REPE stops when ZF = 0, REPNE when ZF = 1 (CMPS and SCAS only).
    if (conditional && (cpu.getZF() !== 0) !== (rep === 0xf3)) return;
    if (cpu.sliceLeft <= 0) {
      cpu.eip = cpu.startEip; // resume here in the next slice
      return;
    }
  }
}

/** String operation of each opcode 6C-6F and A4-AF (A8/A9 are TEST), by (opcode >> 1) & 7. */
const KIND_6X = [INS, OUTS];
const KIND_AX = [MOVS, CMPS, -1, STOS, LODS, SCAS];

/**
 * INS/OUTS (6C-6F), MOVS/CMPS (A4-A7), STOS/LODS/SCAS (AA-AF): byte forms at
 * the even opcode, word/doubleword forms at the odd one. Called directly by
 * Cpu.dispatch for the A4-AF forms.
 */
export function stringInstruction(cpu: Cpu, opcode: number): void {
  const kind = opcode < 0xa0 ? KIND_6X[(opcode >> 1) & 1] : KIND_AX[((opcode - 0xa4) >> 1)];
  stringOp(cpu, kind, (opcode & 1) === 0 ? 1 : cpu.opsize32 ? 4 : 2);
}

export function installString(t: OpTable): void {
  for (const opcode of [0x6c, 0x6d, 0x6e, 0x6f, 0xa4, 0xa5, 0xa6, 0xa7, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf]) {
    define(t, opcode, (cpu) => stringInstruction(cpu, opcode));
  }
}
