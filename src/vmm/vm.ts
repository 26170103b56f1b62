// The virtual machine: KVM's VM file descriptor. Guest memory and its map,
// the port bus, the virtual clock, the in-core interrupt controller and timer
// (8259 pair and 8254, KVM's in-kernel irqchip), and the vCPUs.

import { CpuState } from '../cpu/state';
import { ClockState, NS_PER_INSTRUCTION, VirtualClock } from '../devices/clock';
import { Device, PortHandler } from '../devices/bus';
import { Pic8259Pair } from '../devices/pic';
import { Pit8254 } from '../devices/pit';
import { GuestMemory } from './guestMemory';
import { PortBus } from './portBus';
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
  /** Number of vCPUs. Only 1 until the APIC arrives. */
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
  devices: Record<string, unknown>;
}

export class Vm {
  readonly memory: GuestMemory;
  readonly ports = new PortBus();
  readonly clock = new VirtualClock();
  readonly pic: Pic8259Pair;
  readonly pit: Pit8254;
  readonly vcpus: Vcpu[] = [];
  private readonly devices: Device[] = [];
  private boundaryWork: ((vcpu: Vcpu) => void)[] = [];
  private stopRequested = false;
  /** A guest-debug event seen outside the CPU (watchpoint, I/O intercept), until the vCPU reports it. */
  private debugEvent: DebugCause | null = null;
  readonly pacing: 'virtual' | 'realtime';
  /** Guest time and wall time at the start, for realtime pacing. */
  private readonly wallAnchor = { guestNs: 0, wallMs: Date.now() };

  constructor(config: VmConfig) {
    if ((config.cpus ?? 1) !== 1) throw new Error('only one vCPU is supported until the local APIC is implemented');
    this.memory = new GuestMemory(config.memoryBytes);
    this.pacing = config.pacing ?? 'virtual';
    this.pic = new Pic8259Pair();
    this.pit = new Pit8254(this.clock, this.pic.irqLine(0));
    const vcpu = new Vcpu(this, 0);
    this.vcpus.push(vcpu);
    this.clock.setInstructionSource(() => vcpu.cpu.retired());
    // A timer armed earlier than the running slice's end shortens the slice.
    this.clock.onDeadlineChange = () => {
      const deadline = this.clock.nextDeadline();
      if (deadline !== Infinity) {
        vcpu.cpu.limitSlice(Math.max(0, Math.ceil((deadline - this.clock.now()) / NS_PER_INSTRUCTION)));
      }
    };
    this.pic.onIntrChange = (level) => vcpu.cpu.setIntr(level);
    this.ports.onExitRequested = () => vcpu.cpu.requestStop();
    this.ports.onIntercept = (port, size, direction, value) =>
      this.raiseDebugEvent({ kind: 'io', port, size, direction, value });
    this.memory.onWatchHit = (hit) => vcpu.reportWatchHit(hit);
    this.addDevice(this.pic);
    this.addDevice(this.pit);
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
    for (const v of this.vcpus) v.cpu.reset();
    this.boundaryWork = [];
  }

  saveState(): VmState {
    const devices: Record<string, unknown> = {};
    for (const d of this.devices) devices[d.name] = d.saveState();
    return {
      memory: Buffer.from(this.memory.ram.buffer, this.memory.ram.byteOffset, this.memory.ram.byteLength).toString('base64'),
      clock: this.clock.saveState(),
      cpus: this.vcpus.map((v) => v.saveState()),
      devices,
    };
  }

  loadState(state: VmState): void {
    const ram = Buffer.from(state.memory, 'base64');
    if (ram.length !== this.memory.ram.length) throw new Error('snapshot is for a different memory size');
    this.memory.ram.set(ram);
    this.clock.loadState(state.clock);
    state.cpus.forEach((c, i) => this.vcpus[i].loadState(c));
    for (const d of this.devices) {
      if (d.name in state.devices) d.loadState(state.devices[d.name]);
    }
  }
}
