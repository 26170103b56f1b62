// The debug runtime: one guest machine driven for a debugger, knowing
// nothing of DAP (the adapter maps requests onto it). It runs the guest in
// slices on the Node event loop so requests are answered while the guest
// runs, and implements continue, pause, instruction steps (into, over, out),
// source-line steps through an injected line lookup, breakpoints with
// conditions / hit counts / log messages, exception filters, watchpoints,
// restart (cold) and terminate. It reports through a RuntimeListener.

import * as fs from 'node:fs';
import { DebugCause, GuestDebugConfig, PortRange, Watchpoint } from '../vmm/debug';
import { CpuMode, Regs, Sregs, translateLinear } from '../vmm/inspect';
import { MachineEvent, PcMachine } from '../vmm/pc';
import type { Vcpu } from '../vmm/vcpu';
import { Breakpoint, BreakpointRequest, BreakpointTable, DataBreakpoint, DataBreakpointRequest, HitRules } from './breakpoints';
import { isExpressionError, parseHitCondition } from './expression';
import { Bitness, decodeOne, DecodedInstruction } from './disassembler';
import { describeCause, haltedReport, StopReport } from './stopReasons';
import { LaunchSpec, OpenedImages, openImages, OutputTarget, persistImages } from './launchConfig';

export type { StopReport };

/** Instructions per slice between returns to the event loop (a few ms of guest time). */
export const SLICE_INSTRUCTIONS = 200_000;
/** Instruction steps per turn of the event loop while a step-out or line step walks. */
const STEPS_PER_TURN = 2_000;

export type OutputChannel = 'serial' | 'debugcon' | 'firmware' | 'log';

export interface RuntimeListener {
  stopped(report: StopReport): void;
  output(channel: OutputChannel, text: string): void;
  exited(status: number): void;
  terminated(): void;
}

/** Where an address's source line is, for line stepping (undefined: no symbols there). */
export type LineLookup = (linear: number) => { path: string; line: number } | undefined;

/** Evaluates a breakpoint condition or a log message expression in the stopped machine. */
export interface ExpressionHost {
  /** True when the condition holds; throws with a message when it cannot be evaluated. */
  condition(expression: string): boolean;
  /** The text a `{expression}` in a log message stands for. */
  interpolate(expression: string): string;
}

export interface ExceptionFilters {
  exceptions: number[];
  softwareInterrupts: number[];
  ioPorts: PortRange[];
  modeChanges: boolean;
  magicBreakpoint: boolean;
  tripleFault: boolean;
}

export type RunState = 'stopped' | 'running' | 'ended';

type Outcome =
  | { kind: 'stop'; report: StopReport }
  | { kind: 'exit'; status: number }
  | { kind: 'aborted' }
  /** A step primitive finished normally (no stop of its own). */
  | { kind: 'done' };

interface TempStop {
  linear: number;
  /** Stop only with the stack at or above this linear address (the frame has returned). */
  minStack: number;
  /** The vCPU that must reach it (a step runs that vCPU only; the entry stop waits for the BSP). */
  vcpu: number;
}

const DONE: Outcome = { kind: 'done' };

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Breakpoint hits that go on (condition false, log point) between two turns of the event loop. */
const CONTINUES_PER_TURN = 256;

function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

class OutputSink {
  private fd: number | null = null;
  private pending = '';
  constructor(
    private readonly target: OutputTarget,
    private readonly channel: OutputChannel,
    private readonly listener: RuntimeListener,
  ) {
    if (target.kind === 'file') this.fd = fs.openSync(target.path, 'w');
  }
  byte(b: number): void {
    this.pending += String.fromCharCode(b);
    if (this.fd !== null) fs.writeSync(this.fd, Uint8Array.of(b));
  }
  flush(): void {
    if (this.pending === '') return;
    const text = this.pending;
    this.pending = '';
    this.listener.output(this.channel, text);
  }
  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }
  get wantsConsole(): boolean {
    return this.target.kind !== 'none';
  }
}

export class VmexitRuntime {
  private machineOrNull: PcMachine | null = null;
  private images: OpenedImages | null = null;
  private serial: OutputSink;
  private debugcon: OutputSink;
  readonly breakpoints = new BreakpointTable();
  private dataBreakpoints: DataBreakpoint[] = [];
  private filters: ExceptionFilters = {
    exceptions: [],
    softwareInterrupts: [],
    ioPorts: [],
    modeChanges: false,
    magicBreakpoint: true,
    tripleFault: true,
  };
  private temp: TempStop | null = null;
  private stateValue: RunState = 'stopped';
  private pauseRequested = false;
  /** Bumped by restart/terminate: a running activity of an older generation gives up. */
  private generation = 0;
  /** Set when the machine can no longer run (triple fault, internal error): the reason, for continue/step. */
  private deadReason: string | null = null;
  /** Stepping lets hardware interrupts in (off: masked while stepping). */
  stepInterrupts: boolean;
  lineLookup: LineLookup = () => undefined;
  expressions: ExpressionHost | null = null;
  /** Wall-clock ms from launch() to the first stop (a figure for the bench). */
  launchToFirstStopMs: number | null = null;
  private launchStarted = 0;
  private lastStopValue: StopReport | null = null;
  /**
   * The vCPU (thread) requests look at: registers, memory translation,
   * evaluation, stepping. The adapter sets it from the request's thread or
   * frame; a stop sets it to the vCPU that stopped.
   */
  focus = 0;

  /** Why the guest last stopped (null before the first stop). */
  get lastStop(): StopReport | null {
    return this.lastStopValue;
  }

  constructor(
    readonly spec: LaunchSpec,
    private readonly listener: RuntimeListener,
  ) {
    this.stepInterrupts = spec.stepInterrupts;
    this.serial = new OutputSink(spec.serial, 'serial', listener);
    this.debugcon = new OutputSink(spec.debugcon, 'debugcon', listener);
  }

  get machine(): PcMachine {
    if (!this.machineOrNull) throw new Error('the machine has not been started');
    return this.machineOrNull;
  }

  get state(): RunState {
    return this.stateValue;
  }

  /** Build the machine (images read now; errors are LaunchErrors). Does not run it. */
  create(): void {
    this.images = openImages(this.spec);
    const images = this.images;
    this.machineOrNull = new PcMachine({
      memoryBytes: this.spec.memoryBytes,
      bios: images.bios,
      floppy: images.floppy,
      hardDisk: images.hardDisk,
      boot: images.boot,
      kernel: images.kernel,
      cdrom: images.cdrom,
      cpus: this.spec.cpus,
      onSerialOutput: (b) => this.serial.byte(b),
      onDebugconOutput: (b) => this.debugcon.byte(b),
      onFirmwareMessage: (text) => this.listener.output('firmware', `${text}\n`),
    });
    this.deadReason = null;
    this.stateValue = 'stopped';
    this.focus = 0;
    this.arm();
  }

  /** Start after configurationDone: stop at the entry the spec asks for, or run. */
  start(): void {
    this.launchStarted = performance.now();
    const entry = this.spec.stopOnEntry;
    if (entry === 'reset') {
      this.report({ reason: 'entry', description: 'Stopped at the reset vector' });
      return;
    }
    if (entry === 'bootsector') {
      this.activity(() => this.runFree({ linear: 0x7c00, minStack: 0, vcpu: 0 }, { reason: 'entry', description: 'Stopped at the boot sector (0000:7C00)' }));
      return;
    }
    this.activity(() => this.runFree(null));
  }

  // ---- Configuration -------------------------------------------------------

  setBreakpoints(group: string, requests: readonly BreakpointRequest[]): Breakpoint[] {
    const made = this.breakpoints.replace(group, requests);
    this.arm();
    return made;
  }

  /** Replace the data breakpoints; one that stays as it was (place, access, condition, hit condition) keeps its id and hit count. */
  setDataBreakpoints(requests: readonly DataBreakpointRequest[]): DataBreakpoint[] {
    const old = this.dataBreakpoints;
    const same = (a: Watchpoint, b: Watchpoint): boolean => a.address === b.address && a.length === b.length && a.access === b.access && !a.physical === !b.physical;
    this.dataBreakpoints = requests.map((r) => {
      const kept = old.find((o) => same(o.watch, r.watch) && o.condition === r.condition && o.hitCondition === r.hitCondition);
      return { ...r, id: kept?.id ?? this.breakpoints.allocateId(), hits: kept?.hits ?? 0 };
    });
    this.arm();
    return this.dataBreakpoints;
  }

  setExceptionFilters(filters: ExceptionFilters): void {
    this.filters = filters;
    this.arm();
  }

  private debugConfig(): GuestDebugConfig {
    const bps = this.breakpoints.addresses('linear');
    if (this.temp && !bps.includes(this.temp.linear)) bps.push(this.temp.linear);
    return {
      breakpoints: bps,
      physicalBreakpoints: this.breakpoints.addresses('physical'),
      watchpoints: this.dataBreakpoints.map((d) => d.watch),
      exceptions: this.filters.exceptions,
      softwareInterrupts: this.filters.softwareInterrupts,
      ioPorts: this.filters.ioPorts,
      modeChanges: this.filters.modeChanges,
      magicBreakpoint: this.filters.magicBreakpoint,
      tripleFault: this.filters.tripleFault,
    };
  }

  /**
   * Arm every vCPU (breakpoints hit on any of them). Watchpoints and I/O
   * intercepts belong to the VM: the focused vCPU is armed last, so linear
   * watchpoints are in its address space (translated again whenever it
   * changes its translation).
   */
  private arm(): void {
    if (!this.machineOrNull) return;
    const vcpus = this.machineOrNull.vm.vcpus;
    const config = this.debugConfig();
    for (const vcpu of [...vcpus.filter((v) => v.index !== this.focus), vcpus[this.focus]]) vcpu.setGuestDebug(config);
  }

  /** The focused vCPU. */
  get vcpu(): Vcpu {
    return this.machine.vm.vcpus[this.focus];
  }

  /** Focus vCPU `index` (a thread's requests). */
  focusOn(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.machine.vm.vcpus.length) {
      throw new Error(`no vCPU ${index} (this machine has ${this.machine.vm.vcpus.length})`);
    }
    this.focus = index;
  }

  // ---- Machine state helpers -------------------------------------------------

  regs(): Regs {
    return this.vcpu.getRegs();
  }

  sregs(): Sregs {
    return this.vcpu.getSregs();
  }

  mode(): CpuMode {
    return this.vcpu.mode();
  }

  /** Real, big real or vm86 mode: a segment value times 16 is its base (no descriptors). */
  realAddressing(): boolean {
    const mode = this.mode();
    return mode === 'real' || mode === 'big-real' || mode === 'vm86';
  }

  /** Bitness of the code at CS (the D bit, or L in long mode). */
  codeBitness(): Bitness {
    const s = this.sregs();
    if (this.mode() === 'long' && s.cs.attributes & (1 << 13)) return 64;
    if (this.realAddressing()) return 16;
    return s.cs.attributes & (1 << 14) ? 32 : 16;
  }

  /** CR0.PG: linear and physical addresses differ. */
  pagingOn(): boolean {
    return (this.sregs().cr0 & 0x80000000) !== 0;
  }

  /** Linear address of CS:EIP. */
  pc(): number {
    return (this.sregs().cs.base + this.regs().eip) >>> 0;
  }

  /** Linear address of SS:ESP (SP in a 16-bit stack segment). */
  stackLinear(): number {
    const s = this.sregs();
    const esp = s.ss.attributes & (1 << 14) ? this.regs().esp : this.regs().esp & 0xffff;
    return (s.ss.base + esp) >>> 0;
  }

  readLinear(linear: number, length: number): (number | null)[] {
    return this.vcpu.readLinear(linear >>> 0, length);
  }

  readPhysical(address: number, length: number): (number | null)[] {
    return this.machine.vm.memory.readPhysical(address, length);
  }

  /** Write guest memory at a linear address; returns how many bytes landed in RAM (from the start). */
  writeLinear(linear: number, data: Uint8Array): number {
    for (let i = 0; i < data.length; i++) {
      const p = translateLinear(this.vcpu, (linear + i) | 0);
      if (p === null || !this.machine.vm.memory.writePhysical(p, data.subarray(i, i + 1))) return i;
    }
    return data.length;
  }

  writePhysical(address: number, data: Uint8Array): number {
    for (let i = 0; i < data.length; i++) {
      if (!this.machine.vm.memory.writePhysical(address + i, data.subarray(i, i + 1))) return i;
    }
    return data.length;
  }

  /** The 8 bytes of the GDT/LDT descriptor a selector names, or undefined (null selector, beyond the limit, unreadable). */
  private descriptor(selector: number): number[] | undefined {
    const s = this.sregs();
    const table = selector & 4 ? s.ldtr : s.gdtr;
    const index = selector & 0xfff8;
    if ((selector & 4) === 0 && index === 0) return undefined;
    if (index + 7 > table.limit) return undefined;
    const b = this.readLinear((table.base + index) >>> 0, 8);
    return b.some((x) => x === null) ? undefined : (b as number[]);
  }

  /** The base of the GDT/LDT descriptor a selector names, or undefined. */
  descriptorBase(selector: number): number | undefined {
    const d = this.descriptor(selector);
    return d && (d[2] | (d[3] << 8) | (d[4] << 16) | (d[7] << 24)) >>> 0;
  }

  /** The code size of the code segment a selector names (its L and D bits), or undefined when it names no code segment. */
  descriptorBitness(selector: number): Bitness | undefined {
    const d = this.descriptor(selector);
    // A code segment: S set (bit 4) and the executable type bit (bit 3) of the access byte (SDM 3.4.5).
    if (!d || (d[5] & 0x18) !== 0x18) return undefined;
    return d[6] & 0x20 ? 64 : d[6] & 0x40 ? 32 : 16;
  }

  currentInstruction(): DecodedInstruction {
    return decodeOne((l, n) => this.readLinear(l, n), this.pc(), this.regs().eip, this.codeBitness());
  }

  // ---- Execution control -----------------------------------------------------

  private checkCanRun(): void {
    if (this.stateValue === 'ended') throw new Error('the guest has ended; restart to run it again');
    if (this.stateValue === 'running') throw new Error('the guest is running; pause it first');
    if (this.deadReason) throw new Error(`${this.deadReason}; restart to run again`);
  }

  continue(): void {
    this.checkCanRun();
    this.activity(async () => {
      const off = await this.leaveBreakpoint();
      if (off.kind !== 'done') return off;
      return this.runFree(null);
    });
  }

  /** Ask a running guest to stop; it stops at the end of the current slice. */
  pause(): void {
    if (this.stateValue !== 'running') return;
    this.pauseRequested = true;
  }

  /** One instruction, entering calls and interrupts. */
  stepIn(granularity: 'instruction' | 'line'): void {
    this.checkCanRun();
    this.activity(() => (granularity === 'line' && this.here() ? this.lineStep(true) : this.finishStep(this.stepInstruction())));
  }

  /** One instruction, or a whole call / INT n / REP string / LOOP. */
  next(granularity: 'instruction' | 'line'): void {
    this.checkCanRun();
    this.activity(async () => (granularity === 'line' && this.here() ? this.lineStep(false) : this.finishStep(await this.stepOver())));
  }

  /** Run until the current frame returns (a RET/IRET with the stack at or above where it is now). */
  stepOut(): void {
    this.checkCanRun();
    this.activity(() => this.stepOutWalk());
  }

  /** Cold restart: a fresh machine with the same configuration; breakpoints and filters kept. */
  restart(): void {
    this.generation++;
    this.pauseRequested = false;
    this.temp = null;
    this.flushOutput();
    this.breakpoints.resetHitCounts();
    for (const d of this.dataBreakpoints) d.hits = 0;
    this.create();
    this.start();
  }

  /** Stop for good (terminate/disconnect): persist disk writes if asked, close outputs. */
  terminate(): void {
    if (this.stateValue === 'ended' && this.machineOrNull === null) return;
    this.generation++;
    this.flushOutput();
    if (this.spec.persist && this.images) persistImages(this.images);
    this.serial.close();
    this.debugcon.close();
    this.stateValue = 'ended';
  }

  private here(): { path: string; line: number } | undefined {
    return this.lineLookup(this.pc());
  }

  private finishStep(o: Outcome): Outcome {
    return o.kind === 'done' ? { kind: 'stop', report: { reason: 'step', description: 'Step' } } : o;
  }

  /** Run an activity (a run or a step) to its outcome and report it. */
  private activity(body: () => Promise<Outcome> | Outcome): void {
    const gen = this.generation;
    this.stateValue = 'running';
    this.pauseRequested = false;
    const settle = (o: Outcome): void => {
      if (gen !== this.generation) return;
      this.temp = null;
      this.arm();
      this.flushOutput();
      this.pauseRequested = false;
      switch (o.kind) {
        case 'aborted':
          return;
        case 'done':
          this.report({ reason: 'step', description: 'Step' });
          return;
        case 'stop':
          this.report(o.report);
          return;
        case 'exit':
          this.stateValue = 'ended';
          this.listener.exited(o.status);
          this.terminate();
          this.listener.terminated();
          return;
      }
    };
    Promise.resolve()
      .then(body)
      .then(settle, (e: unknown) => settle({ kind: 'stop', report: { reason: 'exception', description: 'Debugger error', text: String(e) } }));
  }

  private report(report: StopReport): void {
    this.stateValue = 'stopped';
    report.vcpu ??= this.focus;
    this.lastStopValue = report;
    if (this.launchToFirstStopMs === null) this.launchToFirstStopMs = performance.now() - this.launchStarted;
    this.listener.stopped(report);
  }

  private flushOutput(): void {
    this.serial.flush();
    this.debugcon.flush();
  }

  /** If a breakpoint sits at the current instruction, execute that instruction first (so continue moves on). */
  private async leaveBreakpoint(): Promise<Outcome> {
    const pc = this.pc();
    if (!this.breakpoints.has(pc, translateLinear(this.vcpu, pc))) return DONE;
    return this.stepInstruction();
  }

  /**
   * Run free in slices until something stops the guest. With `temp`, also
   * stop at that address once the stack is at or above `minStack`. With
   * `only`, just that vCPU runs (a step over a call: the other vCPUs stay
   * stopped while a thread steps, as QEMU's gdbstub does by default).
   */
  private async runFree(temp: TempStop | null, tempReport?: StopReport, only?: number): Promise<Outcome> {
    const gen = this.generation;
    this.temp = temp;
    this.arm();
    // Stops that go on at once (a condition that fails, a log point) can come every few
    // instructions in a loop: give the event loop a turn every so many, as a full slice does,
    // so requests (pause, threads) are still answered.
    let goneOn = 0;
    for (;;) {
      if (gen !== this.generation) return { kind: 'aborted' };
      if (this.pauseRequested) {
        this.focus = only ?? this.machine.vm.running.index;
        return { kind: 'stop', report: { reason: 'pause', description: 'Paused' } };
      }
      const event = this.machine.run(SLICE_INSTRUCTIONS, only);
      this.flushOutput();
      const outcome = this.handleEvent(event, temp, tempReport);
      if (outcome === 'budget') await turn();
      else if (outcome === 'idle') await sleep(5);
      else if (outcome === 'continue') {
        if (++goneOn % CONTINUES_PER_TURN === 0) await turn();
      } else return outcome;
    }
  }

  private handleEvent(event: MachineEvent, temp: TempStop | null, tempReport?: StopReport): Outcome | 'budget' | 'idle' | 'continue' {
    // The vCPU an event happened on is the one to show (and to evaluate breakpoint conditions on).
    if ('vcpu' in event) this.focus = event.vcpu;
    switch (event.kind) {
      case 'budget':
        return 'budget';
      case 'idle':
        return 'idle';
      case 'stop':
        return { kind: 'stop', report: { reason: 'pause', description: 'Paused' } };
      case 'exit':
        return { kind: 'exit', status: event.status };
      case 'halted':
        return { kind: 'stop', report: haltedReport(event.where, null) };
      case 'unwakeable':
        return { kind: 'stop', report: haltedReport(event.where, event.why) };
      case 'shutdown':
        this.deadReason = `the CPU shut down (${event.reason})`;
        return {
          kind: 'stop',
          report: {
            reason: 'exception',
            description: `Triple fault at ${event.where}: the CPU shut down`,
            text: 'Triple fault (shutdown). The state shown is the one before the instruction whose fault could not be delivered.',
            exception: {
              id: 'triple fault',
              description: `Triple fault at ${event.where}: a fault while delivering a double fault; the CPU shut down (${event.reason})`,
              breakMode: 'unhandled',
              details: 'The state shown is the one before the instruction whose fault could not be delivered. Restart to run again.',
            },
          },
        };
      case 'internal-error':
        this.deadReason = `vmexit cannot run the guest on (${event.message})`;
        return {
          kind: 'stop',
          report: {
            reason: 'exception',
            description: `Not implemented: ${event.message}`,
            exception: { id: 'internal error', description: `vmexit does not implement this: ${event.message}`, breakMode: 'unhandled' },
            text: `${event.message} at ${event.cs.toString(16).padStart(4, '0')}:${event.eip.toString(16)} (linear 0x${event.linear.toString(16)}), bytes ${event.bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ')}`,
          },
        };
      case 'debug': {
        const cause = event.cause;
        if (cause.kind === 'breakpoint') {
          if (temp && cause.linear === temp.linear && event.vcpu === temp.vcpu && this.stackLinear() >= temp.minStack) {
            return tempReport ? { kind: 'stop', report: tempReport } : DONE;
          }
          const user = this.breakpoints.at(cause.linear, translateLinear(this.vcpu, cause.linear));
          if (user.length === 0) return 'continue'; // the temporary breakpoint, inside a deeper frame
          return this.userBreakpointHit(user) ?? 'continue';
        }
        if (cause.kind === 'watchpoint') return this.dataBreakpointHit(cause);
        return { kind: 'stop', report: describeCause(cause) };
      }
    }
  }

  /** Conditions, hit counts and log messages of the breakpoints at one address: a stop, or null to go on. */
  private userBreakpointHit(list: readonly Breakpoint[]): Outcome | null {
    const hitIds: number[] = [];
    let conditionError: string | null = null;
    for (const b of list) {
      const verdict = this.checkHit(b);
      if (verdict === 'go on') continue;
      if (verdict !== 'stop') conditionError = verdict.error;
      hitIds.push(b.id);
    }
    if (hitIds.length === 0) return null;
    return {
      kind: 'stop',
      report: { reason: 'breakpoint', description: conditionError ? 'Breakpoint (condition error)' : 'Breakpoint', text: conditionError ?? undefined, hitBreakpointIds: hitIds },
    };
  }

  /**
   * One hit of a breakpoint or data breakpoint: its condition, then its hit
   * count (counted only when the condition holds), then its log message
   * (printed, and the guest goes on). A condition that cannot be evaluated
   * stops, saying why.
   */
  private checkHit(b: HitRules): 'stop' | 'go on' | { error: string } {
    if (b.condition && b.condition.trim() !== '') {
      try {
        if (!this.expressions) throw new Error('no expression evaluator');
        if (!this.expressions.condition(b.condition)) return 'go on';
      } catch (e) {
        return { error: `Breakpoint condition '${b.condition}' could not be evaluated: ${e instanceof Error ? e.message : String(e)}` };
      }
    }
    b.hits++;
    if (b.hitCondition && b.hitCondition.trim() !== '') {
      const hit = parseHitCondition(b.hitCondition);
      if (isExpressionError(hit)) return { error: hit.error };
      if (!hit(b.hits)) return 'go on';
    }
    if (b.logMessage !== undefined && b.logMessage !== '') {
      this.listener.output('log', `${this.interpolate(b.logMessage)}\n`);
      return 'go on';
    }
    return 'stop';
  }

  /** A data breakpoint fired: its condition and hit count decide; the stop tells the access. */
  private dataBreakpointHit(cause: Extract<DebugCause, { kind: 'watchpoint' }>): Outcome | 'continue' {
    const data = this.dataBreakpoints.find((d) => d.watch === cause.watch);
    const report = describeCause(cause);
    if (!data) return { kind: 'stop', report };
    const verdict = this.checkHit(data);
    if (verdict === 'go on') return 'continue';
    if (verdict !== 'stop') report.text = `${verdict.error}\n${report.text ?? ''}`;
    return { kind: 'stop', report: { ...report, hitBreakpointIds: [data.id] } };
  }

  private interpolate(message: string): string {
    return message.replace(/\{([^{}]+)\}/g, (_, expr: string) => {
      try {
        return this.expressions ? this.expressions.interpolate(expr) : `{${expr}}`;
      } catch (e) {
        return `<${e instanceof Error ? e.message : String(e)}>`;
      }
    });
  }

  /** Execute exactly one instruction (the board answers unclaimed I/O and reports the guest's exit status). */
  private stepInstruction(): Outcome {
    const event = this.machine.step({ interrupts: this.stepInterrupts }, this.focus);
    switch (event.kind) {
      case 'debug':
        if (event.cause.kind === 'single-step' || event.cause.kind === 'breakpoint') return DONE;
        return { kind: 'stop', report: describeCause(event.cause) };
      case 'idle':
        if (this.vcpu.state === 'waiting-for-sipi') {
          return { kind: 'stop', report: { reason: 'step', description: 'Waiting for SIPI', text: 'This AP has not been started: it runs once another vCPU sends it INIT and a Start-up IPI' } };
        }
        return { kind: 'stop', report: { reason: 'step', description: 'Halted (HLT)', text: 'The CPU is halted: continue to let an interrupt wake it' } };
      case 'budget':
        return DONE;
      default: {
        const outcome = this.handleEvent(event, null);
        return typeof outcome === 'string' ? DONE : outcome;
      }
    }
  }

  /** Run the current instruction as a whole (a call, an INT n, a REP string, a LOOP, a HLT) to the next one. */
  private runToNext(ins: DecodedInstruction): Promise<Outcome> {
    return this.runFree({ linear: (ins.linear + ins.length) >>> 0, minStack: this.stackLinear(), vcpu: this.focus }, undefined, this.focus);
  }

  private stepOver(): Promise<Outcome> | Outcome {
    const ins = this.currentInstruction();
    const wholeStep =
      ins.stepClass === 'call' || ins.stepClass === 'int' || ins.stepClass === 'rep' || ins.stepClass === 'loop' || ins.stepClass === 'hlt';
    return wholeStep ? this.runToNext(ins) : this.stepInstruction();
  }

  /** Steps until the source line changes (stepping into calls with `into`, over them otherwise). */
  private async lineStep(into: boolean): Promise<Outcome> {
    const gen = this.generation;
    const start = this.here();
    for (let n = 0; ; n++) {
      if (gen !== this.generation) return { kind: 'aborted' };
      if (this.pauseRequested) return { kind: 'stop', report: { reason: 'pause', description: 'Paused' } };
      const o = into ? this.stepInstruction() : await this.stepOver();
      if (o.kind !== 'done') return o;
      const now = this.here();
      // Into code without symbols (a BIOS service, a handler): stop there, shown as disassembly.
      if (!now) return into ? this.finishStep(o) : this.lineStepOutOfSymbols();
      if (!start || now.line !== start.line || now.path !== start.path) return this.finishStep(o);
      if (n % STEPS_PER_TURN === STEPS_PER_TURN - 1) await turn();
    }
  }

  /** `next` left the symbols (a jump into code without lines): stop at the first instruction there. */
  private lineStepOutOfSymbols(): Outcome {
    return { kind: 'stop', report: { reason: 'step', description: 'Step (no source here)' } };
  }

  private async stepOutWalk(): Promise<Outcome> {
    const gen = this.generation;
    const frame = this.stackLinear();
    for (let n = 0; ; n++) {
      if (gen !== this.generation) return { kind: 'aborted' };
      if (this.pauseRequested) return { kind: 'stop', report: { reason: 'pause', description: 'Paused' } };
      const ins = this.currentInstruction();
      const returning = ins.stepClass === 'return' && this.stackLinear() >= frame;
      const o = returning ? this.stepInstruction() : await this.stepOver();
      if (o.kind !== 'done') return o;
      if (returning) return { kind: 'stop', report: { reason: 'step', description: 'Step out' } };
      if (n % STEPS_PER_TURN === STEPS_PER_TURN - 1) await turn();
    }
  }
}


