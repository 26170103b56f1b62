// A bare CPU in 32-bit protected mode for the unit tests of protection:
// segment loads, far transfers, gates and tasks. 16 MiB of RAM, no devices,
// no paging. Everything is at a fixed linear address so a test can work its
// expected values out by hand:
//
//   GDT at 1000h: 08h ring-0 flat code 32, 10h ring-0 flat data, 18h ring-3
//     flat code 32 (1Bh), 20h ring-3 flat data (23h), 28h the 32-bit TSS;
//     entries from 30h on are the test's own (setDescriptor).
//   IDT at 2000h: vectors 0-31 are 32-bit interrupt gates (DPL 0) to ring-0
//     handlers at 4000h + vector, each a HLT; so a fault ends the run halted
//     at 4001h + vector with its error code on the ring-0 stack. Vector 3's
//     gate is DPL 3: a ring-3 program ends with INT3 (CC) where ring 0 has HLT.
//   TSS at 3000h: ESP0 9000h, SS0 10h; ESP1 A000h SS1 (test's), ESP2 B000h.
//   Code at 10000h (the program's hex bytes), ring-0 stack top 8000h.
//
// `run` returns how the program ended: a fault (vector, error code, the
// faulting CS:EIP the handler would see) or the program's own HLT or INT3.

import { strict as assert } from 'node:assert';
import { Cpu, StopReason } from '../../src/cpu/cpu';
import { buildOpTable } from '../../src/cpu/ops/table';
import { CR0_ET, CR0_PE, CS, DS, ES, FS, GS, SS } from '../../src/cpu/state';

export const GDT = 0x1000;
export const IDT = 0x2000;
export const TSS = 0x3000;
export const HANDLERS = 0x4000;
export const CODE = 0x10000;
export const STACK0 = 0x8000;
export const TSS_ESP0 = 0x9000;

export const CODE0 = 0x08, DATA0 = 0x10, CODE3 = 0x1b, DATA3 = 0x23, TSS_SEL = 0x28;

/** Vectors that push an error code (SDM vol. 3 table 6-1). */
const HAS_ERROR_CODE = new Set([8, 10, 11, 12, 13, 14, 17]);

export interface PmMachine {
  cpu: Cpu;
  ram: Uint8Array;
  /** Every exception delivery attempted, in order (nested ones included). */
  deliveries: { vector: number; errorCode: number }[];
}

export type Ending =
  | { kind: 'fault'; vector: number; errorCode: number; cs: number; eip: number }
  | { kind: 'halt'; eip: number; esp?: number; ss?: number };

export function poke(m: PmMachine, linear: number, bytes: number[]): void {
  m.ram.set(bytes, linear);
}

export function poke32(m: PmMachine, linear: number, value: number): void {
  for (let i = 0; i < 4; i++) m.ram[linear + i] = (value >>> (8 * i)) & 0xff;
}

export function poke16(m: PmMachine, linear: number, value: number): void {
  m.ram[linear] = value & 0xff;
  m.ram[linear + 1] = (value >>> 8) & 0xff;
}

export function peek32(m: PmMachine, linear: number): number {
  return (m.ram[linear] | (m.ram[linear + 1] << 8) | (m.ram[linear + 2] << 16) | (m.ram[linear + 3] << 24)) >>> 0;
}

export function peek16(m: PmMachine, linear: number): number {
  return m.ram[linear] | (m.ram[linear + 1] << 8);
}

/** The two dwords of a code/data/system descriptor: `access` is the access byte (P DPL S type), `flags` the G D/B L AVL nibble. */
export function descriptor(base: number, limit: number, access: number, flags: number): [number, number] {
  const lo = ((base & 0xffff) << 16) | (limit & 0xffff);
  const hi = (base & 0xff000000) | ((flags & 0xf) << 20) | (limit & 0xf0000) | ((access & 0xff) << 8) | ((base >>> 16) & 0xff);
  return [lo >>> 0, hi >>> 0];
}

/** Write descriptor `lo, hi` at the table at `table` (GDT by default), index `selector >> 3`. */
export function setDescriptor(m: PmMachine, selector: number, d: [number, number], table = GDT): void {
  poke32(m, table + (selector & ~7), d[0]);
  poke32(m, table + (selector & ~7) + 4, d[1]);
}

/** A call gate (type 0Ch 32-bit, 04h 16-bit): target selector:offset, `count` parameters, DPL. */
export function callGate(selector: number, offset: number, dpl: number, count: number, bits32 = true): [number, number] {
  const lo = ((selector & 0xffff) << 16) | (offset & 0xffff);
  const hi = (offset & 0xffff0000) | 0x8000 | (dpl << 13) | ((bits32 ? 0xc : 0x4) << 8) | (count & 0x1f);
  return [lo >>> 0, hi >>> 0];
}

/** Flat 4 GiB code (32-bit) and data descriptors at a DPL, and the usual type variants. */
export const flatCode = (dpl: number, type = 0xa): [number, number] => descriptor(0, 0xfffff, 0x90 | (dpl << 5) | 8 | (type & 7), 0xc);
export const flatData = (dpl: number, type = 0x2): [number, number] => descriptor(0, 0xfffff, 0x90 | (dpl << 5) | (type & 7), 0xc);

/** A CPU in ring 0, 32-bit protected mode, running `code` (hex bytes) at CODE. */
export function createPmCpu(code: string): PmMachine {
  const ram = new Uint8Array(1 << 24);
  const pageKind = new Uint8Array(1 << 20).fill(2);
  pageKind.fill(0, 0, ram.length >>> 12);
  const mem = { ram, pageKind, readSlow: () => 0xffffffff, writeSlow: () => {} };
  const cpu = new Cpu(mem, { portIn: () => 0xffffffff, portOut: () => {} }, { acknowledge: () => 8 });
  cpu.ops = buildOpTable();
  const m: PmMachine = { cpu, ram, deliveries: [] };
  const deliver = cpu.deliverException.bind(cpu);
  cpu.deliverException = (vector, errorCode, intercepted) => {
    m.deliveries.push({ vector, errorCode });
    deliver(vector, errorCode, intercepted);
  };
  setDescriptor(m, CODE0, flatCode(0));
  setDescriptor(m, DATA0, flatData(0));
  setDescriptor(m, CODE3, flatCode(3));
  setDescriptor(m, DATA3, flatData(3));
  setDescriptor(m, TSS_SEL, descriptor(TSS, 0x67, 0x8b, 0)); // busy 32-bit TSS (as after LTR)
  for (let v = 0; v < 32; v++) {
    const handler = HANDLERS + v;
    poke32(m, IDT + v * 8, (CODE0 << 16) | (handler & 0xffff));
    poke32(m, IDT + v * 8 + 4, (handler & 0xffff0000) | (v === 3 ? 0xee00 : 0x8e00));
    ram[handler] = 0xf4;
  }
  poke32(m, TSS + 4, TSS_ESP0);
  poke32(m, TSS + 8, DATA0);
  poke32(m, TSS + 12, 0xa000);
  poke32(m, TSS + 20, 0xb000);
  cpu.gdtrBase = GDT;
  cpu.gdtrLimit = 0xfff;
  cpu.idtrBase = IDT;
  cpu.idtrLimit = 32 * 8 - 1;
  cpu.tr = { selector: TSS_SEL, base: TSS, limit: 0x67, attributes: 0x8b };
  cpu.cr0 = CR0_PE | CR0_ET;
  cpu.loadSegmentCache(CS, CODE0, 0, 0xffffffff, 0xc09b);
  for (const s of [DS, ES, FS, GS, SS]) cpu.loadSegmentCache(s, DATA0, 0, 0xffffffff, 0xc093);
  cpu.cpl = 0;
  cpu.reg32[4] = STACK0;
  cpu.eip = CODE;
  ram.set(hexBytes(code), CODE);
  return m;
}

export function hexBytes(code: string): number[] {
  const t = code.trim();
  return t === '' ? [] : t.split(/\s+/).map((b) => parseInt(b, 16));
}

/** Switch the machine to ring 3 with flat ring-3 segments (as an IRET to ring 3 would leave it). */
export function enterRing3(m: PmMachine, esp = 0x7000): void {
  const { cpu } = m;
  cpu.cpl = 3;
  cpu.loadSegmentCache(CS, CODE3, 0, 0xffffffff, 0xc0fb);
  for (const s of [DS, ES, FS, GS, SS]) cpu.loadSegmentCache(s, DATA3, 0, 0xffffffff, 0xc0f3);
  cpu.reg32[4] = esp;
}

/** Run until HLT (at most `budget` instructions) and say how it ended. */
export function run(m: PmMachine, budget = 1000): Ending {
  const { cpu } = m;
  cpu.halted = false; // go on after an earlier HLT
  const reason = cpu.run(budget);
  assert.equal(reason, StopReason.Halt, cpu.internalError?.message ?? `stopped with ${reason}`);
  const eip = cpu.eip - 1;
  if (eip >= HANDLERS && eip < HANDLERS + 32) {
    const vector = eip - HANDLERS;
    const sp = cpu.reg32[4] >>> 0;
    // INT3 (CC) is how a ring-3 program ends (HLT is privileged): its gate is DPL 3.
    // From ring 3 the frame also holds the program's ESP and SS (the handler runs on the TSS stack).
    if (vector === 3) {
      const fromRing3 = (peek32(m, sp + 4) & 3) === 3 || (peek32(m, sp + 8) & (1 << 17)) !== 0; // ring 3 or vm86
      return { kind: 'halt', eip: peek32(m, sp) - 1, ...(fromRing3 ? { esp: peek32(m, sp + 12), ss: peek32(m, sp + 16) & 0xffff } : {}) };
    }
    const withCode = HAS_ERROR_CODE.has(vector);
    const errorCode = withCode ? peek32(m, sp) : -1;
    const frame = withCode ? sp + 4 : sp;
    return { kind: 'fault', vector, errorCode, eip: peek32(m, frame), cs: peek32(m, frame + 4) & 0xffff };
  }
  return { kind: 'halt', eip };
}

/** Run expecting a triple fault; the first exception it came from is `deliveries[0]`. */
export function expectShutdown(m: PmMachine, budget = 1000): { vector: number; errorCode: number } {
  m.cpu.halted = false;
  assert.equal(m.cpu.run(budget), StopReason.Shutdown, m.cpu.internalError?.message);
  return m.deliveries[0];
}

/** Assert the program faulted with `vector` and `errorCode` (-1: none). */
export function expectFault(m: PmMachine, vector: number, errorCode: number, budget = 1000): Extract<Ending, { kind: 'fault' }> {
  const e = run(m, budget);
  assert.equal(e.kind, 'fault', `expected #${vector}(${errorCode.toString(16)}h), got a plain halt at ${e.eip.toString(16)}h`);
  const f = e as Extract<Ending, { kind: 'fault' }>;
  assert.deepEqual([f.vector, f.errorCode >= 0 ? f.errorCode.toString(16) : -1], [vector, errorCode >= 0 ? errorCode.toString(16) : -1], 'vector and error code');
  return f;
}

/** Assert the program ran to its own HLT or INT3 (no fault); the address of that instruction. */
export function expectHalt(m: PmMachine, budget = 1000): number {
  return expectEnd(m, budget).eip;
}

/** As expectHalt, with the ring-3 ESP and SS of an INT3 ending. */
export function expectEnd(m: PmMachine, budget = 1000): Extract<Ending, { kind: 'halt' }> {
  const e = run(m, budget);
  if (e.kind === 'fault') assert.fail(`unexpected #${e.vector}(${e.errorCode.toString(16)}h) at ${e.cs.toString(16)}:${e.eip.toString(16)}`);
  return e;
}
