// The x87 oracle harness: case records for oracle.c (built with gcc -m32 at
// test time, like the native oracle), the same case run in a bare Cpu, and
// the comparison of the two results bit for bit: the control, status and tag
// words, ST(0)..ST(7) (80 bits each), the last instruction/data pointers and
// opcode where the case asks, EAX, the arithmetic flags and the data window.
//
// Operand generators draw 80-bit values across every class the x87 knows:
// zeros, denormals and pseudo-denormals, normals at boundary exponents and
// with sparse significands (so sums and products land on rounding ties),
// infinities, QNaNs and SNaNs with payloads, unnormals, pseudo-NaNs and
// pseudo-infinities, integers and halves.

import { resolve } from 'node:path';
import { Cpu, StopReason } from '../../../src/cpu/cpu';
import { buildOpTable } from '../../../src/cpu/ops/table';
import { ATTR_DB, ATTR_REAL_CODE, ATTR_REAL_DATA, CS, DS, ES, FS, GS, SS } from '../../../src/cpu/state';
import { Rng } from '../native/forms';
import { buildHostProgram, runHostProgram } from '../native/oracle';

export { Rng };

export const DATA_ADDR = 0x00200000;
export const CODE_ADDR = 0x00300000;
export const WINDOW = 112;
const IN_SIZE = 256;
const OUT_SIZE = 256;

/** An 80-bit value: sign/exponent, significand high and low words. */
export type F80 = [se: number, hi: number, lo: number];

export interface FpuImage {
  cw: number;
  sw: number;
  /** The full tag word (two bits per physical register). */
  tw: number;
  /** ST(0)..ST(7). */
  st: F80[];
  fip: number;
  fop: number;
  fdp: number;
}

export interface X87Case {
  code: number[];
  fpu: FpuImage;
  eax: number;
  eflags: number;
  mem: Uint8Array;
}

export interface X87Result {
  /** 0, or the host signal / the vector the emulated CPU took (+ 1000), or -1: not implemented. */
  status: number;
  eflags: number;
  eax: number;
  fpu: FpuImage;
  mem: Uint8Array;
}

// ---------------------------------------------------------------------------
// Records
// ---------------------------------------------------------------------------

function writeImage(b: Buffer, at: number, f: FpuImage): void {
  b.writeUInt32LE((f.cw | 0xffff0000) >>> 0, at);
  b.writeUInt32LE((f.sw | 0xffff0000) >>> 0, at + 4);
  b.writeUInt32LE((f.tw | 0xffff0000) >>> 0, at + 8);
  b.writeUInt32LE(f.fip >>> 0, at + 12);
  b.writeUInt32LE(((f.fop << 16) | 0x23) >>> 0, at + 16);
  b.writeUInt32LE(f.fdp >>> 0, at + 20);
  b.writeUInt32LE(0xffff002b, at + 24);
  for (let i = 0; i < 8; i++) {
    const [se, hi, lo] = f.st[i];
    b.writeUInt32LE(lo >>> 0, at + 28 + 10 * i);
    b.writeUInt32LE(hi >>> 0, at + 32 + 10 * i);
    b.writeUInt16LE(se, at + 36 + 10 * i);
  }
}

function readImage(b: Buffer, at: number): FpuImage {
  const st: F80[] = [];
  for (let i = 0; i < 8; i++) st.push([b.readUInt16LE(at + 36 + 10 * i), b.readUInt32LE(at + 32 + 10 * i), b.readUInt32LE(at + 28 + 10 * i)]);
  return {
    cw: b.readUInt16LE(at), sw: b.readUInt16LE(at + 4), tw: b.readUInt16LE(at + 8), fip: b.readUInt32LE(at + 12),
    fop: b.readUInt16LE(at + 18) & 0x7ff, fdp: b.readUInt32LE(at + 20), st,
  };
}

function encodeCases(cases: readonly X87Case[]): Buffer {
  const b = Buffer.alloc(cases.length * IN_SIZE);
  cases.forEach((c, n) => {
    const at = n * IN_SIZE;
    c.code.forEach((x, i) => (b[at + i] = x));
    b.writeUInt32LE(c.code.length, at + 16);
    b.writeUInt32LE(c.eflags >>> 0, at + 20);
    b.writeUInt32LE(c.eax >>> 0, at + 24);
    writeImage(b, at + 32, c.fpu);
    b.set(c.mem, at + 144);
  });
  return b;
}

let oracle: string | null = null;

/** Run the cases on the host FPU. */
export function runHost(cases: readonly X87Case[]): X87Result[] {
  oracle ??= buildHostProgram(resolve(__dirname, 'oracle.c'), 'x87-oracle');
  const out = runHostProgram(oracle, encodeCases(cases), IN_SIZE, OUT_SIZE);
  const results: X87Result[] = [];
  for (let n = 0; n < cases.length; n++) {
    const at = n * OUT_SIZE;
    results.push({
      status: out.readUInt32LE(at), eflags: out.readUInt32LE(at + 4), eax: out.readUInt32LE(at + 8),
      fpu: readImage(out, at + 16), mem: Uint8Array.from(out.subarray(at + 128, at + 128 + WINDOW)),
    });
  }
  return results;
}

// ---------------------------------------------------------------------------
// The emulated side: a bare Cpu in flat 32-bit protected mode (CPL 0, the
// segment caches loaded directly), exceptions intercepted.
// ---------------------------------------------------------------------------

const ram = new Uint8Array(1 << 24);
const pageKind = new Uint8Array(1 << 12);
const cpu = new Cpu(
  { ram, pageKind, readSlow: () => 0xffffffff, writeSlow: () => {} },
  { portIn: () => 0xffffffff, portOut: () => {} },
  { acknowledge: () => 8 },
);
cpu.ops = buildOpTable();
cpu.setDebug({
  breakpoints: [], exceptions: Array.from({ length: 32 }, (_, v) => v), softwareInterrupts: [], modeChanges: false,
  magicBreakpoint: false,
});

const FLAT = 0xffffffff;
const PROTECTED_DATA = ATTR_REAL_DATA | ATTR_DB | (1 << 15);

function setupCpu(c: X87Case): void {
  cpu.cr0 = 0x31; // PE, ET, NE
  for (const s of [DS, ES, FS, GS]) cpu.loadSegmentCache(s, 0x2b, 0, FLAT, PROTECTED_DATA);
  cpu.loadSegmentCache(SS, 0x2b, 0, FLAT, PROTECTED_DATA);
  cpu.loadSegmentCache(CS, 0x23, 0, FLAT, ATTR_REAL_CODE | ATTR_DB | (1 << 15));
  cpu.cpl = 0;
  cpu.setFlags(c.eflags);
  cpu.reg32[0] = c.eax;
  ram.set(c.mem, DATA_ADDR);
  ram.fill(0xf4, CODE_ADDR, CODE_ADDR + 32);
  c.code.forEach((x, i) => (ram[CODE_ADDR + i] = x));
  cpu.invalidateFetch();
  cpu.eip = CODE_ADDR;
  const f = c.fpu;
  cpu.fpu.setState({
    st: f.st.map(([se, hi, lo]) => [
      lo & 0xff, (lo >>> 8) & 0xff, (lo >>> 16) & 0xff, lo >>> 24, hi & 0xff, (hi >>> 8) & 0xff, (hi >>> 16) & 0xff, hi >>> 24,
      se & 0xff, se >>> 8,
    ]),
    fcw: f.cw, fsw: f.sw, ftw: f.tw, lastOpcode: f.fop, lastIp: f.fip, lastCs: 0x23, lastDp: f.fdp, lastDs: 0x2b,
  });
}

/** Run one case in the emulated CPU. */
export function runEmulated(c: X87Case): X87Result {
  setupCpu(c);
  let status = 0;
  const end = CODE_ADDR + c.code.length;
  for (let n = 0; n < 16 && cpu.eip !== end; n++) {
    const stop = cpu.stepOnce(false);
    if (stop === StopReason.InternalError) {
      status = -1;
      break;
    }
    if (stop === StopReason.Debug) {
      const e = cpu.debug.event;
      status = e && e.kind === 'exception' ? 1000 + e.vector : 999;
      cpu.debug.pendingException = null;
      break;
    }
  }
  const s = cpu.fpu.getState();
  const st: F80[] = s.st.map((b) => [
    b[8] | (b[9] << 8), (b[4] | (b[5] << 8) | (b[6] << 16) | (b[7] << 24)) >>> 0, (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0,
  ]);
  return {
    status, eflags: cpu.getFlags(), eax: cpu.reg32[0] >>> 0,
    fpu: { cw: s.fcw, sw: s.fsw, tw: s.ftw, st, fip: s.lastIp, fop: s.lastOpcode, fdp: s.lastDp },
    mem: ram.slice(DATA_ADDR, DATA_ADDR + WINDOW),
  };
}

// ---------------------------------------------------------------------------
// Comparison
// ---------------------------------------------------------------------------

export interface CompareOptions {
  /** Compare FIP, FOP and FDP too. */
  pointers?: boolean;
  /** EFLAGS bits to compare (default: none; FCOMI compares ZF PF CF OF SF AF). */
  eflags?: number;
}

export function hex80([se, hi, lo]: F80): string {
  return `${se.toString(16).padStart(4, '0')}:${hi.toString(16).padStart(8, '0')}${lo.toString(16).padStart(8, '0')}`;
}

function describe(r: X87Result, status: boolean): string {
  const f = r.fpu;
  const st = f.st.map(hex80).slice(0, 3).join(' ');
  return `${status ? `status ${r.status} ` : ''}cw ${f.cw.toString(16)} sw ${f.sw.toString(16)} tw ${f.tw.toString(16)} st ${st}`;
}

/** Null when the host and emulated results agree, else a description of the difference. */
export function difference(host: X87Result, emu: X87Result, o: CompareOptions = {}): string | null {
  const d: string[] = [];
  if (host.status !== emu.status) d.push(`status ${host.status} / ${emu.status}`);
  const h = host.fpu, e = emu.fpu;
  if (h.cw !== e.cw) d.push(`cw ${h.cw.toString(16)} / ${e.cw.toString(16)}`);
  if (h.sw !== e.sw) d.push(`sw ${h.sw.toString(16)} / ${e.sw.toString(16)}`);
  if (h.tw !== e.tw) d.push(`tw ${h.tw.toString(16)} / ${e.tw.toString(16)}`);
  for (let i = 0; i < 8; i++) {
    const a = h.st[i], b = e.st[i];
    if (a[0] !== b[0] || a[1] !== b[1] || a[2] !== b[2]) d.push(`st${i} ${hex80(a)} / ${hex80(b)}`);
  }
  if (o.pointers) {
    if (h.fip !== e.fip) d.push(`fip ${h.fip.toString(16)} / ${e.fip.toString(16)}`);
    if (h.fop !== e.fop) d.push(`fop ${h.fop.toString(16)} / ${e.fop.toString(16)}`);
    if (h.fdp !== e.fdp) d.push(`fdp ${h.fdp.toString(16)} / ${e.fdp.toString(16)}`);
  }
  if (host.eax !== emu.eax) d.push(`eax ${host.eax.toString(16)} / ${emu.eax.toString(16)}`);
  const fm = o.eflags ?? 0;
  if ((host.eflags & fm) !== (emu.eflags & fm)) d.push(`eflags ${(host.eflags & fm).toString(16)} / ${(emu.eflags & fm).toString(16)}`);
  for (let i = 0; i < WINDOW; i++) {
    if (host.mem[i] !== emu.mem[i]) {
      d.push(`mem[${i}] ${host.mem[i].toString(16)} / ${emu.mem[i].toString(16)}`);
      break;
    }
  }
  if (d.length === 0) return null;
  return `${d.join(', ')}\n      host: ${describe(host, false)}\n      emu:  ${describe(emu, false)}`;
}

// ---------------------------------------------------------------------------
// Operands
// ---------------------------------------------------------------------------

const BIAS = 16383;

/** A significand with the integer bit set: random, sparse (few bits), or all ones at the top. */
function significand(r: Rng): [number, number] {
  switch (r.int(5)) {
    case 0: case 1: return [(r.u32() | 0x80000000) >>> 0, r.u32()];
    case 2: {
      // A few bits: sums and products of these fall on ties and exact results.
      let hi = 0x80000000, lo = 0;
      for (let n = r.int(4); n > 0; n--) {
        const b = r.int(63);
        if (b >= 32) hi |= 1 << (b - 32);
        else lo |= 1 << b;
      }
      return [hi >>> 0, lo >>> 0];
    }
    case 3: {
      // Bits around the 24/53/64-bit rounding points.
      const hi = (0x80000000 | (r.bool() ? 0xff : 0) | (r.bool() ? 0x80 : 0) | r.int(256)) >>> 0;
      const lo = r.pick([0, 0x800, 0x400, 0x7ff, 0xfffff800, 0xffffffff, 1, 0x80000000, r.u32()]);
      return [hi, lo >>> 0];
    }
    default: return [0xffffffff, r.pick([0xffffffff, 0xfffff800, 0xffffff00, r.u32()]) >>> 0];
  }
}

const EDGE_EXPONENTS = [1, 2, 3, 63, 64, 65, 0x7ffe, 0x7ffd, 0x7ffc, BIAS, BIAS - 1, BIAS + 1, BIAS + 62, BIAS + 63, BIAS + 64,
  BIAS - 126, BIAS - 127, BIAS - 149, BIAS - 150, BIAS - 1022, BIAS - 1023, BIAS - 1074, BIAS - 1075, BIAS + 127, BIAS + 128,
  BIAS + 1023, BIAS + 1024, BIAS + 15, BIAS + 31, BIAS + 30, BIAS + 14];

/** A normal exponent: uniform, at an edge, or near the unit. */
function exponent(r: Rng): number {
  switch (r.int(4)) {
    case 0: return r.range(1, 0x7ffe);
    case 1: return r.pick(EDGE_EXPONENTS) + r.range(-2, 2);
    default: return BIAS + r.range(-70, 70);
  }
}

function clampExp(e: number): number {
  return Math.min(0x7ffe, Math.max(1, e));
}

/** Any 80-bit value, `special` the share of non-normal classes. */
export function value(r: Rng, special = 0.3): F80 {
  const sign = r.bool() ? 0x8000 : 0;
  if (!r.bool(special)) {
    const [hi, lo] = significand(r);
    return [sign | clampExp(exponent(r)), hi, lo];
  }
  switch (r.int(11)) {
    case 0: return [sign, 0, 0];
    case 1: case 2: { // denormal
      const [hi, lo] = significand(r);
      const s = r.int(64);
      return [sign, s >= 32 ? 0 : hi >>> (s + 1), s >= 32 ? hi >>> (s - 31) : ((lo >>> (s + 1)) | (hi << (31 - s))) >>> 0];
    }
    case 3: { // pseudo-denormal
      const [hi, lo] = significand(r);
      return [sign, hi, lo];
    }
    case 4: return [sign | 0x7fff, 0x80000000, 0];
    case 5: case 6: { // QNaN, SNaN with a payload
      const quiet = r.bool() ? 0x40000000 : 0;
      let hi = (0x80000000 | quiet | (r.bool() ? r.u32() & 0x3fffffff : r.int(4))) >>> 0;
      const lo = r.bool() ? r.u32() : r.int(4);
      if (!quiet && (hi & 0x3fffffff) === 0 && lo === 0) hi |= 1;
      return [sign | 0x7fff, hi >>> 0, lo >>> 0];
    }
    case 7: { // unnormal
      const [hi, lo] = significand(r);
      return [sign | clampExp(exponent(r)), hi & 0x7fffffff, lo];
    }
    case 8: { // pseudo-infinity / pseudo-NaN
      return [sign | 0x7fff, r.bool() ? 0 : r.u32() & 0x7fffffff, r.bool() ? 0 : r.u32()];
    }
    case 9: { // a small integer or a half
      const n = r.range(1, 1 << r.range(1, 20));
      const half = r.bool(0.4);
      const e = 31 - Math.clz32(n);
      const hi = ((n << (31 - e)) | (half && e < 31 ? 1 << (30 - e) : 0)) >>> 0;
      return [sign | (BIAS + e), hi, 0];
    }
    default: { // exponent 1 or the largest, to cross into denormals and overflow
      const [hi, lo] = significand(r);
      return [sign | r.pick([1, 2, 0x7ffe, 0x7ffd]), hi, lo];
    }
  }
}

/** A second operand near the first (exponent within a few bits, for cancellation and rounding) or independent. */
export function partner(r: Rng, a: F80): F80 {
  if (r.bool(0.5) || (a[0] & 0x7fff) === 0 || (a[0] & 0x7fff) === 0x7fff) return value(r);
  const sign = r.bool() ? 0x8000 : 0;
  const [hi, lo] = r.bool(0.3) ? [a[1], (a[2] ^ (1 << r.int(32))) >>> 0] : significand(r);
  return [sign | clampExp((a[0] & 0x7fff) + r.range(-66, 66)), hi, lo];
}

/** A control word: every RC, every PC (reserved 01 rarely), mostly all masked, sometimes random masks. */
export function controlWord(r: Rng): number {
  const rc = r.int(4);
  const pc = r.bool(0.05) ? 1 : r.pick([0, 2, 3]);
  const masks = r.bool(0.75) ? 0x3f : r.int(64);
  return (rc << 10) | (pc << 8) | 0x40 | masks;
}

/** An FPU image with `values` pushed as ST(0), ST(1), ... and the rest empty, TOP = `top`. */
export function image(cw: number, values: readonly F80[], top = 5, fill?: (i: number) => F80): FpuImage {
  const st: F80[] = [];
  let tw = 0;
  for (let i = 0; i < 8; i++) {
    const v = i < values.length ? values[i] : fill ? fill(i) : [0, 0, 0] as F80;
    st.push(v);
    const phys = (top + i) & 7;
    tw |= (i < values.length ? 0 : 3) << (2 * phys);
  }
  return { cw, sw: top << 11, tw, st, fip: 0, fop: 0, fdp: 0 };
}

export function emptyWindow(): Uint8Array {
  return new Uint8Array(WINDOW);
}

/** ModRM + disp32 for [DATA_ADDR + off] (mod 00, r/m 101) with reg field `reg`. */
export function memOperand(reg: number, off = 0): number[] {
  const a = DATA_ADDR + off;
  return [(reg << 3) | 5, a & 0xff, (a >>> 8) & 0xff, (a >>> 16) & 0xff, a >>> 24];
}

export interface GroupReport {
  cases: number;
  mismatches: number;
  unimplemented: number;
  /** Cases whose two host runs differed (the second is compared), or run again for lost pointers. */
  hostUnstable: number;
  examples: string[];
}

/**
 * Host results whose last instruction and data pointers and opcode all read
 * zero with no exception pending: on this host they are lost when the
 * process is switched out between the instruction and FNSAVE (AMD's XSAVE
 * keeps FIP, FDP and FOP only while an exception is pending). Such cases run
 * again, up to three times; a zero that stays (FNINIT) is the real result.
 */
function rerunLostPointers(cases: readonly X87Case[], host: X87Result[]): number {
  let rerun = 0;
  for (let attempt = 0; attempt < 3; attempt++) {
    const lost = host.map((h, n) => (h.fpu.fip === 0 && h.fpu.fop === 0 && h.fpu.fdp === 0 && (h.fpu.sw & 0x80) === 0 ? n : -1)).filter((n) => n >= 0);
    if (lost.length === 0) break;
    const again = runHost(lost.map((n) => cases[n]));
    lost.forEach((n, k) => {
      const a = again[k].fpu;
      if (a.fip !== 0 || a.fop !== 0 || a.fdp !== 0) {
        host[n] = again[k];
        rerun++;
      }
    });
  }
  return rerun;
}

/** Run `cases` on both sides and count the differences. */
export function check(cases: readonly X87Case[], o: CompareOptions = {}, show = 5): GroupReport {
  const host = runHost(cases);
  const rerun = rerunLostPointers(cases, host);
  const report: GroupReport = { cases: cases.length, mismatches: 0, unimplemented: 0, hostUnstable: rerun, examples: [] };
  cases.forEach((c, n) => {
    if ((host[n].status & 0x100) !== 0) {
      report.hostUnstable++;
      host[n].status &= ~0x100;
    }
    const emu = runEmulated(c);
    if (emu.status === -1) {
      report.unimplemented++;
      return;
    }
    const d = difference(host[n], emu, o);
    if (d === null) return;
    report.mismatches++;
    if (report.examples.length < show) {
      const ops = c.fpu.st.slice(0, 2).map(hex80).join(' ');
      report.examples.push(`${c.code.map((x) => x.toString(16).padStart(2, '0')).join(' ')} cw ${c.fpu.cw.toString(16)} st ${ops}: ${d}`);
    }
  });
  return report;
}
