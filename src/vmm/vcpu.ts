// A virtual CPU: KVM's vCPU file descriptor. Registers in and out, and
// `run(budget)`, which executes guest code until something needs the monitor.

import { Cpu, StopReason } from '../cpu/cpu';
import { readMsr, writeMsr } from '../cpu/ops/system';
import { buildOpTable } from '../cpu/ops/table';
import { ATTR_REAL_CODE, CpuMode, CpuState, FpuState, IF, Regs, Sregs } from '../cpu/state';
import { NS_PER_INSTRUCTION } from '../devices/clock';
import { LocalApic } from '../devices/lapic';
import { CpuDebugEvent } from '../cpu/debug';
import { CS } from '../cpu/state';
import { DebugCause, GuestDebugConfig, NO_GUEST_DEBUG } from './debug';
import { Exit } from './exit';
import type { PhysicalWatch, WatchHit } from './guestMemory';
import type { Vm } from './vm';
import { nothingWakes } from './wakeSources';

/**
 * A vCPU's run state, as a debugger shows it: running (or runnable), halted
 * by HLT until an interrupt, or an application processor waiting for a
 * Start-up IPI (after power-on or an INIT, SDM vol. 3 §9.4).
 */
export type VcpuState = 'running' | 'halted' | 'waiting-for-sipi';

/** IA32_APIC_BASE.BSP and .EN. */
const APIC_BASE_BSP = 0x100;
const APIC_BASE_ENABLE = 0x800;

/** The opcode table is immutable and shared by every vCPU. */
let sharedOps: ReturnType<typeof buildOpTable> | null = null;

export class Vcpu {
  readonly cpu: Cpu;
  /** This vCPU's local APIC: its interrupt controller (the CPU's INTA goes to it). */
  readonly lapic: LocalApic;
  /** Exits taken, by kind: a figure of merit (fewer is faster). */
  readonly exitCounts = new Map<Exit['kind'], number>();
  /** An application processor that has not been started (or was INITed): it runs nothing until a Start-up IPI. */
  waitingForSipi: boolean;

  constructor(
    private readonly vm: Vm,
    readonly index: number,
  ) {
    // The APIC's pins reach the CPU created just below; they are used only once both exist.
    this.lapic = new LocalApic(
      index,
      vm.clock,
      vm.apicBus,
      {
        setIntr: (level) => this.cpu.setIntr(level),
        nmi: () => {
          if (!this.waitingForSipi) this.cpu.raiseNmi();
        },
        init: () => this.init(),
        startup: (vector) => this.startup(vector),
      },
      vm.pic,
      () => (this.cpu.apicBase & APIC_BASE_ENABLE) !== 0,
    );
    this.cpu = new Cpu(vm.memory, vm.ports, this.lapic);
    sharedOps ??= buildOpTable();
    this.cpu.ops = sharedOps;
    this.cpu.apicId = index;
    // vCPU 0 is the bootstrap processor; the others are APs and wait for a SIPI from power-on.
    if (index !== 0) this.cpu.apicBase &= ~APIC_BASE_BSP;
    this.cpu.onApicBaseChange = () => this.lapic.hardwareEnableChanged();
    this.waitingForSipi = !this.isBsp;
  }

  get isBsp(): boolean {
    return (this.cpu.apicBase & APIC_BASE_BSP) !== 0;
  }

  /** Power-on reset (the local APIC is a device of the VM and resets with them). */
  reset(): void {
    this.cpu.reset();
    this.waitingForSipi = !this.isBsp;
  }

  /**
   * An INIT IPI (SDM vol. 3 §9.4.1): the local APIC and the CPU reset (MSRs
   * kept); the BSP then starts at the reset vector, an AP waits for a SIPI.
   */
  private init(): void {
    this.lapic.init();
    this.cpu.init();
    this.waitingForSipi = !this.isBsp;
  }

  /**
   * A Start-up IPI: an AP waiting for one starts in real mode at
   * vector * 1000h (CS = vector << 8, IP = 0). A SIPI to a processor not
   * waiting for one is ignored (SDM vol. 3 §11.6.1).
   */
  private startup(vector: number): void {
    if (!this.waitingForSipi) return;
    this.waitingForSipi = false;
    this.cpu.loadSegmentCache(CS, vector << 8, vector << 12, 0xffff, ATTR_REAL_CODE);
    this.cpu.eip = 0;
    this.cpu.halted = false;
  }

  /** Can run now: started, and not halted (or halted with an interrupt or NMI that wakes it). */
  get runnable(): boolean {
    const cpu = this.cpu;
    if (this.waitingForSipi) return false;
    if (!cpu.halted) return true;
    return (cpu.nmiPending && !cpu.nmiBlocked) || (cpu.intr && (cpu.flags & IF) !== 0);
  }

  getRegs(): Regs {
    return this.cpu.getRegs();
  }

  setRegs(regs: Regs): void {
    this.cpu.setRegs(regs);
  }

  getSregs(): Sregs {
    return this.cpu.getSregs();
  }

  setSregs(sregs: Sregs): void {
    this.cpu.setSregs(sregs);
  }

  /** A model-specific register (as RDMSR would read it), or undefined for an MSR this CPU does not have. */
  getMsr(index: number): bigint | undefined {
    return readMsr(this.cpu, index);
  }

  /** Write an MSR (as WRMSR would); false for an MSR or value the CPU would refuse with #GP. */
  setMsr(index: number, value: bigint): boolean {
    return writeMsr(this.cpu, index, value);
  }

  /**
   * The x87 state (KVM's kvm_fpu): ST(0)..ST(7) as 10-byte values, the
   * control, status and full tag words, the last opcode and the last
   * instruction and data pointers.
   */
  getFpu(): FpuState {
    return this.cpu.fpu.getState();
  }

  /** Replace the x87 state (KVM_SET_FPU); only "empty" matters in the tag word, as with FRSTOR. */
  setFpu(state: FpuState): void {
    this.cpu.fpu.setState(state);
  }

  mode(): CpuMode {
    return this.cpu.mode();
  }

  get state(): VcpuState {
    if (this.waitingForSipi) return 'waiting-for-sipi';
    return this.cpu.halted ? 'halted' : 'running';
  }

  /**
   * Take a halted vCPU out of its halt (KVM_SET_MP_STATE to runnable): the
   * monitor has moved it on, past the HLT (the instruction fuzzer's stubs).
   */
  wake(): void {
    this.cpu.halted = false;
  }

  /** Instructions retired since power-on. */
  get instructions(): number {
    return this.cpu.retired();
  }

  /** The guest-debug configuration in force. */
  private debugConfig: GuestDebugConfig = NO_GUEST_DEBUG;

  /**
   * Arm guest debug (KVM_SET_GUEST_DEBUG): breakpoints and intercepts in the
   * core, watchpoints on guest memory, I/O intercepts on the port bus.
   * Watchpoints given as linear addresses are translated through this vCPU
   * (paging, then A20) page by page, and again whenever the guest changes
   * its translation (MOV CR0/CR3/CR4, INVLPG): a page that does not
   * translate now is watched once it does.
   */
  setGuestDebug(config: GuestDebugConfig): void {
    this.debugConfig = config;
    this.cpu.setDebug({
      breakpoints: config.breakpoints,
      physicalBreakpoints: config.physicalBreakpoints,
      exceptions: config.exceptions,
      softwareInterrupts: config.softwareInterrupts,
      modeChanges: config.modeChanges,
      magicBreakpoint: config.magicBreakpoint,
    });
    // The vCPU that arms last owns the watchpoints: linear ones are in its address space.
    const linear = config.watchpoints.some((w) => !w.physical);
    this.vm.watchOwner = linear ? this : null;
    this.cpu.onTranslationChange = linear
      ? () => {
          if (this.vm.watchOwner === this) this.translateWatches();
        }
      : null;
    this.translateWatches();
    this.vm.ports.setIntercepts(config.ioPorts);
  }

  /** Hand guest memory the physical ranges of the armed watchpoints (linear ones as this vCPU translates them now). */
  private translateWatches(): void {
    const ranges: PhysicalWatch[] = [];
    this.debugConfig.watchpoints.forEach((w, index) => {
      const read = w.access !== 'write';
      const write = w.access !== 'read';
      if (w.physical) {
        ranges.push({ index, start: w.address, end: w.address + w.length, read, write });
        return;
      }
      // Page by page: consecutive linear pages need not be consecutive in physical memory. A range
      // that runs past 4 GiB wraps to linear 0, as the accesses it watches do (counting by offset
      // into the range: a linear address computed past 2^32 once looped here forever).
      for (let done = 0; done < w.length; ) {
        const at = (w.address + done) >>> 0;
        const chunk = Math.min(w.length - done, 0x1000 - (at & 0xfff));
        const p = this.cpu.physicalOf(at);
        if (p >= 0) ranges.push({ index, start: p, end: p + chunk, read, write });
        done += chunk;
      }
    });
    this.vm.memory.setWatches(ranges);
  }

  /** Called by guest memory when a watched range is accessed: stop after the instruction. */
  reportWatchHit(hit: WatchHit): void {
    const cpu = this.cpu;
    this.vm.raiseDebugEvent({
      kind: 'watchpoint',
      watch: this.debugConfig.watchpoints[hit.index],
      address: hit.address,
      size: hit.size,
      access: hit.access,
      oldValue: hit.oldValue,
      newValue: hit.newValue,
      cs: cpu.segSel[CS],
      eip: cpu.startEip >>> 0,
      linear: (cpu.segBase[CS] + cpu.startEip) >>> 0,
    });
  }

  /**
   * Execute exactly one instruction (or, with `interrupts`, take a pending
   * interrupt instead: the step then ends at the handler's first
   * instruction). Returns a single-step debug exit, or whatever else the
   * instruction caused (a breakpoint on the stepped instruction is not
   * reported; an intercept or a watchpoint is).
   */
  step(options: { interrupts: boolean } = { interrupts: false }): Exit {
    const vm = this.vm;
    vm.running = this;
    if (this.waitingForSipi) return { kind: 'hlt' };
    vm.clock.runDue();
    const reason = this.cpu.stepOnce(options.interrupts);
    const io = vm.ports.takeExit();
    if (io) return io;
    // Firmware services trapped by this instruction complete before the stop is shown.
    vm.runBoundaryWork(this);
    vm.clock.runDue();
    const fatal = this.exitForStop(reason);
    if (fatal) return fatal;
    if (reason === StopReason.Halt) return { kind: 'hlt' };
    const event = vm.takeDebugEvent();
    vm.takeStopRequest();
    return { kind: 'debug', cause: event ?? { kind: 'single-step' } };
  }

  /** The exit for a CPU stop that ends a run whatever the loop was doing; null for the others. */
  private exitForStop(reason: StopReason): Exit | null {
    switch (reason) {
      case StopReason.Shutdown:
        return { kind: 'shutdown', reason: 'triple fault' };
      case StopReason.InternalError: {
        const e = this.cpu.internalError;
        if (!e) throw new Error('internal error without details');
        return { kind: 'internal-error', message: e.message, cs: e.cs, eip: e.eip, linear: e.linear, bytes: e.bytes };
      }
      case StopReason.Debug: {
        const e: CpuDebugEvent | null = this.cpu.debug.takeEvent();
        if (!e) throw new Error('debug stop without an event');
        const cause: DebugCause = e;
        return { kind: 'debug', cause };
      }
      default:
        return null;
    }
  }

  /** Drop an exception a debug stop intercepted, instead of delivering it on resume. */
  discardInterceptedException(): void {
    this.cpu.debug.pendingException = null;
  }

  /** Answer an `io` exit with direction `in`: the IN is re-executed with `data` on the next run. */
  completeIo(data: number): void {
    this.vm.ports.completeIn(data);
  }

  /**
   * Bytes at a linear address through this vCPU's translation (the same path
   * its instructions take: A20, later paging); null where nothing readable is
   * mapped. No side effects: MMIO is not read.
   */
  readLinear(linear: number, length: number): (number | null)[] {
    const out: (number | null)[] = [];
    for (let i = 0; i < length; i++) {
      const translated = this.cpu.translatePeek((linear + i) | 0);
      if (translated === null) {
        out.push(null);
        continue;
      }
      out.push(this.vm.memory.readPhysical((translated & this.cpu.a20Mask) >>> 0, 1)[0]);
    }
    return out;
  }

  saveState(): CpuState {
    return this.cpu.saveState();
  }

  loadState(state: CpuState): void {
    this.cpu.loadState(state);
  }

  /**
   * Run guest code until an exit. Interrupts, timers and in-core device work
   * are handled inside; the loop returns only for what the monitor must see.
   * While halted with interrupts enabled, guest time jumps to the next timer.
   *
   * The budget is guest time, counted in instructions (NS_PER_INSTRUCTION
   * each): time skipped while halted counts too, and a skip never goes past
   * the budget's end, so a halted guest whose timers fire into masked lines
   * still returns `budget` after that much guest time (issue 8).
   */
  run(budget: number): Exit {
    this.vm.running = this;
    const exit = this.runInner(budget);
    this.exitCounts.set(exit.kind, (this.exitCounts.get(exit.kind) ?? 0) + 1);
    return exit;
  }

  private runInner(budget: number): Exit {
    const cpu = this.cpu;
    const vm = this.vm;
    const clock = vm.clock;
    const startNs = clock.now();
    const endNs = startNs + budget * NS_PER_INSTRUCTION;
    for (;;) {
      const io = vm.ports.takeExit();
      if (io) return io;
      clock.runDue();
      vm.runBoundaryWork(this);
      const debugEvent = vm.takeDebugEvent();
      if (debugEvent) return { kind: 'debug', cause: debugEvent };
      if (vm.takeStopRequest()) return { kind: 'stop' };
      // An INIT (its own, or another's while it ran) left it waiting for a SIPI.
      if (this.waitingForSipi) return { kind: 'hlt' };
      const now = clock.now();
      if (now >= endNs) return { kind: 'budget' };
      const deadline = clock.nextDeadline();
      let slice = Math.ceil((endNs - now) / NS_PER_INSTRUCTION);
      if (deadline !== Infinity) {
        const untilDeadline = Math.ceil((deadline - now) / NS_PER_INSTRUCTION);
        slice = Math.max(1, Math.min(slice, untilDeadline));
      }
      const reason = cpu.run(slice);
      const fatal = this.exitForStop(reason);
      if (fatal) return fatal;
      if (reason === StopReason.Halt) {
        // Budget and Requested just go round the loop; a halt waits for the next timer.
        // With several vCPUs, the scheduler decides what a halt means (the others may run).
        if ((cpu.flags & IF) === 0 || vm.vcpus.length > 1) return { kind: 'hlt' };
        const next = clock.nextDeadline();
        if (next === Infinity) return { kind: 'hlt' };
        // Nothing the timers raise can reach the CPU (every line masked): the monitor reports it.
        if (!this.runnable && nothingWakes(vm) !== null) return { kind: 'hlt' };
        // Skip to the timer, or to the budget's end when that comes first (the loop then returns).
        const target = Math.min(next, endNs);
        // Realtime pacing: the wall clock has not reached the target yet; the monitor waits.
        if (vm.idleUntil(target) < target) return { kind: 'hlt' };
      }
    }
  }
}
