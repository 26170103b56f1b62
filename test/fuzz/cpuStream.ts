// One stream of the CPU fuzzer, over the VMM API only (Vm, Vcpu: setRegs,
// setSregs, run, the exits, saveState/loadState): a seeded block of random
// instructions run in one mode with random registers. Faults land in the
// interrupt stubs (./machine.ts): the vector is counted and the stream goes
// on after the faulting instruction. What counts as a crash:
//   - a JavaScript exception escaping Vcpu.run,
//   - a register or segment field that is not a valid value,
//   - a snapshot round trip that changes the state (saved, restored into a
//     fresh VM, both run on: they must stay identical),
//   - an exit the fuzzer never asked for (a debug exit with nothing armed);
// and hangs, which the watchdog of ./cpuFuzz.ts detects. Internal errors are
// not crashes: they are counted by opcode.

import { Regs, Sregs } from '../../src/cpu/state';
import { Exit } from '../../src/vmm/exit';
import { Vm } from '../../src/vmm/vm';
import { Rng, generateInstruction, streamSeed } from './generator';
import {
  CODE, CODE_BYTES, EFLAGS_VM, FuzzMode, RAM_BYTES, ROM, STUBS, buildRom, codeEip, isSegmentedMode, modeSregs, newFuzzVm, randomRegs,
} from './machine';

/** Instructions per Vcpu.run call. */
export const CHUNK = 2048;
/** Instructions the two VMs of the snapshot round trip run after the restore. */
const TWIN_INSTRUCTIONS = 3000;
/** MSRs compared across a snapshot round trip (TSC, APIC base, SYSENTER, PAT, EFER, performance counters). */
const MSRS = [0x10, 0x1b, 0x174, 0x175, 0x176, 0x277, 0xc0000080, 0xc1, 0xc2, 0x186, 0x187];

export type CrashKind = 'exception' | 'invalid-state' | 'snapshot' | 'unexpected-exit' | 'hang';

export interface Crash {
  kind: CrashKind;
  message: string;
  mode: FuzzMode;
  seed: number;
  stream: number;
  /** The state and bytes of the instruction it happened on, when the stream could be shrunk to one. */
  reproducer?: Reproducer;
}

export interface Reproducer {
  regs: Regs;
  sregs: Sregs;
  /** 15 bytes at CS:EIP. */
  bytes: number[];
  /** The one instruction, run from this state in a fresh VM of the mode, crashes the same way. */
  verified: boolean;
}

export interface StreamStats {
  instructions: number;
  exits: Record<string, number>;
  /** Exceptions and interrupts taken, by vector. */
  vectors: number[];
  /** Internal errors by opcode ("0F 33", "D8 /3" ...). */
  internalErrors: Record<string, number>;
  /** The first message of each opcode's internal errors (what is missing). */
  internalMessages: Record<string, string>;
  snapshots: number;
}

export function emptyStats(): StreamStats {
  return { instructions: 0, exits: {}, vectors: new Array<number>(256).fill(0), internalErrors: {}, internalMessages: {}, snapshots: 0 };
}

/** The stream's code: random instructions filling the code block, with a map of where each starts. */
export function streamCode(r: Rng, code32: boolean): { code: Uint8Array; starts: Uint8Array } {
  const bytes: number[] = [];
  const starts = new Uint8Array(CODE_BYTES);
  while (bytes.length < CODE_BYTES - 16) {
    starts[bytes.length] = 1;
    generateInstruction(r, { code32 }, bytes);
  }
  const code = new Uint8Array(CODE_BYTES);
  code.set(bytes.slice(0, CODE_BYTES));
  return { code, starts };
}

class StreamFailure extends Error {
  constructor(readonly kind: CrashKind, message: string) {
    super(message);
  }
}

const PREFIX = new Set([0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3]);
const GROUPS = new Set([0x80, 0x81, 0x82, 0x83, 0x8f, 0xc0, 0xc1, 0xc6, 0xc7, 0xd0, 0xd1, 0xd2, 0xd3, 0xd8, 0xd9, 0xda,
  0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xf6, 0xf7, 0xfe, 0xff, 0x100, 0x101, 0x1ba, 0x1c7, 0x1ae]);

/** "0F 33", "F7 /4": the opcode of an instruction's bytes, prefixes skipped. */
export function opcodeKey(bytes: number[]): string {
  let i = 0;
  while (i < bytes.length - 1 && PREFIX.has(bytes[i])) i++;
  const hex = (b: number) => b.toString(16).toUpperCase().padStart(2, '0');
  let index = bytes[i];
  let name = hex(bytes[i]);
  if (bytes[i] === 0x0f) {
    index = 0x100 | bytes[i + 1];
    name = `0F ${hex(bytes[i + 1])}`;
    i++;
  }
  if (GROUPS.has(index) && i + 1 < bytes.length) name += ` /${(bytes[i + 1] >> 3) & 7}`;
  return name;
}

const REG_FIELDS = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi', 'eip', 'eflags'] as const;

function isUint32(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
}

/** Every register and segment field is a whole number in its range; throws a StreamFailure naming the first that is not. */
export function checkStateValid(regs: Regs, sregs: Sregs): void {
  const bad = (what: string, v: unknown) => {
    throw new StreamFailure('invalid-state', `${what} is ${String(v)}`);
  };
  for (const k of REG_FIELDS) if (!isUint32(regs[k])) bad(k, regs[k]);
  if ((regs.eflags & 2) === 0) bad('eflags bit 1', 0);
  for (const name of ['es', 'cs', 'ss', 'ds', 'fs', 'gs', 'ldtr', 'tr'] as const) {
    const s = sregs[name];
    if (!s) bad(name, s);
    if (!isUint32(s.selector) || s.selector > 0xffff) bad(`${name}.selector`, s.selector);
    if (!isUint32(s.base)) bad(`${name}.base`, s.base);
    if (!isUint32(s.limit)) bad(`${name}.limit`, s.limit);
    if (!isUint32(s.attributes) || s.attributes > 0x1ffff) bad(`${name}.attributes`, s.attributes);
  }
  for (const name of ['gdtr', 'idtr'] as const) {
    if (!isUint32(sregs[name].base)) bad(`${name}.base`, sregs[name].base);
    if (!isUint32(sregs[name].limit) || sregs[name].limit > 0xffff) bad(`${name}.limit`, sregs[name].limit);
  }
  for (const name of ['cr0', 'cr2', 'cr3', 'cr4', 'efer', 'apicBase'] as const) if (!isUint32(sregs[name])) bad(name, sregs[name]);
}

/** What a hook sees before each Vcpu.run call (the watchdog's heartbeat, the shrinker's trace). */
export type BeforeRun = (vm: Vm, budget: number) => void;

/**
 * Drives one VM through a stream: runs, answers exits, resumes after faults.
 * A twin (for the snapshot round trip) is a copy with the same monitor state.
 */
class Driver {
  private exitCount = 0;

  constructor(
    readonly vm: Vm,
    readonly mode: FuzzMode,
    readonly starts: Uint8Array,
    readonly monitor: Rng,
    readonly stats: StreamStats,
  ) {}

  get vcpu() {
    return this.vm.vcpus[0];
  }

  /** Runs about `count` instructions (at most CHUNK per run call). */
  drive(count: number, chunk: number, beforeRun?: BeforeRun): void {
    const vcpu = this.vcpu;
    const end = vcpu.instructions + count;
    // Exits that retire nothing (an unimplemented instruction) still move the stream on; bound them anyway.
    let exitsLeft = count + 1000;
    while (vcpu.instructions < end && exitsLeft-- > 0) {
      const budget = Math.min(chunk, end - vcpu.instructions);
      beforeRun?.(this.vm, budget);
      const before = vcpu.instructions;
      let exit: Exit;
      try {
        exit = vcpu.run(budget);
      } catch (e) {
        throw new StreamFailure('exception', e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e));
      }
      this.stats.instructions += vcpu.instructions - before;
      this.stats.exits[exit.kind] = (this.stats.exits[exit.kind] ?? 0) + 1;
      // Every 8th exit and the last: the views allocate, and exits come every few instructions.
      if ((++this.exitCount & 7) === 0 || vcpu.instructions >= end) checkStateValid(vcpu.getRegs(), vcpu.getSregs());
      this.answer(exit);
    }
  }

  private answer(exit: Exit): void {
    const vcpu = this.vcpu;
    switch (exit.kind) {
      case 'budget':
        // A slice used up: most likely a loop. Hop to another instruction so the stream keeps covering code.
        this.resumeAt(this.nextStart(this.monitor.below(CODE_BYTES - 16)), vcpu.getRegs(), vcpu.getSregs());
        return;
      case 'stop':
        return;
      case 'io':
        if (exit.direction === 'in') vcpu.completeIo(this.monitor.next32());
        return;
      case 'mmio':
        return;
      case 'hlt': {
        const regs = vcpu.getRegs();
        const sregs = vcpu.getSregs();
        const vector = ((sregs.cs.base + regs.eip - 1) >>> 0) - STUBS;
        if (vector >= 0 && vector < 256) {
          this.stats.vectors[vector]++;
          this.resumeAfterInterrupt(regs, sregs, vector);
        } else this.resumeAt(this.nextStart((sregs.cs.base + regs.eip - CODE) >>> 0), regs, sregs);
        return;
      }
      case 'internal-error': {
        const key = opcodeKey(exit.bytes);
        this.stats.internalErrors[key] = (this.stats.internalErrors[key] ?? 0) + 1;
        this.stats.internalMessages[key] ??= exit.message;
        this.resumeAt(this.nextStart((exit.linear - CODE + 1) >>> 0), vcpu.getRegs(), vcpu.getSregs());
        return;
      }
      case 'shutdown':
        this.restart();
        return;
      case 'debug':
        throw new StreamFailure('unexpected-exit', `a debug exit (${JSON.stringify(exit.cause)}) with no guest debug armed`);
    }
  }

  /** The first instruction start at or after code offset `off` (from the top for an offset outside the code). */
  private nextStart(off: number): number {
    if (off >= CODE_BYTES) off = this.monitor.below(CODE_BYTES - 16);
    for (let i = off; i < CODE_BYTES; i++) if (this.starts[i]) return i;
    return 0;
  }

  /**
   * After the stub of `vector`: drop the frame the delivery pushed and go on
   * after the interrupted instruction (the frame's return address).
   */
  private resumeAfterInterrupt(regs: Regs, sregs: Sregs, vector: number): void {
    const real = (sregs.cr0 & 1) === 0;
    const hasError = !real && (vector === 8 || (vector >= 10 && vector <= 14) || vector === 17);
    if (this.mode === 'vm86') {
      this.resumeVm86(regs, sregs, hasError);
      return;
    }
    const slot = real ? 2 : 4;
    const sp = (sregs.ss.base + (real || (sregs.ss.attributes & 0x4000) === 0 ? regs.esp & 0xffff : regs.esp) + (hasError ? 4 : 0)) >>> 0;
    const frame = this.vcpu.readLinear(sp, slot);
    let ret = -1;
    if (frame.every((b) => b !== null)) ret = (frame as number[]).reduce((v, b, i) => v + b * 2 ** (8 * i), 0);
    const base = isSegmentedMode(this.mode) ? CODE : 0;
    const off = ret < 0 ? CODE_BYTES : (base + ret - CODE) >>> 0;
    regs.esp = (regs.esp + (hasError ? 4 : 0) + 3 * slot) >>> 0;
    this.resumeAt(this.nextStart(off + 1), regs, sregs);
  }

  /**
   * After a stub entered from vm86: the ring-0 stack holds [error code,] EIP,
   * CS, EFLAGS, ESP, SS, ES, DS, FS, GS as dwords (SDM vol. 3 §20.3.1.1, an
   * interrupt from virtual-8086 mode). Back to the vm86 task after the
   * interrupted instruction with that state, as the monitor's IRET would.
   */
  private resumeVm86(regs: Regs, sregs: Sregs, hasError: boolean): void {
    const frame = this.vcpu.readLinear((sregs.ss.base + regs.esp + (hasError ? 4 : 0)) >>> 0, 36);
    if (frame.some((b) => b === null) || (sregs.cs.attributes & 0x60) !== 0) {
      this.restart(); // not a ring-0 handler's frame: start over in the mode
      return;
    }
    const bytes = frame as number[];
    const dword = (i: number) => (bytes[4 * i] | (bytes[4 * i + 1] << 8) | (bytes[4 * i + 2] << 16) | (bytes[4 * i + 3] << 24)) >>> 0;
    const [eip, cs, eflags, esp, ss, es, ds, fs, gs] = Array.from({ length: 9 }, (_, i) => dword(i));
    if ((eflags & EFLAGS_VM) === 0) {
      this.restart();
      return;
    }
    const vm86Segment = (selector: number) => ({ selector: selector & 0xffff, base: (selector & 0xffff) << 4, limit: 0xffff, attributes: 0xf3 });
    const back: Sregs = {
      ...sregs, cs: vm86Segment(cs), ss: vm86Segment(ss), es: vm86Segment(es), ds: vm86Segment(ds), fs: vm86Segment(fs), gs: vm86Segment(gs),
    };
    const off = ((((cs & 0xffff) << 4) + (eip & 0xffff)) - CODE) >>> 0;
    // The segments first: resumeAt only replaces CS and SS when they differ from the mode's.
    this.vcpu.setSregs(back);
    this.resumeAt(this.nextStart(off + 1), { ...regs, esp, eflags }, back);
  }

  /** Continue at code offset `off` in the mode's code segment; a guest that left its mode starts over. */
  private resumeAt(off: number, regs: Regs, sregs: Sregs): void {
    const pe = (sregs.cr0 & 1) !== 0;
    if (pe !== (this.mode !== 'real') || (this.mode === 'paging') !== ((sregs.cr0 & 0x80000000) !== 0) ||
      (this.mode === 'vm86') !== ((regs.eflags & EFLAGS_VM) !== 0)) {
      this.restart(off);
      return;
    }
    const standard = modeSregs(this.mode, sregs, (sregs.cr4 & 0x10) !== 0);
    if (sregs.cs.selector !== standard.cs.selector || sregs.cs.base !== standard.cs.base || sregs.cs.attributes !== standard.cs.attributes) {
      // Back to the mode's code segment at CPL 0 (a far transfer or an interrupt from CPL 3 left another).
      this.vcpu.setSregs({ ...sregs, cs: standard.cs, ss: standard.ss });
    }
    this.vcpu.setRegs({ ...regs, eip: codeEip(this.mode, off) });
    this.vcpu.wake();
  }

  /** The mode's segments and control registers again, new random registers (after a triple fault). */
  restart(off = this.nextStart(this.monitor.below(CODE_BYTES - 16))): void {
    const sregs = this.vcpu.getSregs();
    this.vcpu.setSregs(modeSregs(this.mode, sregs, (sregs.cr4 & 0x10) !== 0 || this.mode !== 'paging'));
    this.vcpu.setRegs(randomRegs(this.monitor, this.mode, codeEip(this.mode, off)));
    this.vcpu.wake();
  }

  /** A fresh VM restored from this one's snapshot (JSON round trip), with a driver in the same state. */
  twin(rom: Uint8Array): Driver {
    const state = JSON.parse(JSON.stringify(this.vm.saveState()));
    const vm = new Vm({ memoryBytes: RAM_BYTES });
    vm.memory.mapRom(ROM, rom);
    vm.loadState(state);
    return new Driver(vm, this.mode, this.starts, this.monitor.clone(), emptyStats());
  }
}

/** The state a snapshot must carry, as the VMM API shows it. */
function observable(d: Driver): string {
  const v = d.vcpu;
  return JSON.stringify({
    regs: v.getRegs(), sregs: v.getSregs(), msrs: MSRS.map((m) => String(v.getMsr(m))), state: v.state, mode: v.mode(),
    instructions: v.instructions,
  });
}

function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `${a.slice(Math.max(0, i - 60), i + 60)}\n    vs ${b.slice(Math.max(0, i - 60), i + 60)}`;
}

function ramEqual(a: Vm, b: Vm): number {
  const x = a.memory.ram;
  const y = b.memory.ram;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

/** Compares a driver and its restored twin, after the restore and after both ran on. */
function checkSnapshot(d: Driver, rom: Uint8Array, chunk: number): void {
  const twin = d.twin(rom);
  const a0 = observable(d);
  const b0 = observable(twin);
  if (a0 !== b0) throw new StreamFailure('snapshot', `state changed by save/restore:\n    ${firstDifference(a0, b0)}`);
  const scratch = emptyStats();
  const live = new Driver(d.vm, d.mode, d.starts, d.monitor, scratch);
  live.drive(TWIN_INSTRUCTIONS, chunk);
  twin.drive(TWIN_INSTRUCTIONS, chunk);
  const a1 = observable(live);
  const b1 = observable(twin);
  if (a1 !== b1) throw new StreamFailure('snapshot', `the restored VM ran differently (${TWIN_INSTRUCTIONS} instructions after the restore):\n    ${firstDifference(a1, b1)}`);
  const at = ramEqual(live.vm, twin.vm);
  if (at >= 0) throw new StreamFailure('snapshot', `the restored VM wrote memory differently (first at physical ${at.toString(16)}h)`);
  d.stats.instructions += scratch.instructions;
}

export interface StreamOptions {
  mode: FuzzMode;
  seed: number;
  stream: number;
  instructions: number;
  /** Instructions per run call (1 when shrinking). */
  chunk?: number;
  beforeRun?: BeforeRun;
  /** Harness self-test only: never return from the hook before run call number `hangAtRun` (the watchdog must notice). */
  hangAtRun?: number;
}

/** Sets a stream up: its VM, code, registers and driver. */
function setUp(o: StreamOptions, stats: StreamStats): { driver: Driver; rom: Uint8Array } {
  const r = new Rng(streamSeed(o.seed, o.mode, o.stream));
  const { code, starts } = streamCode(r, o.mode === 'pm32' || o.mode === 'paging');
  const rom = buildRom(r);
  const cr4Pse = r.chance(0.8);
  const vm = newFuzzVm(o.mode, rom, code, cr4Pse);
  const driver = new Driver(vm, o.mode, starts, new Rng(r.next32()), stats);
  driver.vcpu.setRegs(randomRegs(r, o.mode, codeEip(o.mode, 0)));
  // Random MSRs too, so the snapshot round trip has something to keep.
  const patType = () => BigInt(r.pick([0, 1, 4, 5, 6, 7]));
  let pat = 0n;
  for (let i = 0; i < 8; i++) pat |= patType() << BigInt(8 * i);
  const msrs: [number, bigint][] = [[0x174, BigInt(r.next32())], [0x175, BigInt(r.next32())], [0x176, BigInt(r.next32())],
    [0x277, pat], [0x10, BigInt(r.next32()) * 256n], [0xc1, BigInt(r.next32())], [0xc2, BigInt(r.next32())],
    [0x186, BigInt((r.next32() & ~0x00600000) >>> 0)], [0x187, BigInt((r.next32() & ~0x00600000) >>> 0)]];
  for (const [msr, value] of msrs) {
    if (!driver.vcpu.setMsr(msr, value)) throw new Error(`setMsr(${msr.toString(16)}h, ${value}) refused`);
  }
  return { driver, rom };
}

/** Runs one stream; the crash, if any, is returned (not thrown). */
export function runStream(o: StreamOptions, stats: StreamStats): Crash | null {
  const chunk = o.chunk ?? CHUNK;
  if (o.hangAtRun !== undefined) {
    let calls = 0;
    const hook = o.beforeRun;
    const hangAt = o.hangAtRun;
    o = { ...o, beforeRun: (vm, budget) => {
      hook?.(vm, budget);
      if (++calls >= hangAt) for (;;) { /* the injected hang */ }
    } };
  }
  try {
    const { driver, rom } = setUp(o, stats);
    const half = Math.floor(o.instructions / 2);
    driver.drive(half, chunk, o.beforeRun);
    if (o.instructions >= 2 * TWIN_INSTRUCTIONS) {
      checkSnapshot(driver, rom, chunk);
      stats.snapshots++;
    }
    driver.drive(Math.max(0, o.instructions - half - (stats.snapshots > 0 ? TWIN_INSTRUCTIONS : 0)), chunk, o.beforeRun);
    return null;
  } catch (e) {
    if (e instanceof StreamFailure) return { kind: e.kind, message: e.message, mode: o.mode, seed: o.seed, stream: o.stream };
    return { kind: 'exception', message: `in the fuzzer itself: ${e instanceof Error ? e.stack : String(e)}`, mode: o.mode, seed: o.seed, stream: o.stream };
  }
}

/**
 * Shrinks a crashed stream to one instruction: replays it one instruction
 * per run call, keeping the state before each; the state before the call
 * that crashes, and the bytes at CS:EIP, are the reproducer, verified by
 * running that one instruction from that state in a fresh VM of the mode.
 * `onStep` sees each state first (a hang is shrunk by the watchdog from them).
 */
export function shrinkStream(o: StreamOptions, onStep?: (r: Reproducer) => void): Crash | null {
  let last: Reproducer | null = null;
  const crash = runStream({ ...o, chunk: 1, beforeRun: (vm) => {
    const v = vm.vcpus[0];
    const regs = v.getRegs();
    const sregs = v.getSregs();
    const bytes = v.readLinear((sregs.cs.base + regs.eip) >>> 0, 15).map((b) => b ?? 0);
    last = { regs, sregs, bytes, verified: false };
    onStep?.(last);
  } }, emptyStats());
  if (!crash || !last) return crash;
  const rep: Reproducer = last;
  rep.verified = replayOne(o.mode, rep)?.kind === crash.kind;
  return { ...crash, reproducer: rep };
}

/** Runs the reproducer's one instruction in a fresh VM of `mode` (bytes at CS:EIP when that is RAM). */
export function replayOne(mode: FuzzMode, rep: Reproducer): { kind: CrashKind; message: string } | null {
  try {
    const r = new Rng(1);
    const rom = buildRom(r);
    const vm = newFuzzVm(mode, rom, new Uint8Array(CODE_BYTES), true);
    const v = vm.vcpus[0];
    v.setSregs(rep.sregs);
    v.setRegs(rep.regs);
    const linear = (rep.sregs.cs.base + rep.regs.eip) >>> 0;
    // The fuzz VMs map 0-4 MiB identically and alias it at 4 MiB and 1 GiB (./machine.ts).
    vm.memory.writePhysical(linear < RAM_BYTES ? linear : linear & 0x3fffff, Uint8Array.from(rep.bytes));
    const stats = emptyStats();
    const d = new Driver(vm, mode, new Uint8Array(CODE_BYTES).fill(1), new Rng(2), stats);
    d.drive(1, 1);
    return null;
  } catch (e) {
    if (e instanceof StreamFailure) return { kind: e.kind, message: e.message };
    return { kind: 'exception', message: String(e) };
  }
}
