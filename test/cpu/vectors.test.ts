// Conformance: the SingleStepTests 80286 real-mode vectors
// (../shared/vectors/80286/v1_real_mode, see ../shared/vectors/README.md),
// run through the Cpu one file (one opcode or group member) per mocha test.
//
// Harness, per the README's outline: every register and the INIT RAM bytes are
// loaded into a bare CPU (real mode, 64 KiB limits, IVT at 0 with limit 3FFh,
// A20 on, ports read all ones), the CPU runs until HLT, and every register
// (IP included) and every FINA RAM byte is compared. FLAGS are compared in
// bits 0-11 only (a 286 in real mode cannot hold 12-15; the initial bits
// 12-15 are cleared), under the defined-flags mask of the test, file or
// metadata.json; for shifts and rotates by a count, OF is checked exactly when
// the masked count is 1. When the CPU took an exception, the FLAGS image it
// pushed is compared under the same mask.
//
// RAM pages are "read fast, write slow" so that the harness sees every byte
// the core writes: a write the hardware did not make (a byte not in FINA whose
// value differs from INIT) is a failure too, and undoing a case costs only the
// bytes it touched.
//
// VECTORS_FILTER=<regexp> runs the matching files only (e.g. '^(01|80\.4)$');
// VECTORS_SHOW=<n> prints the first n failing cases of each file (default 1);
// VECTORS_FASTRAM=1 maps RAM as plain Ram pages (the core's write fast
// path; no stray-write check); VECTORS_DIR overrides the vector directory.

import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Cpu, StopReason } from '../../src/cpu/cpu';
import { buildOpTable } from '../../src/cpu/ops/table';
import { ATTR_REAL_CODE, ATTR_REAL_DATA, CS, DS, ES, FS, GS, OF, SS } from '../../src/cpu/state';
import { MooFile, MooTest, REGS_NAMES, readMooFile } from './moo';

const VECTOR_DIR = process.env.VECTORS_DIR ?? resolve(__dirname, '../../../shared/vectors/80286/v1_real_mode');
const FILTER = process.env.VECTORS_FILTER ? new RegExp(process.env.VECTORS_FILTER) : null;
const SHOW = Number(process.env.VECTORS_SHOW ?? 1);
const FAST_RAM = process.env.VECTORS_FASTRAM === '1';
/** Instructions per case before giving up (REP counts are at most 127). */
const STEP_CAP = 1000;
const MEMORY_SIZE = 1 << 24;

// REGS bit indexes.
const R_CX = 2, R_SP = 8, R_CS = 4, R_SS = 5, R_DS = 6, R_ES = 7, R_IP = 12, R_FLAGS = 13;
/** reg16 index of each REGS general register (ax bx cx dx ... sp bp si di). */
const REG16_INDEX: Record<number, number> = { 0: 0, 1: 6, 2: 2, 3: 4, 8: 8, 9: 10, 10: 12, 11: 14 };
/** FLAGS bits a 286 in real mode holds (12-15 are always clear). */
const FLAGS_COMPARED = 0x0fff;

// ---------------------------------------------------------------------------
// Exclusions: cases where a real 286 legitimately behaves differently from the
// 386-and-later CPU the core emulates. Nothing else belongs here.
// ---------------------------------------------------------------------------

interface Exclusion {
  /** File key (e.g. '01', '80.4'), or '*' for every file. */
  file: string;
  /** Matches the excluded cases of that file. */
  match: (t: MooTest) => boolean;
  reason: string;
}

const PREFIXES = new Set([0x26, 0x2e, 0x36, 0x3e, 0xf0, 0xf2, 0xf3]);

/** Index of the opcode byte (after the prefixes). */
function opcodeIndex(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length && PREFIXES.has(bytes[i])) i++;
  return i;
}

function hasLock(bytes: Uint8Array): boolean {
  const end = opcodeIndex(bytes);
  for (let i = 0; i < end; i++) if (bytes[i] === 0xf0) return true;
  return false;
}

/**
 * Whether a 386+ accepts LOCK on this (16-bit, one-byte-opcode) instruction:
 * the read-modify-write forms with a memory destination (SDM vol. 2, LOCK).
 */
function lockable386(bytes: Uint8Array): boolean {
  const i = opcodeIndex(bytes);
  const op = bytes[i];
  const modrm = bytes[i + 1];
  const reg = (modrm >> 3) & 7;
  const memory = modrm < 0xc0;
  if (op < 0x40 && (op & 7) <= 1 && (op >> 3) !== 7) return memory; // ALU Eb,Gb / Ev,Gv except CMP
  if (op >= 0x80 && op <= 0x83) return memory && reg !== 7; // group 1 except CMP
  if (op === 0x86 || op === 0x87) return memory; // XCHG
  if (op === 0xf6 || op === 0xf7) return memory && (reg === 2 || reg === 3); // NOT, NEG
  if (op === 0xfe || op === 0xff) return memory && reg <= 1; // INC, DEC
  return false;
}

/** The ModRM reg field of a one-byte-opcode instruction. */
function regField(bytes: Uint8Array): number {
  return (bytes[opcodeIndex(bytes) + 1] >> 3) & 7;
}

const EXCLUSIONS: Exclusion[] = [
  {
    file: '*',
    match: (t) => hasLock(t.bytes) && !lockable386(t.bytes) && t.exception?.vector !== 6,
    reason: 'LOCK on a non-lockable instruction: the 286 ignores the prefix, a 386+ raises #UD',
  },
  {
    file: '*',
    match: (t) => t.bytes.length - 1 > 10 && t.exception?.vector === 13,
    reason: 'instruction longer than 10 bytes (redundant prefixes): the 286 raises #GP(13), a 386+ allows 15',
  },
  {
    file: '8F',
    match: (t) => t.exception?.vector === 13,
    reason: 'POP m16 faulting on its memory operand: the 286 keeps the incremented SP, a 386+ restores it (restartable)',
  },
  {
    file: '*',
    match: (t) => {
      const op = t.bytes[opcodeIndex(t.bytes)];
      const wordString = op === 0x6d || op === 0x6f || op === 0xa5 || op === 0xa7 || op === 0xab || op === 0xad || op === 0xaf;
      if (!wordString || t.exception?.vector !== 13) return false;
      // On a 386+ the faulting iteration changes nothing: the index register
      // that faulted is left at FFFF, and for MOVS/CMPS SI and DI have moved
      // by the same amount (the completed REP iterations). The 286 has
      // already stepped the faulting register (and CX) past it.
      const si = regValue(t, 'final', 10), di = regValue(t, 'final', 11);
      if (op === 0x6d || op === 0xab || op === 0xaf) return di !== 0xffff; // INS STOS SCAS: DI
      if (op === 0x6f || op === 0xad) return si !== 0xffff; // OUTS LODS: SI
      const siMoved = (si - regValue(t, 'initial', 10)) & 0xffff;
      const diMoved = (di - regValue(t, 'initial', 11)) & 0xffff;
      return siMoved !== diMoved || (si !== 0xffff && di !== 0xffff);
    },
    reason: 'word string op faulting at offset FFFF: the 286 has already stepped SI/DI, a 386+ faults before (restartable)',
  },
  {
    file: 'F6.7',
    match: (t) => t.hash === '0038b4bacfb75535b5da175f619b0812b16d0601',
    reason: 'F6.7 #952, IDIV r/m8 whose quotient (-32319 / 124 = -260) overflows: this 286 returned AL=80h without #DE, a 386+ raises #DE',
  },
  {
    file: '8C',
    match: (t) => regField(t.bytes) === 4 || regField(t.bytes) === 5,
    reason: 'MOV r/m16,FS/GS (8C /4 /5): the 286 has no FS/GS and raises #UD',
  },
  {
    file: '8E',
    match: (t) => regField(t.bytes) === 4 || regField(t.bytes) === 5,
    reason: 'MOV FS/GS,r/m16 (8E /4 /5): the 286 has no FS/GS and raises #UD',
  },
];

// ---------------------------------------------------------------------------
// Adaptations: 286/386 differences that the harness bridges while still
// comparing everything else about the case. Counted and printed.
// ---------------------------------------------------------------------------

/**
 * A 286 in real mode reports every segment overrun, SS-relative ones
 * included, as INT 13; a 386+ raises #SS (12) for SS-relative accesses
 * (386 PRM table 14-1, SDM real-address-mode exceptions). For a case whose
 * hardware vector is 13 the harness points IVT entry 12 at entry 13's handler,
 * so a #SS delivery is compared in full (pushed FLAGS/CS/IP, SP, handler).
 */
const ADAPT_SS_AS_GP = 'SS-relative segment overrun: 286 INT 13, 386+ #SS (12); IVT 12 aliased to 13 and the rest compared';
/**
 * HLT as the last byte of the segment (offset FFFF): the 286's IP wraps to
 * 0000; a 386+ leaves EIP = 10000h (the next fetch would #GP). IP compared in its low 16 bits.
 */
const ADAPT_IP_WRAP = 'HLT at offset FFFF: 286 IP wraps to 0000, 386+ EIP = 10000h; IP compared in bits 0-15';

// ---------------------------------------------------------------------------
// The bare machine.
// ---------------------------------------------------------------------------

const ram = new Uint8Array(MEMORY_SIZE);
/** Addresses written by the core during the current case (duplicates allowed). */
let written = new Int32Array(1 << 16);
let writtenCount = 0;

function recordWrite(address: number): void {
  if (writtenCount === written.length) {
    const bigger = new Int32Array(written.length * 2);
    bigger.set(written);
    written = bigger;
  }
  written[writtenCount++] = address;
}

const pageKind = new Uint8Array(1 << 20).fill(2); // Slow: nothing there
// ReadFast: reads from `ram`, writes through writeSlow (so the harness sees them); or plain Ram.
pageKind.fill(FAST_RAM ? 0 : 1, 0, MEMORY_SIZE >>> 12);

const memory = {
  ram,
  pageKind,
  readSlow: (_address: number, size: 1 | 2 | 4) => (size === 4 ? 0xffffffff : (1 << (size * 8)) - 1),
  writeSlow: (address: number, size: 1 | 2 | 4, value: number) => {
    if (address >= MEMORY_SIZE) return;
    for (let i = 0; i < size; i++) {
      ram[address + i] = value >>> (i * 8);
      recordWrite(address + i);
    }
  },
};
const ports = {
  portIn: (_port: number, size: 1 | 2 | 4) => (size === 4 ? 0xffffffff : (1 << (size * 8)) - 1),
  portOut: () => {},
};

/** Vectors delivered during the current case, in order. */
const delivered: number[] = [];

function makeCpu(): { cpu: Cpu; hltShim: boolean } {
  const cpu = new Cpu(memory, ports, { acknowledge: () => 8 });
  const deliver = cpu.deliverException;
  cpu.deliverException = function (this: Cpu, vector: number, errorCode: number): void {
    delivered.push(vector);
    deliver.call(this, vector, errorCode);
  };
  const ops = buildOpTable().slice();
  cpu.ops = ops;
  // HLT ends every case. Until the core has it (system.ts), the harness
  // supplies a minimal one so that the other opcodes can be checked.
  ram[0] = 0xf4;
  cpu.loadSegmentCache(CS, 0, 0, 0xffff, ATTR_REAL_CODE);
  cpu.eip = 0;
  const stop = cpu.run(1);
  ram[0] = 0;
  let hltShim = false;
  if (stop === StopReason.InternalError) {
    ops[0xf4] = (c) => {
      c.halted = true;
      c.endSlice();
    };
    hltShim = true;
  }
  return { cpu, hltShim };
}

// ---------------------------------------------------------------------------
// Flag masks.
// ---------------------------------------------------------------------------

interface OpcodeMeta {
  'flags-mask'?: number;
  reg?: Record<string, { 'flags-mask'?: number }>;
}

function loadMetadata(): Record<string, OpcodeMeta> {
  const path = join(VECTOR_DIR, 'metadata.json');
  return (JSON.parse(readFileSync(path, 'utf8')) as { opcodes: Record<string, OpcodeMeta> }).opcodes;
}

/** The metadata mask of a file key such as '01' or 'F6.7'. */
function metadataMask(meta: Record<string, OpcodeMeta>, key: string): number {
  const [op, ext] = key.split('.');
  const entry = meta[op];
  if (!entry) return 0xffff;
  if (ext !== undefined && entry.reg?.[ext]) return entry.reg[ext]['flags-mask'] ?? 0xffff;
  return entry['flags-mask'] ?? 0xffff;
}

/** The FLAGS compare mask of one case (bits 0-11 only). */
function flagsMask(file: MooFile, key: string, fileMask: number, t: MooTest): number {
  let mask: number;
  if (t.final.regMask && (t.final.regMask.mask >> R_FLAGS) & 1) mask = t.final.regMask.values[R_FLAGS];
  else if (file.regMask && (file.regMask.mask >> R_FLAGS) & 1) mask = file.regMask.values[R_FLAGS];
  else {
    mask = fileMask;
    // Shifts and rotates by a count: OF is defined exactly when the count (masked to 5 bits) is 1.
    const op = key.slice(0, 2);
    let count = -1;
    if (op === 'C0' || op === 'C1') count = t.bytes[t.bytes.length - 2] & 31;
    else if (op === 'D2' || op === 'D3') count = regValue(t, 'initial', R_CX) & 31;
    if (count === 1) mask |= OF;
    else if (count >= 0) mask &= ~OF;
  }
  return mask & FLAGS_COMPARED;
}

// ---------------------------------------------------------------------------
// One case.
// ---------------------------------------------------------------------------

function regValue(t: MooTest, which: 'initial' | 'final', index: number): number {
  const init = t.initial.regs!;
  if (which === 'final') {
    const fin = t.final.regs;
    if (fin && (fin.mask >> index) & 1) return fin.values[index];
  }
  return init.values[index];
}

function hex(v: number, digits: number): string {
  return v.toString(16).toUpperCase().padStart(digits, '0');
}

function flagNames(bits: number): string {
  const names: [number, string][] = [[0x800, 'OF'], [0x400, 'DF'], [0x200, 'IF'], [0x100, 'TF'], [0x80, 'SF'],
    [0x40, 'ZF'], [0x10, 'AF'], [0x4, 'PF'], [0x1, 'CF']];
  return names.filter(([b]) => bits & b).map(([, n]) => n).join(' ') || hex(bits, 4);
}

interface CaseResult {
  ok: boolean;
  diff: string[];
  internalError: string | null;
  /** Adaptations this case needed (see ADAPT_*). */
  adaptations: string[];
}

/** Addresses the harness itself wrote for the current case (IVT aliasing). */
const harnessWritten: number[] = [];

function loadCase(cpu: Cpu, t: MooTest): void {
  const init = t.initial.regs!;
  if (init.mask !== 0x3fff) throw new Error(`case ${t.index}: INIT does not give every register`);
  const v = init.values;
  cpu.reset();
  cpu.cr0 = 0x10;
  cpu.idtrBase = 0;
  cpu.idtrLimit = 0x3ff;
  cpu.setA20(true);
  cpu.intr = false;
  for (const [bit, index] of Object.entries(REG16_INDEX)) cpu.reg16[index] = v[Number(bit)];
  cpu.loadSegmentCache(CS, v[R_CS], v[R_CS] << 4, 0xffff, ATTR_REAL_CODE);
  cpu.loadSegmentCache(SS, v[R_SS], v[R_SS] << 4, 0xffff, ATTR_REAL_DATA);
  cpu.loadSegmentCache(DS, v[R_DS], v[R_DS] << 4, 0xffff, ATTR_REAL_DATA);
  cpu.loadSegmentCache(ES, v[R_ES], v[R_ES] << 4, 0xffff, ATTR_REAL_DATA);
  cpu.loadSegmentCache(FS, 0, 0, 0xffff, ATTR_REAL_DATA);
  cpu.loadSegmentCache(GS, 0, 0, 0xffff, ATTR_REAL_DATA);
  cpu.eip = v[R_IP];
  cpu.setFlags(v[R_FLAGS] & 0x0fff);
  const r = t.initial.ram;
  for (let i = 0; i < r.length; i += 2) ram[r[i]] = r[i + 1];
  if (t.exception?.vector === 13) {
    // See ADAPT_SS_AS_GP; only when the case does not use IVT entry 12 itself.
    let uses12 = false;
    for (let i = 0; i < r.length; i += 2) if (r[i] >= 0x30 && r[i] < 0x34) uses12 = true;
    if (!uses12) {
      for (let i = 0; i < 4; i++) {
        ram[0x30 + i] = ram[0x34 + i];
        harnessWritten.push(0x30 + i);
      }
    }
  }
  delivered.length = 0;
  writtenCount = 0;
}

/** Undo a case: zero every byte it loaded or the core wrote. */
function unloadCase(t: MooTest): void {
  const r = t.initial.ram;
  for (let i = 0; i < r.length; i += 2) ram[r[i]] = 0;
  const f = t.final.ram;
  for (let i = 0; i < f.length; i += 2) ram[f[i]] = 0;
  for (let i = 0; i < writtenCount; i++) ram[written[i]] = 0;
  for (const a of harnessWritten) ram[a] = 0;
  harnessWritten.length = 0;
  writtenCount = 0;
}

function runCase(cpu: Cpu, t: MooTest, mask: number): CaseResult {
  const diff: string[] = [];
  const adaptations: string[] = [];
  loadCase(cpu, t);
  const stop = cpu.run(STEP_CAP);
  let internalError: string | null = null;
  if (stop !== StopReason.Halt) {
    if (stop === StopReason.InternalError && cpu.internalError) {
      const e = cpu.internalError;
      internalError = e.message;
      diff.push(`stop: internal error '${e.message}' at ${hex(e.cs, 4)}:${hex(e.eip, 4)} ` +
        `(${e.bytes.slice(0, 6).map((b) => hex(b, 2)).join(' ')})`);
    } else {
      diff.push(`stop: ${['budget used up (no HLT)', 'halt', 'requested', 'shutdown (triple fault)', 'internal error'][stop]}`);
    }
  }

  // Registers.
  for (let i = 0; i < 14; i++) {
    const want = regValue(t, 'final', i);
    let got: number;
    if (i in REG16_INDEX) got = cpu.reg32[REG16_INDEX[i] >> 1] >>> 0;
    else if (i === R_CS) got = cpu.segSel[CS];
    else if (i === R_SS) got = cpu.segSel[SS];
    else if (i === R_DS) got = cpu.segSel[DS];
    else if (i === R_ES) got = cpu.segSel[ES];
    else if (i === R_IP) {
      got = cpu.eip >>> 0;
      if (got === 0x10000 && want === 0 && t.bytes.length > 0) {
        got = 0;
        adaptations.push(ADAPT_IP_WRAP);
      }
    }
    else {
      const flags = cpu.getFlags() >>> 0;
      if ((flags ^ want) & mask) {
        diff.push(`flags: got ${hex(flags & 0xffff, 4)} want ${hex(want, 4)} (differ: ${flagNames((flags ^ want) & mask)})`);
      }
      continue;
    }
    if (got !== want) diff.push(`${REGS_NAMES[i]}: got ${hex(got, 4)} want ${hex(want, 4)}`);
  }
  for (let s = 0; s < 6; s++) {
    if (s !== CS && cpu.segBase[s] !== cpu.segSel[s] << 4 && s !== FS && s !== GS) {
      diff.push(`${['es', 'cs', 'ss', 'ds'][s]} base: ${hex(cpu.segBase[s] >>> 0, 6)} for selector ${hex(cpu.segSel[s], 4)}`);
    }
  }

  // RAM: every FINA byte; the pushed FLAGS image under the mask.
  // The EXCP address is the bus word address (even): with an odd SP the FLAGS
  // image really starts one byte higher. Take it from the final SS:SP instead:
  // the handler is entered with IP, CS, FLAGS at SP, SP+2, SP+4.
  const flagAt = t.exception
    ? ((regValue(t, 'final', R_SS) << 4) + ((regValue(t, 'final', R_SP) + 4) & 0xffff)) & (MEMORY_SIZE - 1)
    : -2;
  if (t.exception && (flagAt & ~1) !== (t.exception.flagAddress & ~1)) {
    diff.push(`harness: EXCP FLAGS address ${hex(t.exception.flagAddress, 6)} does not match final SS:SP+4 (${hex(flagAt, 6)})`);
  }
  const expected = new Map<number, number>();
  const fin = t.final.ram;
  for (let i = 0; i < fin.length; i += 2) expected.set(fin[i], fin[i + 1]);
  for (const [address, want] of expected) {
    const got = ram[address];
    let byteMask = 0xff;
    if (address === flagAt) byteMask = mask & 0xff;
    else if (address === flagAt + 1) byteMask = (mask >> 8) & 0xff;
    if ((got ^ want) & byteMask) {
      const what = byteMask !== 0xff ? ' (pushed FLAGS, masked)' : '';
      diff.push(`[${hex(address, 6)}]: got ${hex(got, 2)} want ${hex(want, 2)}${what}`);
    }
  }
  // Bytes the core wrote that the hardware left alone must still hold their INIT value.
  if (writtenCount > 0) {
    const init = new Map<number, number>();
    const r = t.initial.ram;
    for (let i = 0; i < r.length; i += 2) init.set(r[i], r[i + 1]);
    const seen = new Set<number>();
    for (let i = 0; i < writtenCount; i++) {
      const address = written[i];
      if (expected.has(address) || seen.has(address)) continue;
      seen.add(address);
      const want = init.get(address) ?? 0;
      if (ram[address] !== want) diff.push(`[${hex(address, 6)}]: written ${hex(ram[address], 2)}, hardware left ${hex(want, 2)}`);
    }
  }
  if (t.exception?.vector === 13 && delivered[0] === 12) adaptations.push(ADAPT_SS_AS_GP);
  unloadCase(t);
  return { ok: diff.length === 0, diff, internalError, adaptations };
}

function describeCase(key: string, t: MooTest, mask: number): string {
  const bytes = Array.from(t.bytes, (b) => hex(b, 2)).join(' ');
  const v = t.initial.regs!.values;
  const regs = REGS_NAMES.map((n, i) => `${n}=${hex(i === R_FLAGS ? v[i] & 0x0fff : v[i], 4)}`).join(' ');
  const exc = t.exception ? `  EXCP vector ${t.exception.vector}, FLAGS at ${hex(t.exception.flagAddress, 6)}` : '';
  return `${key} #${t.index} '${t.name}'  bytes ${bytes}  flags mask ${hex(mask, 4)}${exc}\n      init: ${regs}`;
}

// ---------------------------------------------------------------------------
// The suite.
// ---------------------------------------------------------------------------

interface FileResult {
  key: string;
  passed: number;
  compared: number;
  excluded: number;
  internalErrors: number;
  firstFailure: string | null;
  failures: string[];
}

describe('80286 real-mode vectors (SingleStepTests)', function () {
  this.timeout(120_000);
  const present = existsSync(VECTOR_DIR);
  const files = present
    ? readdirSync(VECTOR_DIR).filter((f) => f.endsWith('.MOO.gz')).sort()
    : [];
  const results: FileResult[] = [];
  const excludedByReason = new Map<string, number>();
  const internalErrorMessages = new Map<string, number>();
  const adapted = new Map<string, number>();
  let machine: { cpu: Cpu; hltShim: boolean } | null = null;
  let metadata: Record<string, OpcodeMeta> = {};
  let revoked = new Set<string>();
  /** Time spent in this suite's tests (decode + run + compare), ms. */
  let elapsedMs = 0;

  before(function () {
    if (!present) this.skip();
    machine = makeCpu();
    metadata = loadMetadata();
    const revocationPath = join(VECTOR_DIR, '..', 'revocation_list.txt');
    if (existsSync(revocationPath)) {
      revoked = new Set(readFileSync(revocationPath, 'utf8').split('\n').map((l) => l.trim().toLowerCase())
        .filter((l) => l && !l.startsWith('#')));
    }
  });

  for (const name of files) {
    const key = name.slice(0, -'.MOO.gz'.length);
    if (FILTER && !FILTER.test(key)) continue;
    it(key, () => {
      const started = performance.now();
      const { cpu } = machine!;
      const file = readMooFile(join(VECTOR_DIR, name));
      const fileMask = metadataMask(metadata, key);
      const exclusions = EXCLUSIONS.filter((e) => e.file === '*' || e.file === key);
      const result: FileResult = { key, passed: 0, compared: 0, excluded: 0, internalErrors: 0, firstFailure: null, failures: [] };
      results.push(result);
      for (const t of file.tests) {
        if (revoked.has(t.hash)) continue;
        const exclusion = exclusions.find((e) => e.match(t));
        if (exclusion) {
          result.excluded++;
          excludedByReason.set(exclusion.reason, (excludedByReason.get(exclusion.reason) ?? 0) + 1);
          continue;
        }
        const mask = flagsMask(file, key, fileMask, t);
        const r = runCase(cpu, t, mask);
        result.compared++;
        for (const a of r.adaptations) adapted.set(a, (adapted.get(a) ?? 0) + 1);
        if (r.ok) {
          result.passed++;
          continue;
        }
        if (r.internalError !== null) {
          result.internalErrors++;
          internalErrorMessages.set(r.internalError, (internalErrorMessages.get(r.internalError) ?? 0) + 1);
        }
        if (result.failures.length < SHOW) {
          result.failures.push(`${describeCase(key, t, mask)}\n${r.diff.map((d) => `      ${d}`).join('\n')}`);
          result.firstFailure ??= result.failures[0];
        }
      }
      elapsedMs += performance.now() - started;
      assert.ok(
        result.passed === result.compared,
        `${key}: ${result.compared - result.passed} of ${result.compared} cases fail; first:\n    ${result.firstFailure}`,
      );
    });
  }

  after(function () {
    if (results.length === 0) return;
    const lines: string[] = [];
    lines.push('');
    lines.push('80286 real-mode vectors: passed/compared per file (+n: excluded cases)');
    const cells = results.map((r) => {
      const ex = r.excluded ? ` +${r.excluded}` : '';
      return `${r.key.padEnd(5)} ${String(r.passed).padStart(4)}/${r.compared}${ex}`.padEnd(22);
    });
    for (let i = 0; i < cells.length; i += 5) lines.push(`  ${cells.slice(i, i + 5).join('')}`.trimEnd());
    const total = results.reduce((a, r) => a + r.passed, 0);
    const compared = results.reduce((a, r) => a + r.compared, 0);
    const excluded = results.reduce((a, r) => a + r.excluded, 0);
    const fullFiles = results.filter((r) => r.passed === r.compared).length;
    lines.push(`TOTAL ${total}/${compared} cases passed (${((100 * total) / Math.max(compared, 1)).toFixed(2)}%), ` +
      `${fullFiles}/${results.length} files fully passing, ${excluded} excluded, ${(elapsedMs / 1000).toFixed(1)} s`);
    if (machine?.hltShim) lines.push('note: the core has no HLT yet; the harness supplied one');
    for (const [reason, n] of excludedByReason) lines.push(`excluded ${n}: ${reason}`);
    for (const [what, n] of adapted) lines.push(`adapted ${n}: ${what}`);
    for (const [message, n] of internalErrorMessages) lines.push(`internal error in ${n} cases: ${message}`);
    const failing = results.filter((r) => r.firstFailure !== null);
    if (failing.length > 0) {
      lines.push('First failing case of each failing file:');
      for (const r of failing) for (const f of r.failures) lines.push(`  ${f}`);
    }
    console.log(lines.join('\n'));
  });
});
