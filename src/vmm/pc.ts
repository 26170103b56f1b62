// The PC board: a Vm with the ISA devices of an AT-class PC, the firmware,
// and the disks, plus the monitor loop that answers the exits the board's
// own devices don't (unclaimed ports read as all ones, as on a real bus).
// The CLI and the debug adapter both drive this.
//
// With several vCPUs the monitor loop is also the scheduler: deterministic
// round-robin, each runnable vCPU in turn for up to SMP_SLICE instructions;
// halted vCPUs are skipped until an interrupt wakes them, APs waiting for a
// SIPI until one comes, and when nobody can run, guest time jumps to the
// next timer as with one vCPU. vCPUs interleave only at instruction
// boundaries, so a LOCKed instruction is atomic by construction.
//
// Budgets are guest time (idle skips count, and stop at the budget's end), so
// every run returns within its budget; a guest halted with interrupts on
// whose every interrupt source is masked is reported (`unwakeable`, see
// wakeSources.ts) instead of idling forever.

import { Cpu } from '../cpu/cpu';
import { CpuMode, IF, Regs, Sregs } from '../cpu/state';
import { Bios } from '../devices/bios/bios';
import type { CdImage } from '../devices/cdImage';
import { DiskImage } from '../devices/disk';
import { AtapiCdrom } from '../devices/ide/atapiCommands';
import { IdeChannel } from '../devices/ide/ideChannel';
import type { DirectBoot } from '../devices/loaders/directBoot';
import { DebugConsole, IsaDebugExit, PostCodePort, SystemControlPortA } from '../devices/debugPorts';
import { CmosRtc } from '../devices/cmos';
import { I8042 } from '../devices/i8042';
import { Uart16550 } from '../devices/uart16550';
import { VgaText } from '../devices/vgaText';
import { FwCfg } from '../devices/fwCfg';
import { PciHost, devfn } from '../devices/pci/pciHost';
import { I440fxHostBridge } from '../devices/pci/i440fx';
import { Piix3Ide, Piix3IsaBridge } from '../devices/pci/piix3';
import { DebugCause, Exit, assertNever } from './exit';
import { Vcpu } from './vcpu';
import { Vm } from './vm';
import { nothingWakes } from './wakeSources';
import { NS_PER_INSTRUCTION } from '../devices/clock';

export { DiskImage };

export interface PcConfig {
  memoryBytes: number;
  /** A BIOS ROM image, or null for the built-in BIOS. */
  bios: Uint8Array | null;
  floppy: DiskImage | null;
  hardDisk: DiskImage | null;
  /** An ISO 9660 image in the CD-ROM drive (the built-in BIOS's INT 13h drive E0h). */
  cdrom?: CdImage | null;
  boot: 'a' | 'c' | 'd';
  /** A kernel to start instead of a boot sector (--kernel; needs the built-in BIOS). */
  kernel?: DirectBoot | null;
  onSerialOutput?: (byte: number) => void;
  onDebugconOutput?: (byte: number) => void;
  /** Firmware diagnostics for the user ("no bootable device"). */
  onFirmwareMessage?: (text: string) => void;
  /** Start the RTC at the host's time instead of the fixed default (less deterministic). */
  hostTime?: boolean;
  /** Tie guest time to the wall clock while the guest idles (see VmConfig.pacing). */
  realtime?: boolean;
  /** Number of vCPUs (default 1). */
  cpus?: number;
}

/** QEMU's isa-debugcon port for SeaBIOS's log (-device isa-debugcon,iobase=0x402). */
export const QEMU_DEBUGCON_PORT = 0x402;
/** CMOS bytes QEMU sets for SeaBIOS: the number of processors minus one, and the boot order (devices 1-2 in 3Dh, device 3 in 38h bits 7-4). */
const CMOS_SMP_COUNT = 0x5f;
const CMOS_BOOT_ORDER_12 = 0x3d;
const CMOS_BOOT_ORDER_3 = 0x38;

/** Instructions a vCPU runs before the next runnable one takes its turn (several vCPUs). */
export const SMP_SLICE = 5000;

/**
 * What the monitor loop reports to the CLI or the debugger. `vcpu` is the
 * index of the vCPU the event happened on (the one that hit a breakpoint,
 * faulted, or was running when a stop came).
 */
export type MachineEvent =
  /** The guest wrote to isa-debug-exit: status is (value << 1) | 1. */
  | { kind: 'exit'; status: number }
  | { kind: 'shutdown'; reason: string; where: string; vcpu: number }
  | { kind: 'internal-error'; message: string; cs: number; eip: number; linear: number; bytes: number[]; vcpu: number }
  /** HLT with interrupts disabled (on every vCPU; APs may also wait for a SIPI): nothing can ever wake the guest. */
  | { kind: 'halted'; where: string; vcpu: number }
  /**
   * HLT with interrupts enabled, but no interrupt can ever arrive: every
   * source is masked on its way to the halted vCPUs (src/vmm/wakeSources.ts);
   * `why` says which masks, in words.
   */
  | { kind: 'unwakeable'; where: string; vcpu: number; why: string }
  /** HLT with interrupts enabled and no timer armed: waiting for input from outside. */
  | { kind: 'idle' }
  | { kind: 'budget' }
  | { kind: 'stop'; reason: 'user' | 'request'; vcpu: number }
  | { kind: 'debug'; cause: DebugCause; vcpu: number };

export function hex(value: number, digits: number): string {
  return (value >>> 0).toString(16).toUpperCase().padStart(digits, '0');
}

export class PcMachine {
  readonly vm: Vm;
  readonly vcpu: Vcpu;
  readonly uart: Uart16550;
  readonly vga: VgaText;
  readonly keyboard: I8042;
  readonly cmos: CmosRtc;
  readonly bios: Bios | null;
  readonly pci: PciHost;
  readonly fwCfg: FwCfg;
  private exitStatus: number | null = null;
  private stopReason: 'user' | 'request' | null = null;
  /** Unclaimed port accesses answered by the monitor (all ones / dropped). */
  unclaimedIo = 0;

  constructor(readonly config: PcConfig) {
    const vm = new Vm({ memoryBytes: config.memoryBytes, pacing: config.realtime ? 'realtime' : 'virtual', cpus: config.cpus });
    this.vm = vm;
    this.vcpu = vm.vcpus[0];

    this.cmos = new CmosRtc(vm.clock, vm.isaIrq(8), config.hostTime ? { startTime: 'host' } : {});
    vm.addDevice(this.cmos);
    this.uart = new Uart16550(vm.clock, vm.isaIrq(4));
    this.uart.onTransmit = (b) => config.onSerialOutput?.(b);
    vm.addDevice(this.uart);
    this.vga = new VgaText(vm.clock, vm.memory.ram);
    vm.addDevice(this.vga);
    // Two gates drive A20 (port 92h and the 8042's output port); each shows what the other set.
    let port92: SystemControlPortA | null = null;
    this.keyboard = new I8042(
      vm.isaIrq(1),
      vm.isaIrq(12),
      {
        setA20: (on) => {
          vm.setA20(on);
          port92?.syncA20(on);
        },
        requestReset: () => this.requestReset(),
      },
      true, // A20 on, as firmware leaves it
    );
    vm.addDevice(this.keyboard);
    vm.addDevice(new DebugConsole((b) => config.onDebugconOutput?.(b), 0xe9, [QEMU_DEBUGCON_PORT]));
    vm.addDevice(new PostCodePort());
    vm.addDevice(
      new IsaDebugExit((status) => {
        this.exitStatus = status;
        vm.requestStop();
      }),
    );
    port92 = new SystemControlPortA(
      {
        setA20: (on) => {
          vm.setA20(on);
          this.keyboard.syncA20(on);
        },
        requestReset: () => this.requestReset(),
      },
      true,
    );
    vm.addDevice(port92);
    // The CD-ROM: an ATAPI master on the secondary IDE channel, as QEMU's -cdrom.
    if (config.cdrom) vm.addDevice(new IdeChannel(vm.isaIrq(15), new AtapiCdrom(config.cdrom)));

    if (config.bios) {
      if (config.kernel) throw new Error('a --kernel boot needs the built-in BIOS');
      this.bios = null;
      this.mapFirmware(config.bios);
    } else {
      this.bios = new Bios({
        memory: vm.memory,
        ports: vm.ports,
        atBoundary: (work: (cpu: Cpu) => void) => vm.atBoundary((v) => work(v.cpu)),
        floppies: [config.floppy],
        hardDisks: config.hardDisk ? [config.hardDisk] : [],
        directBoot: config.kernel ?? null,
        cdrom: config.cdrom ?? null,
        bootOrder: config.boot === 'a' ? ['floppy', 'hard', 'cdrom'] : config.boot === 'c' ? ['hard', 'floppy', 'cdrom'] : ['cdrom', 'hard', 'floppy'],
        memoryBytes: config.memoryBytes,
        cpus: vm.vcpus.length,
        vga: this.vga,
        message: (text: string) => config.onFirmwareMessage?.(text),
      });
      vm.addDevice(this.bios);
      this.mapFirmware(this.bios.rom);
    }
    this.cmos.setMemorySize(config.memoryBytes);
    // As QEMU's pc board sets them for SeaBIOS: processors beyond the first, and the boot order (1 floppy, 2 disk, 3 CD).
    this.cmos.setByte(CMOS_SMP_COUNT, vm.vcpus.length - 1);
    const order = config.boot === 'a' ? [1, 2, 3] : config.boot === 'c' ? [2, 1, 3] : [3, 2, 1];
    this.cmos.setByte(CMOS_BOOT_ORDER_12, (order[1] << 4) | order[0]);
    this.cmos.setByte(CMOS_BOOT_ORDER_3, order[2] << 4);

    // The PCI board of QEMU's `pc` machine: upper memory decoded by the i440FX's PAM registers.
    vm.memory.enableShadow();
    this.pci = new PciHost(() => this.requestReset());
    this.pci.attach(devfn(0, 0), new I440fxHostBridge(vm.memory, config.memoryBytes));
    this.pci.attach(devfn(1, 0), new Piix3IsaBridge());
    this.pci.attach(devfn(1, 1), new Piix3Ide());
    vm.addDevice(this.pci);
    this.fwCfg = new FwCfg({ memoryBytes: config.memoryBytes, cpus: vm.vcpus.length }, vm.memory);
    vm.addDevice(this.fwCfg);
  }

  /** A ROM image at the top of the first megabyte, and again just below 4 GiB (the reset vector). */
  private mapFirmware(image: Uint8Array): void {
    const size = image.length;
    const low = 0x100000 - Math.min(size, 0x20000);
    this.vm.memory.mapRom(low, image.subarray(size - (0x100000 - low)));
    this.vm.memory.mapRom(0x100000000 - size, image);
  }

  private requestReset(): void {
    this.vm.atBoundary(() => this.vm.reset());
  }

  /** Stop the guest at the next instruction boundary (pause, --until, Ctrl-]). */
  requestStop(reason: 'user' | 'request' = 'request'): void {
    this.stopReason = reason;
    this.vm.requestStop();
  }

  serialInput(bytes: Uint8Array): void {
    this.uart.receive(bytes);
  }

  typeText(text: string): void {
    this.keyboard.typeText(text);
  }

  /** The VGA text screen, one string per row, trailing blanks trimmed. */
  textScreen(): string[] {
    return this.vga.textScreen().rows.map((r) => r.trimEnd());
  }

  mode(): CpuMode {
    return this.vcpu.mode();
  }

  getRegs(): Regs {
    return this.vcpu.getRegs();
  }

  getSregs(): Sregs {
    return this.vcpu.getSregs();
  }

  /** Bytes at a linear address through the CPU's translation; null where unreadable. */
  readLinear(linear: number, length: number): (number | null)[] {
    return this.vcpu.readLinear(linear, length);
  }

  private where(vcpu: Vcpu): string {
    const s = vcpu.getSregs();
    const r = vcpu.getRegs();
    return `${hex(s.cs.selector, 4)}:${hex(r.eip, s.cs.attributes & (1 << 14) ? 8 : 4)}`;
  }

  /**
   * Run up to `budget` instructions (all vCPUs together), answering the exits
   * the board handles itself. With `only`, just that vCPU runs and the others
   * stay stopped (a debugger stepping one thread).
   */
  run(budget: number, only?: number): MachineEvent {
    if (this.vm.vcpus.length > 1) return this.runSmp(budget, only === undefined ? this.vm.vcpus : [this.vm.vcpus[only]]);
    const endNs = this.vm.clock.now() + budget * NS_PER_INSTRUCTION;
    for (;;) {
      const left = this.budgetLeft(endNs);
      if (left <= 0) return { kind: 'budget' };
      const event = this.eventFor(this.vcpu, this.vcpu.run(left));
      if (event) return event;
    }
  }

  /**
   * Instructions' worth of guest time left before `endNs`. Budgets are guest
   * time (see Vcpu.run): time skipped while every vCPU idles counts, so a run
   * returns within its budget even when no instruction retires.
   */
  private budgetLeft(endNs: number): number {
    return Math.ceil((endNs - this.vm.clock.now()) / NS_PER_INSTRUCTION);
  }

  private runSmp(budget: number, scheduled: readonly Vcpu[]): MachineEvent {
    const endNs = this.vm.clock.now() + budget * NS_PER_INSTRUCTION;
    for (;;) {
      const left = this.budgetLeft(endNs);
      if (left <= 0) return { kind: 'budget' };
      const vcpu = this.pickRunnable(scheduled);
      const event = vcpu ? this.eventFor(vcpu, vcpu.run(Math.min(SMP_SLICE, left))) : this.idleAll(scheduled, endNs);
      if (event) return event;
    }
  }

  /**
   * While vCPU `index` is halted, let guest time pass (timers fire, the
   * budget counting as in run) without executing an instruction: null as
   * soon as it can run again, else the event that ended the wait (`budget`,
   * `idle`, `unwakeable`, a stop). For a tracer, which steps one instruction
   * at a time and has nothing to log while the CPU sleeps.
   */
  waitWhileHalted(budget: number, index = 0): MachineEvent | null {
    const vcpu = this.vm.vcpus[index];
    const endNs = this.vm.clock.now() + budget * NS_PER_INSTRUCTION;
    while (!vcpu.runnable) {
      if (this.budgetLeft(endNs) <= 0) return { kind: 'budget' };
      const event = this.idleAll([vcpu], endNs);
      if (event) return event;
    }
    return null;
  }

  /** The next runnable vCPU of `scheduled` (all of them: in round-robin order), or null when none can run. */
  private pickRunnable(scheduled: readonly Vcpu[]): Vcpu | null {
    if (scheduled.length === 1) return scheduled[0].runnable ? scheduled[0] : null;
    const vcpus = this.vm.vcpus;
    for (let k = 0; k < vcpus.length; k++) {
      const v = vcpus[(this.vm.nextVcpu + k) % vcpus.length];
      if (v.runnable) {
        this.vm.nextVcpu = (v.index + 1) % vcpus.length;
        return v;
      }
    }
    return null;
  }

  /**
   * No scheduled vCPU can run: fire due timers (one may wake a vCPU), and
   * otherwise jump guest time to the next timer, or to the budget's end
   * (`endNs`) when that comes first; an event when nothing can wake the
   * guest (`halted`: every halted vCPU has interrupts disabled;
   * `unwakeable`: interrupts are on but every source is masked) or only
   * input from outside can (`idle`). Null to go on scheduling.
   */
  private idleAll(scheduled: readonly Vcpu[], endNs: number): MachineEvent | null {
    const vm = this.vm;
    vm.clock.runDue();
    if (vm.takeStopRequest()) return this.eventFor(scheduled[0], { kind: 'stop' });
    if (scheduled.some((v) => v.runnable)) return null;
    const halted = scheduled.filter((v) => v.state === 'halted');
    if (!halted.some((v) => (v.cpu.flags & IF) !== 0)) {
      const shown = halted[0] ?? scheduled[0];
      return { kind: 'halted', where: this.where(shown), vcpu: shown.index };
    }
    const why = nothingWakes(vm);
    if (why !== null) {
      const shown = halted.find((v) => (v.cpu.flags & IF) !== 0) ?? scheduled[0];
      return { kind: 'unwakeable', where: this.where(shown), vcpu: shown.index, why };
    }
    const next = vm.clock.nextDeadline();
    if (next === Infinity) return { kind: 'idle' };
    const target = Math.min(next, endNs);
    if (vm.idleUntil(target) < target) return { kind: 'idle' };
    return null;
  }

  /**
   * Execute one instruction on vCPU `index` (see Vcpu.step; the others stay
   * stopped): a `debug` event with a single-step cause, or what the
   * instruction caused instead — the guest's exit through isa-debug-exit, a
   * breakpoint-free intercept, a fault, a halt.
   */
  step(options: { interrupts: boolean } = { interrupts: false }, index = 0): MachineEvent {
    const vcpu = this.vm.vcpus[index];
    for (;;) {
      const exit = vcpu.step(options);
      if (this.exitStatus !== null) return { kind: 'exit', status: this.exitStatus };
      // An unclaimed IN was backed out: answer it, and step again to complete it.
      if (exit.kind === 'io' && exit.direction === 'in') {
        this.eventFor(vcpu, exit);
        continue;
      }
      // An unclaimed OUT completed: the step is done.
      if (exit.kind === 'io' || exit.kind === 'mmio') {
        this.eventFor(vcpu, exit);
        return { kind: 'debug', cause: { kind: 'single-step' }, vcpu: index };
      }
      if (exit.kind === 'hlt') return this.haltEvent(vcpu);
      const event = this.eventFor(vcpu, exit);
      if (event) return event;
    }
  }

  /** A halted vCPU: nothing can wake it (interrupts off, or every source masked), or it waits for an interrupt or a SIPI. */
  private haltEvent(vcpu: Vcpu): MachineEvent {
    if (vcpu.state === 'halted' && (vcpu.getRegs().eflags & IF) === 0) return { kind: 'halted', where: this.where(vcpu), vcpu: vcpu.index };
    const why = nothingWakes(this.vm);
    if (why !== null) return { kind: 'unwakeable', where: this.where(vcpu), vcpu: vcpu.index, why };
    // Waiting for input, or (realtime pacing) for the wall clock to reach the next timer.
    return { kind: 'idle' };
  }

  /** The monitor's answer to an exit of `vcpu`: an event for the caller, or null to go on running. */
  private eventFor(vcpu: Vcpu, exit: Exit): MachineEvent | null {
    switch (exit.kind) {
      case 'io':
      case 'mmio':
        // Nothing on the bus answers: reads float high, writes go nowhere.
        this.unclaimedIo++;
        if (exit.direction === 'in') vcpu.completeIo(0xffffffff);
        return null;
      case 'hlt':
        // With several vCPUs the scheduler moves on to the others (see idleAll).
        return this.vm.vcpus.length > 1 ? null : this.haltEvent(vcpu);
      case 'debug':
        if (this.exitStatus !== null) return { kind: 'exit', status: this.exitStatus };
        return { kind: 'debug', cause: exit.cause, vcpu: vcpu.index };
      case 'shutdown':
        return { kind: 'shutdown', reason: exit.reason, where: this.where(vcpu), vcpu: vcpu.index };
      case 'internal-error':
        return { ...exit, vcpu: vcpu.index };
      case 'budget':
        return { kind: 'budget' };
      case 'stop': {
        if (this.exitStatus !== null) return { kind: 'exit', status: this.exitStatus };
        const reason = this.stopReason;
        this.stopReason = null;
        return reason ? { kind: 'stop', reason, vcpu: vcpu.index } : null;
      }
      default:
        return assertNever(exit);
    }
  }
}
