// Conformance of the 386+ integer instruction forms against the host CPU.
//
// For each group of forms (forms.ts) the test draws cases (random and
// edge-case operands, random status flags and DF), executes every case
// natively with the oracle (runner.c, built with `gcc -m32`), then runs the
// same bytes in a bare Cpu and compares the eight general registers, EIP,
// the data window and the flags the SDM defines for the case. Each case runs
// twice in the Cpu: in a 32-bit-default code segment (CS.D = 1, real mode,
// the native bytes as they are) and in a 16-bit one (66h/67h toggled, so the
// operation is the same), with FS/GS (and ES for some string cases) based at
// the data window as in the native run.
//
// A case the core does not implement (StopReason.InternalError) counts as
// "not implemented"; a group with any mismatch or any unimplemented case
// fails.
//
//   NATIVE_SEED=<n>    another draw of operands (default 1; printed on failure)
//   NATIVE_SCALE=<x>   multiply the number of cases per form (default 1)
//   NATIVE_SHOW=<n>    mismatches printed per group (default 8)
//   NATIVE_TABLE=all   print every form, not only those with problems
//   NATIVE_FILTER=<re> only forms whose name matches

import { strict as assert } from 'node:assert';
import { StopReason } from '../../../src/cpu/cpu';
import { ATTR_DB, ATTR_REAL_CODE, ATTR_REAL_DATA, CS, DS, ES, FS, GS, SS } from '../../../src/cpu/state';
import {
  ALL, AF, CF, CODE_ADDR, Case, DATA_ADDR, DF, FORMS, Form, GROUPS, IN_SIZE, LDT_SELECTOR, OF, OUT_SIZE, PF, REG32, Rng,
  SF, WINDOW, ZF, encode,
} from './forms';
import { buildRunner, runNative } from './oracle';
import { createBareCpu } from '../testMachine';

const SEED = Number(process.env.NATIVE_SEED ?? 1);
const SCALE = Number(process.env.NATIVE_SCALE ?? 1);
const SHOW = Number(process.env.NATIVE_SHOW ?? 8);
const TABLE_ALL = process.env.NATIVE_TABLE === 'all';
const FILTER = process.env.NATIVE_FILTER ? new RegExp(process.env.NATIVE_FILTER) : null;

const CODE16_SEG = 0x3100; // 16-bit code at 3100:0000
const CODE16_ADDR = CODE16_SEG << 4;
const IVT_ADDR = 0x800000;
const FAULT_SEG = 0x8100; // every vector -> 8100:vector, a HLT
const STEP_CAP = 200;
const STACK16_SELECTOR = 0xf; // the runner's LDT entry 1

// ---------------------------------------------------------------------------
// The bare CPU
// ---------------------------------------------------------------------------

const { cpu, ram } = createBareCpu();
for (let v = 0; v < 256; v++) {
  ram[IVT_ADDR + v * 4] = v;
  ram[IVT_ADDR + v * 4 + 1] = 0;
  ram[IVT_ADDR + v * 4 + 2] = FAULT_SEG & 0xff;
  ram[IVT_ADDR + v * 4 + 3] = FAULT_SEG >> 8;
  ram[(FAULT_SEG << 4) + v] = 0xf4;
}

function setupSegments(): void {
  const FLAT = 0xffffffff;
  cpu.loadSegmentCache(DS, 0, 0, FLAT, ATTR_REAL_DATA);
  cpu.loadSegmentCache(SS, 0, 0, FLAT, ATTR_REAL_DATA | ATTR_DB);
  cpu.loadSegmentCache(FS, LDT_SELECTOR, DATA_ADDR, FLAT, ATTR_REAL_DATA);
  cpu.loadSegmentCache(GS, LDT_SELECTOR, DATA_ADDR, FLAT, ATTR_REAL_DATA);
  cpu.idtrBase = IVT_ADDR;
  cpu.idtrLimit = 0x3ff;
}

interface EmuResult {
  stop: number;
  regs: Uint32Array;
  eip: number;
  flags: number;
  mem: Uint8Array;
  cs: number;
  error: string;
}

const emuRegs = new Uint32Array(8);
const emuMem = new Uint8Array(WINDOW);

/** Runs `code` + HLT from the input record `rec` (at `inp`) with ESP = `esp`. */
function emulate(code: number[], code32: boolean, inp: Buffer, rec: number, esp: number): EmuResult {
  const at = code32 ? CODE_ADDR : CODE16_ADDR;
  for (let i = 0; i < code.length; i++) ram[at + i] = code[i];
  ram[at + code.length] = 0xf4;
  ram.set(inp.subarray(rec + 56, rec + 56 + WINDOW), DATA_ADDR);
  setupSegments();
  const options = inp.readUInt32LE(rec + 52);
  const esLdt = (options & 1) !== 0;
  cpu.loadSegmentCache(ES, esLdt ? LDT_SELECTOR : 0, esLdt ? DATA_ADDR : 0, 0xffffffff, ATTR_REAL_DATA);
  if (options & 4) cpu.loadSegmentCache(SS, STACK16_SELECTOR, DATA_ADDR, 0xffff, ATTR_REAL_DATA);
  if (options & 2) esp = inp.readUInt32LE(rec + 32);
  if (code32) cpu.loadSegmentCache(CS, 0, 0, 0xffffffff, ATTR_REAL_CODE | ATTR_DB);
  else cpu.loadSegmentCache(CS, CODE16_SEG, CODE16_ADDR, 0xffff, ATTR_REAL_CODE);
  const r = (i: number) => inp.readUInt32LE(rec + 16 + i * 4);
  cpu.halted = false;
  cpu.setRegs({
    eax: r(0), ecx: r(1), edx: r(2), ebx: r(3), esp, ebp: r(5), esi: r(6), edi: r(7),
    // IF as on the host (user mode runs with IF = 1): PUSHF images then agree.
    eip: code32 ? CODE_ADDR : 0, eflags: inp.readUInt32LE(rec + 48) | 0x200,
  });
  let stop = -1;
  let error = '';
  try {
    stop = cpu.run(STEP_CAP);
  } catch (e) {
    error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  }
  if (stop === StopReason.InternalError) error = cpu.internalError?.message ?? 'internal error';
  const g = cpu.getRegs();
  emuRegs[0] = g.eax; emuRegs[1] = g.ecx; emuRegs[2] = g.edx; emuRegs[3] = g.ebx;
  emuRegs[4] = g.esp; emuRegs[5] = g.ebp; emuRegs[6] = g.esi; emuRegs[7] = g.edi;
  emuMem.set(ram.subarray(DATA_ADDR, DATA_ADDR + WINDOW));
  return { stop, regs: emuRegs, eip: g.eip, flags: g.eflags, mem: emuMem, cs: cpu.segSel[CS], error };
}

// ---------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------

interface Batch {
  forms: Form[];
  input: Buffer;
  form: Uint16Array;
  flagMask: Uint16Array;
  undefRegs: Uint8Array;
  undefMem: Int16Array; // lo, hi per case (-1: none)
  code16: number[][];
  count: number;
}

function drawBatch(forms: Form[], rng: Rng): Batch {
  const counts = forms.map((f) => Math.max(1, Math.round(f.cases * SCALE)));
  const total = counts.reduce((a, b) => a + b, 0);
  const b: Batch = {
    forms, input: Buffer.alloc(total * IN_SIZE), form: new Uint16Array(total), flagMask: new Uint16Array(total),
    undefRegs: new Uint8Array(total), undefMem: new Int16Array(total * 2).fill(-1), code16: [], count: total,
  };
  let k = 0;
  forms.forEach((f, fi) => {
    for (let n = 0; n < counts[fi]; n++, k++) {
      let c: Case;
      for (let tries = 0; ; tries++) {
        c = new Case(rng);
        if (f.gen(c) !== false) break;
        if (tries > 1000) throw new Error(`${f.name}: the generator keeps rejecting its operands`);
      }
      const code = encode(c.insns, true);
      if (code.length > 15) throw new Error(`${f.name}: ${code.length} code bytes`);
      const rec = k * IN_SIZE;
      b.input.set(code, rec);
      b.input[rec + 15] = code.length;
      for (let i = 0; i < 8; i++) b.input.writeUInt32LE(c.regs[i], rec + 16 + i * 4);
      b.input.writeUInt32LE(c.flags >>> 0, rec + 48);
      b.input.writeUInt32LE((c.esLdt ? 1 : 0) | (c.stack ? 2 : 0) | (c.stack === 16 ? 4 : 0), rec + 52);
      b.input.set(c.mem, rec + 56);
      b.form[k] = fi;
      b.flagMask[k] = c.flagMask;
      b.undefRegs[k] = c.undefRegs;
      if (c.undefMem) {
        b.undefMem[k * 2] = c.undefMem[0];
        b.undefMem[k * 2 + 1] = c.undefMem[1];
      }
      b.code16.push(encode(c.insns, false));
    }
  });
  return b;
}

// ---------------------------------------------------------------------------
// Comparison and reports
// ---------------------------------------------------------------------------

const hex = (v: number, w = 8) => (v >>> 0).toString(16).padStart(w, '0');
const FLAG_NAMES: [number, string][] = [[OF, 'OF'], [DF, 'DF'], [SF, 'SF'], [ZF, 'ZF'], [AF, 'AF'], [PF, 'PF'], [CF, 'CF']];
function flagText(v: number, mask: number): string {
  return FLAG_NAMES.filter(([b]) => mask & b).map(([b, n]) => (v & b ? n : n.toLowerCase())).join(' ');
}
const bytesHex = (a: ArrayLike<number>) => Array.from(a, (x) => hex(x, 2)).join(' ');

/** Differences between the native result and the Cpu's, as text lines (empty: equal). */
function compare(b: Batch, k: number, out: Buffer, e: EmuResult, code: number[], code32: boolean): string[] {
  const o = k * OUT_SIZE;
  const diffs: string[] = [];
  const expectEip = code32 ? CODE_ADDR + code.length + 1 : code.length + 1;
  if (e.error) {
    diffs.push(`threw ${e.error}`);
    return diffs;
  }
  if (e.cs === FAULT_SEG) {
    diffs.push(`raised exception #${e.eip - 1} (native: no fault)`);
    return diffs;
  }
  if (e.stop !== StopReason.Halt || e.eip !== expectEip) {
    diffs.push(`stopped with reason ${e.stop} at eip ${hex(e.eip)} (expected HLT, eip ${hex(expectEip)})`);
  }
  const undef = b.undefRegs[k];
  for (let i = 0; i < 8; i++) {
    if (undef & (1 << i)) continue;
    const want = out.readUInt32LE(o + i * 4);
    if (e.regs[i] !== want) diffs.push(`${REG32[i]}: native ${hex(want)} vmexit ${hex(e.regs[i])}`);
  }
  const mask = (b.flagMask[k] & ALL) | DF;
  const nf = out.readUInt32LE(o + 32);
  if ((nf ^ e.flags) & mask) {
    diffs.push(`flags [${flagText(mask, mask)}]: native ${flagText(nf, mask)} vmexit ${flagText(e.flags, mask)}`);
  }
  const lo = b.undefMem[k * 2], hi = b.undefMem[k * 2 + 1];
  const bad: number[] = [];
  for (let i = 0; i < WINDOW; i++) {
    if (i >= lo && i < hi) continue;
    if (out[o + 40 + i] !== e.mem[i]) bad.push(i);
  }
  if (bad.length) {
    const from = bad[0], to = bad[bad.length - 1] + 1;
    diffs.push(`mem[${from}..${to - 1}]: native ${bytesHex(out.subarray(o + 40 + from, o + 40 + to))} vmexit ${bytesHex(e.mem.subarray(from, to))}`);
  }
  return diffs;
}

function describeInput(b: Batch, k: number, esp: number): string {
  const rec = k * IN_SIZE;
  const inp = b.input;
  const ownStack = (inp.readUInt32LE(rec + 52) & 2) !== 0;
  const regs = REG32.map((n, i) => `${n}=${hex(i === 4 && !ownStack ? esp : inp.readUInt32LE(rec + 16 + i * 4))}`).join(' ');
  const flags = inp.readUInt32LE(rec + 48);
  const options = inp.readUInt32LE(rec + 52);
  const es = options & 1 ? ' es=window' : '';
  const ss = options & 4 ? ' ss=16-bit@window' : '';
  return `${regs} flags=${hex(flags, 3)} (${flagText(flags, ALL | DF)})${es}${ss}\n      mem ${bytesHex(inp.subarray(rec + 56, rec + 56 + WINDOW))}`;
}

interface Row {
  group: string;
  form: string;
  cases: number;
  passed: number;
  failed: number;
  ni: number;
  niWhat: string;
  /** Cases whose two native runs differed (the second is the reference). */
  unstable: number;
}
const allRows: Row[] = [];

function pad(s: string | number, n: number, right = false): string {
  const t = String(s);
  return right ? t.padStart(n) : t.padEnd(n);
}

function printTable(rows: Row[], title: string): void {
  const w = Math.max(28, ...rows.map((r) => r.form.length));
  const lines = [`    ${pad(title, w)} ${pad('cases', 7, true)} ${pad('passed', 7, true)} ${pad('failed', 7, true)} ${pad('not-impl', 8, true)}`];
  for (const r of rows) {
    let note = r.ni ? `  (${r.niWhat})` : '';
    if (r.unstable) note += `  (host gave another result on the first of two runs in ${r.unstable} cases)`;
    lines.push(`    ${pad(r.form, w)} ${pad(r.cases, 7, true)} ${pad(r.passed, 7, true)} ${pad(r.failed, 7, true)} ${pad(r.ni, 8, true)}${note}`);
  }
  console.log(lines.join('\n'));
}

// ---------------------------------------------------------------------------
// The suite
// ---------------------------------------------------------------------------

describe('CPU: native oracle (386+ integer forms against the host CPU)', function () {
  this.timeout(120_000);
  let exe = '';

  before(function () {
    exe = buildRunner();
  });

  after(function () {
    if (!allRows.length) return;
    const sum = (f: (r: Row) => number) => allRows.reduce((a, r) => a + f(r), 0);
    console.log(
      `    native oracle: ${allRows.length} forms, ${sum((r) => r.cases)} cases (each run in 32- and 16-bit code): ` +
        `${sum((r) => r.passed)} passed, ${sum((r) => r.failed)} failed, ${sum((r) => r.ni)} not implemented (seed ${SEED})`,
    );
  });

  it('harness: a wrong register, flag or memory byte is reported', function () {
    // ADD [FS:EBX], EAX natively, then the Cpu's run compared against a tampered native result.
    const form: Form = {
      group: 'self', name: 'add fs:[ebx],eax', cases: 1,
      gen: (c) => {
        c.regs[3] = 8;
        c.insns = [{ pre: [0x64], o16: false, a16: false, body: [0x01, 0x03] }];
        c.flagMask = ALL;
      },
    };
    const b = drawBatch([form], new Rng(SEED));
    const out = runNative(exe, b.input);
    const code = Array.from(b.input.subarray(0, b.input[15]));
    const e = emulate(code, true, b.input, 0, out.readUInt32LE(16));
    assert.deepEqual(compare(b, 0, out, e, code, true), []);
    out.writeUInt32LE(out.readUInt32LE(0) ^ 1, 0); // EAX
    out.writeUInt32LE(out.readUInt32LE(32) ^ CF, 32); // CF
    out[40 + 9] ^= 0x80; // a byte of the destination
    const diffs = compare(b, 0, out, e, code, true);
    assert.equal(diffs.length, 3, diffs.join('\n'));
    assert.match(diffs[0], /^eax/);
    assert.match(diffs[1], /^flags/);
    assert.match(diffs[2], /^mem\[9\.\.9\]/);
  });

  GROUPS.forEach((group, gi) => {
    it(group, function () {
      const forms = FORMS.filter((f) => f.group === group && (!FILTER || FILTER.test(f.name)));
      if (!forms.length) this.skip();
      const b = drawBatch(forms, new Rng((SEED * 1000003 + gi) >>> 0));
      const out = runNative(exe, b.input);
      const rows: Row[] = forms.map((f) => ({ group, form: f.name, cases: 0, passed: 0, failed: 0, ni: 0, niWhat: '', unstable: 0 }));
      const shown: string[] = [];
      let nativeFaults = 0;
      for (let k = 0; k < b.count; k++) {
        const row = rows[b.form[k]];
        row.cases++;
        const status = out.readUInt32LE(k * OUT_SIZE + 36) & 0xff;
        if (out[k * OUT_SIZE + 37] & 1) row.unstable++;
        if (status !== 0) {
          // The generator should never draw a faulting case: report it, it is a harness bug.
          nativeFaults++;
          row.failed++;
          if (shown.length < SHOW) shown.push(`  ${row.form}: native run got signal ${status}: ${bytesHex(b.input.subarray(k * IN_SIZE, k * IN_SIZE + b.input[k * IN_SIZE + 15]))}\n      ${describeInput(b, k, 0)}`);
          continue;
        }
        // The host's ESP, for instructions that run on the host stack (LEA may read it).
        const esp = out.readUInt32LE(k * OUT_SIZE + 16);
        const code32 = Array.from(b.input.subarray(k * IN_SIZE, k * IN_SIZE + b.input[k * IN_SIZE + 15]));
        let failed = false, ni = false;
        for (const mode32 of [true, false]) {
          const code = mode32 ? code32 : b.code16[k];
          const e = emulate(code, mode32, b.input, k * IN_SIZE, esp);
          if (e.stop === StopReason.InternalError) {
            ni = true;
            if (!row.niWhat) row.niWhat = e.error;
            continue;
          }
          const diffs = compare(b, k, out, e, code, mode32);
          if (diffs.length) {
            failed = true;
            if (shown.length < SHOW) {
              shown.push(
                `  ${row.form} [${mode32 ? '32' : '16'}-bit code] ${bytesHex(code)}\n      ${describeInput(b, k, esp)}\n` +
                  diffs.map((d) => `      ${d}`).join('\n'),
              );
            }
          }
        }
        if (failed) row.failed++;
        else if (ni) row.ni++;
        else row.passed++;
      }
      allRows.push(...rows);
      const bad = rows.filter((r) => r.failed || r.ni || r.unstable);
      const clean = rows.length - bad.length;
      printTable(TABLE_ALL ? rows : bad, `${group}: form`);
      console.log(`    ${group}: ${rows.length} forms, ${b.count} cases; ${clean} forms fully passing`);
      if (shown.length) console.log(`    first mismatches (seed ${SEED}):\n${shown.join('\n')}`);
      const failed = rows.reduce((a, r) => a + r.failed, 0);
      const ni = rows.reduce((a, r) => a + r.ni, 0);
      assert.equal(nativeFaults, 0, `${nativeFaults} cases faulted natively (a generator bug)`);
      assert.equal(failed, 0, `${failed} of ${b.count} cases differ from the host CPU`);
      assert.equal(ni, 0, `${ni} of ${b.count} cases end in "not implemented"`);
    });
  });
});
