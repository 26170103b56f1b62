// The virtual machine: KVM's VM file descriptor. Guest memory and its map,
// the port bus, the virtual clock, the in-core interrupt controllers and
// timers (8259 pair, 8254, a local APIC per vCPU and the IOAPIC: KVM's
// in-kernel irqchip), and the vCPUs.
//
// With several vCPUs, guest time is the sum of the instructions every vCPU
// retired (plus idle time), as QEMU's icount counts in round-robin mode: the
// vCPUs interleave on one clock, so time never runs backwards and a run is
// deterministic; each vCPU then runs at 1/N of the single-vCPU rate.

import { CpuState } from '../cpu/state';
import { ClockState, NS_PER_INSTRUCTION, VirtualClock } from '../devices/clock';
import { CoprocessorError } from '../devices/coprocessorError';
import { ApicBus } from '../devices/apicBus';
import { Device, IoSize, IrqLine, PortHandler } from '../devices/bus';
import { IOAPIC_BASE_ADDRESS, IoApic, ioApicPinOfIsaIrq } from '../devices/ioapic';
import { APIC_BASE_ADDRESS } from '../devices/lapic';
import { Pic8259Pair } from '../devices/pic';
import { Pit8254 } from '../devices/pit';
import { GuestMemory } from './guestMemory';
import { PortBus, PortBusState } from './portBus';
import type { DebugCause } from './debug';
import { Vcpu } from './vcpu';

export interface VmConfig {
  /** Guest RAM in bytes (at least 1 MiB). */
  memoryBytes: number;
  /**
   * 'virtual' (the default): while halted, guest time jumps to the next timer
   * event, so runs are deterministic and idle time costs nothing.
   * 'realtime': guest time never runs ahead of the wall clock while halted
   * (interactive use: a guest waiting for a key sleeps instead of spinning).
   */
  pacing?: 'virtual' | 'realtime';
  /** Number of vCPUs, 1 to MAX_VCPUS (default 1). vCPU 0 is the bootstrap processor. */
  cpus?: number;
}

/** A device on the VM's port bus, with its ports. */
export interface PortDevice extends Device, PortHandler {
  readonly ports: readonly number[];
}

export interface VmState {
  memory: string; // base64 of guest RAM
  clock: ClockState;
  cpus: CpuState[];
  /** Per vCPU: an AP not started yet (absent in single-vCPU snapshots of older versions). */
  waitingForSipi?: boolean[];
  /** Where the round-robin scheduler looks next. */
  nextVcpu?: number;
  /** Port I/O in flight between an exit and the re-executed IN (absent in older snapshots: none). */
  io?: PortBusState;
  devices: Record<string, unknown>;
}

export const MAX_VCPUS = 64;


export class Vm {
  readonly memory: GuestMemory;
  readonly ports = new PortBus();
  readonly clock = new VirtualClock();
  readonly pic: Pic8259Pair;
  readonly pit: Pit8254;
  readonly apicBus = new ApicBus();
  readonly ioapic: IoApic;
  readonly vcpus: Vcpu[] = [];
  /** The vCPU executing now (or last): MMIO to the local APIC, I/O exits and watchpoints are its. */
  running!: Vcpu;
  /** The vCPU whose address space linear watchpoints are translated in (the one that armed them last). */
  watchOwner: Vcpu | null = null;
  /** Where the round-robin scheduler (PcMachine.run) looks first for the next vCPU to run: part of the state, for determinism. */
  nextVcpu = 0;
  private readonly isaLines: IrqLine[] = [];
  /** ISA lines handed to a device (vm.isaIrq): only these can ever carry a request. */
  private readonly wiredIsa = new Set<number>();
  private readonly devices: Device[] = [];
  private boundaryWork: ((vcpu: Vcpu) => void)[] = [];
  private stopRequested = false;
  /** A guest-debug event seen outside the CPU (watchpoint, I/O intercept), until the vCPU reports it. */
  private debugEvent: DebugCause | null = null;
  readonly pacing: 'virtual' | 'realtime';
  /** Guest time and wall time at the start, for realtime pacing. */
  private readonly wallAnchor = { guestNs: 0, wallMs: Date.now() };

  constructor(config: VmConfig) {
    const cpus = config.cpus ?? 1;
    if (!Number.isInteger(cpus) || cpus < 1 || cpus > MAX_VCPUS) throw new Error(`cpus must be a whole number from 1 to ${MAX_VCPUS} (got ${cpus})`);
    this.memory = new GuestMemory(config.memoryBytes);
    this.pacing = config.pacing ?? 'virtual';
    this.pic = new Pic8259Pair();
    // The IOAPIC's ID follows the processors' (0 .. cpus-1), as the MP table gives it.
    this.ioapic = new IoApic(this.apicBus, cpus);
    for (let irq = 0; irq < 16; irq++) {
      const picLine = this.pic.irqLine(irq);
      const pin = ioApicPinOfIsaIrq(irq);
      this.isaLines.push({
        setLevel: (high) => {
          picLine.setLevel(high);
          this.ioapic.setPin(pin, high);
        },
      });
    }
    this.pit = new Pit8254(this.clock, this.isaIrq(0));
    for (let i = 0; i < cpus; i++) this.vcpus.push(new Vcpu(this, i));
    const bsp = this.vcpus[0];
    this.running = bsp;
    this.clock.setInstructionSource(cpus === 1 ? () => bsp.cpu.retired() : () => this.instructionsRetired());
    // A timer armed earlier than the running slice's end shortens the slice.
    this.clock.onDeadlineChange = () => {
      const deadline = this.clock.nextDeadline();
      if (deadline !== Infinity) {
        this.running.cpu.limitSlice(Math.max(0, Math.ceil((deadline - this.clock.now()) / NS_PER_INSTRUCTION)));
      }
    };
    // The 8259's INTR reaches the bootstrap processor through LINT0 of its local APIC.
    this.pic.onIntrChange = (level) => bsp.lapic.setLint0(level);
    this.ports.onExitRequested = () => this.running.cpu.requestStop();
    this.ports.onIntercept = (port, size, direction, value) =>
      this.raiseDebugEvent({ kind: 'io', port, size, direction, value });
    this.memory.onWatchHit = (hit) => this.running.reportWatchHit(hit);
    // Each vCPU sees its own local APIC at the same address; a disabled one is not there (reads float high).
    this.memory.mapMmio(APIC_BASE_ADDRESS, 0x1000, {
      mmioRead: (address: number, size: IoSize) =>
        this.running.lapic.present ? this.running.lapic.mmioRead(address, size) : size === 4 ? 0xffffffff : (1 << (8 * size)) - 1,
      mmioWrite: (address: number, size: IoSize, value: number) => {
        if (this.running.lapic.present) this.running.lapic.mmioWrite(address, size, value);
      },
    });
    this.memory.mapMmio(IOAPIC_BASE_ADDRESS, 0x1000, this.ioapic);
    this.addDevice(this.pic);
    this.addDevice(this.pit);
    // FERR# of every processor into the board's coprocessor-error latch (IRQ 13, cleared by OUT F0h).
    const fpuError = new CoprocessorError(this.isaIrq(13));
    for (const v of this.vcpus) v.cpu.onFerr = () => fpuError.signal();
    this.addDevice(fpuError);
    for (const v of this.vcpus) this.addDevice(v.lapic);
    this.addDevice(this.ioapic);
  }

  /** ISA interrupt line `irq` (0-15): into the 8259 pair and the IOAPIC both, as on a PC. */
  isaIrq(irq: number): IrqLine {
    const line = this.isaLines[irq];
    if (line === undefined) throw new RangeError(`no ISA IRQ line ${irq} (0-15)`);
    this.wiredIsa.add(irq);
    return line;
  }

  /** The ISA IRQ lines a device drives. */
  wiredIsaIrqs(): ReadonlySet<number> {
    return this.wiredIsa;
  }

  /** Instructions retired by all vCPUs together. */
  instructionsRetired(): number {
    let n = 0;
    for (const v of this.vcpus) n += v.cpu.retired();
    return n;
  }

  /** Attach an in-core device: its ports are served without exits; its state joins snapshots. */
  addDevice(device: Device & Partial<PortDevice>): void {
    this.devices.push(device);
    if (device.ports && device.ioRead && device.ioWrite) this.ports.register(device.ports, device as PortDevice);
  }

  device<T extends Device>(name: string): T | undefined {
    return this.devices.find((d) => d.name === name) as T | undefined;
  }

  /**
   * Run `work` at the next instruction boundary with every vCPU stopped
   * (firmware services, resets): in-core work that needs a consistent CPU.
   */
  atBoundary(work: (vcpu: Vcpu) => void): void {
    this.boundaryWork.push(work);
    for (const v of this.vcpus) v.cpu.requestStop();
  }

  runBoundaryWork(vcpu: Vcpu): void {
    while (this.boundaryWork.length > 0) {
      const work = this.boundaryWork;
      this.boundaryWork = [];
      for (const w of work) w(vcpu);
    }
  }

  /** Make the running vCPU return a `stop` exit at the next instruction boundary (pause, end of run). */
  requestStop(): void {
    this.stopRequested = true;
    for (const v of this.vcpus) v.cpu.requestStop();
  }

  /** A device-side debug event: the vCPU stops after the current instruction and reports it. */
  raiseDebugEvent(cause: DebugCause): void {
    if (this.debugEvent) return; // the first event of an instruction wins
    this.debugEvent = cause;
    for (const v of this.vcpus) v.cpu.requestStop();
  }

  takeDebugEvent(): DebugCause | null {
    const e = this.debugEvent;
    this.debugEvent = null;
    return e;
  }

  takeStopRequest(): boolean {
    const s = this.stopRequested;
    this.stopRequested = false;
    return s;
  }

  /**
   * How far guest time may jump while every vCPU is halted: to the next timer
   * deadline, or with realtime pacing no further than the wall clock allows.
   * Returns the time reached; below `deadline` means "wait for the wall clock".
   */
  idleUntil(deadline: number): number {
    const now = this.clock.now();
    let target = deadline;
    if (this.pacing === 'realtime') {
      const wall = this.wallAnchor.guestNs + (Date.now() - this.wallAnchor.wallMs) * 1e6;
      target = Math.min(deadline, Math.max(now, wall));
    }
    this.clock.skipTo(target);
    return target;
  }

  /** The A20 gate (port 92h, the keyboard controller's output port). */
  setA20(enabled: boolean): void {
    for (const v of this.vcpus) v.cpu.setA20(enabled);
  }

  /** Hard reset: every device and vCPU to power-on state; RAM keeps its contents, as on a real reset. */
  reset(): void {
    for (const d of this.devices) d.reset();
    for (const v of this.vcpus) v.reset();
    this.nextVcpu = 0;
    this.boundaryWork = [];
  }

  saveState(): VmState {
    const devices: Record<string, unknown> = {};
    for (const d of this.devices) devices[d.name] = d.saveState();
    return {
      memory: Buffer.from(this.memory.ram.buffer, this.memory.ram.byteOffset, this.memory.ram.byteLength).toString('base64'),
      clock: this.clock.saveState(),
      cpus: this.vcpus.map((v) => v.saveState()),
      waitingForSipi: this.vcpus.map((v) => v.waitingForSipi),
      nextVcpu: this.nextVcpu,
      io: this.ports.saveState(),
      devices,
    };
  }

  loadState(state: VmState): void {
    const ram = Buffer.from(state.memory, 'base64');
    if (ram.length !== this.memory.ram.length) throw new Error('snapshot is for a different memory size');
    this.memory.ram.set(ram);
    this.clock.loadState(state.clock);
    if (state.cpus.length !== this.vcpus.length) throw new Error(`snapshot is for ${state.cpus.length} vCPUs, this VM has ${this.vcpus.length}`);
    state.cpus.forEach((c, i) => this.vcpus[i].loadState(c));
    this.vcpus.forEach((v, i) => (v.waitingForSipi = state.waitingForSipi?.[i] ?? !v.isBsp));
    this.nextVcpu = state.nextVcpu ?? 0;
    this.ports.loadState(state.io);
    for (const d of this.devices) {
      if (d.name in state.devices) d.loadState(state.devices[d.name]);
    }
  }
}
