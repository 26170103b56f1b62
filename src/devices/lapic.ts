// The local APIC of one vCPU (xAPIC mode, SDM vol. 3 ch. 11), at the APIC
// base 0xFEE00000 as each vCPU sees it. It holds the interrupt request,
// in-service and trigger-mode registers, decides by priority which vector
// the CPU takes (§11.8.3), sends IPIs through the ICR (§11.6), and has the
// local vector table: the timer (one-shot and periodic, on the virtual
// clock), LINT0/LINT1 and the error interrupt.
//
// The 8259 pair reaches the bootstrap processor through LINT0. As after a
// real reset (the PIC's INTR going straight to the processor) it passes
// while the APIC is hardware- or software-disabled; once software-enabled,
// only LINT0 programmed as ExtINT and unmasked lets it through (virtual-wire
// mode, MP spec §3.6.2.2), so an OS that masks LINT0 to use the IOAPIC no
// longer sees the PIC.

import type { InterruptAcknowledge } from '../cpu/bus';
import { Unimplemented } from '../cpu/faults';
import { ApicBus, ApicBusMember, ApicMessage, DeliveryMode, Shorthand } from './apicBus';
import type { Device, IoSize } from './bus';
import type { Timer, TimerState, VirtualClock } from './clock';

export const APIC_BASE_ADDRESS = 0xfee00000;

/** The APIC timer's input clock: one bus tick per ns (a 1 GHz bus clock, as QEMU models it), before the divider. */
export const APIC_TIMER_NS_PER_TICK = 1;

/** Version register: version 14h (integrated xAPIC), max LVT entry 5 (six entries), no EOI-broadcast suppression. */
export const APIC_VERSION = 0x00050014;

/** The LVT entries in register order (0x320 + 0x10 * index). */
export const enum Lvt {
  Timer = 0,
  Thermal = 1,
  Perf = 2,
  Lint0 = 3,
  Lint1 = 4,
  Error = 5,
}

const LVT_MASKED = 1 << 16;
const LVT_LEVEL = 1 << 15;
const LVT_PERIODIC = 1 << 17;
/** Writable LVT bits: vector, delivery mode, polarity, trigger, mask (the timer: vector, mask, mode). */
const LVT_WRITABLE = [0x000700ff, 0x000107ff, 0x000107ff, 0x0001a7ff, 0x0001a7ff, 0x000100ff] as const;
/** Timer mode bits: 00 one-shot, 01 periodic; 10 TSC-deadline is not reported (CPUID.1:ECX[24] clear), 11 reserved. */
const LVT_TIMER_MODE = 3 << 17;
const LVT_TSC_DEADLINE = 2 << 17;

const SVR_ENABLE = 1 << 8;

/** ESR bits (SDM vol. 3 §11.5.3). */
export const ESR_SEND_ILLEGAL_VECTOR = 1 << 5;
export const ESR_RECEIVE_ILLEGAL_VECTOR = 1 << 6;
export const ESR_ILLEGAL_REGISTER = 1 << 7;

export interface LocalApicState {
  id: number;
  tpr: number;
  ldr: number;
  dfr: number;
  svr: number;
  /** ESR as last latched by a write, and the errors seen since. */
  esr: number;
  pendingErrors: number;
  icrLo: number;
  icrHi: number;
  lvt: number[];
  /** Divide configuration register (bits 0, 1, 3). */
  divide: number;
  initialCount: number;
  /** Guest time when the current count was last (re)loaded with the initial count. */
  periodStartNs: number;
  timer: TimerState;
  irr: number[];
  isr: number[];
  tmr: number[];
  /** An ExtINT message from the IOAPIC waiting for the CPU's acknowledge. */
  extIntPending: boolean;
  /** Level of the LINT0 input (the 8259's INTR on the bootstrap processor). */
  lint0: boolean;
}

/** What the local APIC drives on its processor. */
export interface ApicCpuPins {
  /** The processor's INTR input. */
  setIntr(level: boolean): void;
  nmi(): void;
  /** An INIT IPI (the vCPU resets; an AP then waits for a Start-up IPI). */
  init(): void;
  startup(vector: number): void;
}

/** Highest set bit of a 256-bit register held as eight dwords, or -1. */
function highest(bits: Uint32Array): number {
  for (let w = 7; w >= 0; w--) if (bits[w] !== 0) return w * 32 + 31 - Math.clz32(bits[w]);
  return -1;
}

function setBit(bits: Uint32Array, v: number, on: boolean): void {
  if (on) bits[v >>> 5] |= 1 << (v & 31);
  else bits[v >>> 5] &= ~(1 << (v & 31));
}

function testBit(bits: Uint32Array, v: number): boolean {
  return (bits[v >>> 5] & (1 << (v & 31))) !== 0;
}

/** The divide configuration's divisor (SDM vol. 3 figure 11-10): bits 3,1,0 = n gives 2^(n+1), 111 gives 1. */
function divisor(divide: number): number {
  const n = ((divide >> 1) & 4) | (divide & 3);
  return n === 7 ? 1 : 2 << n;
}

export class LocalApic implements Device<LocalApicState>, InterruptAcknowledge, ApicBusMember {
  readonly name: string;
  private id: number;
  private tpr = 0;
  private ldr = 0;
  private dfr = 0xffffffff;
  private svr = 0xff;
  private esr = 0;
  private pendingErrors = 0;
  private icrLo = 0;
  private icrHi = 0;
  private readonly lvt = new Uint32Array(6);
  private divide = 0;
  private initialCount = 0;
  private periodStartNs = 0;
  private readonly irr = new Uint32Array(8);
  private readonly isr = new Uint32Array(8);
  private readonly tmr = new Uint32Array(8);
  private extIntPending = false;
  private lint0 = false;
  /** The INTR level last driven, so the CPU hears only changes. */
  private intrOut = false;
  private readonly timer: Timer;

  constructor(
    readonly index: number,
    private readonly clock: VirtualClock,
    private readonly bus: ApicBus,
    private readonly pins: ApicCpuPins,
    /** The 8259's INTA cycle, for ExtINT interrupts. */
    private readonly extInt: InterruptAcknowledge,
    /** IA32_APIC_BASE.EN: the APIC is hardware-enabled. */
    private readonly hardwareEnabled: () => boolean,
  ) {
    this.name = `lapic${index}`;
    this.id = index;
    this.timer = clock.createTimer(`${this.name}-timer`, (now) => this.timerExpired(now));
    this.initRegisters();
    bus.attach(this);
  }

  // ---- Bus member ----

  get present(): boolean {
    return this.hardwareEnabled();
  }
  get apicId(): number {
    return this.id;
  }
  get logicalId(): number {
    return this.ldr >>> 24;
  }
  get flatModel(): boolean {
    return (this.dfr >>> 28) === 0xf;
  }
  get taskPriority(): number {
    return this.tpr;
  }

  private get softwareEnabled(): boolean {
    return (this.svr & SVR_ENABLE) !== 0;
  }

  /** A message for this APIC (SDM vol. 3 §11.6.1 delivery modes). */
  receive(m: ApicMessage): void {
    switch (m.mode) {
      case DeliveryMode.Fixed:
      case DeliveryMode.LowestPriority:
        this.accept(m.vector, m.level);
        return;
      case DeliveryMode.Nmi:
        this.pins.nmi();
        return;
      case DeliveryMode.Init:
        this.pins.init();
        return;
      case DeliveryMode.Startup:
        this.pins.startup(m.vector);
        return;
      case DeliveryMode.ExtInt:
        this.extIntPending = true;
        this.update();
        return;
      case DeliveryMode.Smi:
        throw new Unimplemented('an SMI interrupt message (this machine has no system management mode)');
    }
  }

  /** Put a vector in IRR (and TMR for level-triggered ones); vectors 0-15 are illegal (§11.5.2). */
  private accept(vector: number, level: boolean): void {
    if (vector < 16) {
      this.error(ESR_RECEIVE_ILLEGAL_VECTOR);
      return;
    }
    setBit(this.irr, vector, true);
    setBit(this.tmr, vector, level);
    this.update();
  }

  private error(bit: number): void {
    this.pendingErrors |= bit;
    this.localInterrupt(Lvt.Error);
  }

  // ---- Priorities and the CPU's INTR (SDM vol. 3 §11.8.3) ----

  /** Processor priority: TPR, or the in-service vector's class when that is higher (§11.8.3.1). */
  processorPriority(): number {
    const isrv = Math.max(0, highest(this.isr));
    return (this.tpr >> 4) >= (isrv >> 4) ? this.tpr : isrv & 0xf0;
  }

  /** Arbitration priority (§11.8.3.1 for P6-family APR). */
  private arbitrationPriority(): number {
    const top = Math.max(0, highest(this.irr), highest(this.isr));
    return (this.tpr >> 4) >= (top >> 4) ? this.tpr : top & 0xf0;
  }

  /** The highest requested vector whose class beats the processor priority, or -1. */
  private deliverable(): number {
    if (!this.softwareEnabled || !this.hardwareEnabled()) return -1;
    const irrv = highest(this.irr);
    if (irrv < 0 || (irrv >> 4) <= (this.processorPriority() >> 4)) return -1;
    return irrv;
  }

  /** LINT0 carries the 8259's INTR straight through (see the header). */
  private picPassesThrough(): boolean {
    if (!this.hardwareEnabled() || !this.softwareEnabled) return true;
    const l = this.lvt[Lvt.Lint0];
    return (l & LVT_MASKED) === 0 && ((l >> 8) & 7) === DeliveryMode.ExtInt;
  }

  /**
   * What this APIC could still deliver to a halted CPU without the CPU doing
   * anything (src/vmm/wakeSources.ts): a request already pending, the 8259 on
   * LINT0 (passed through, or an unmasked LINT0 entry), its timer.
   */
  wakePaths(): { pending: boolean; lint0: boolean; timer: 'off' | 'masked' | 'armed' } {
    const enabled = this.softwareEnabled && this.hardwareEnabled();
    const lint0Entry = this.lvt[Lvt.Lint0];
    const lint0Mode = (lint0Entry >> 8) & 7;
    const lint0 =
      this.picPassesThrough() ||
      (enabled && (lint0Entry & LVT_MASKED) === 0 && (lint0Mode === DeliveryMode.Fixed || lint0Mode === DeliveryMode.Nmi));
    const timerMasked = !enabled || (this.lvt[Lvt.Timer] & LVT_MASKED) !== 0;
    return {
      pending: this.extIntPending || this.irr.some((w) => w !== 0),
      lint0,
      timer: this.timer.deadline === null ? 'off' : timerMasked ? 'masked' : 'armed',
    };
  }

  private intrLevel(): boolean {
    return this.deliverable() >= 0 || this.extIntPending || (this.lint0 && this.picPassesThrough());
  }

  private update(): void {
    const level = this.intrLevel();
    if (level !== this.intrOut) {
      this.intrOut = level;
      this.pins.setIntr(level);
    }
  }

  /** The CPU's INTA: the vector to take now. */
  acknowledge(): number {
    const v = this.deliverable();
    if (v >= 0) {
      setBit(this.irr, v, false);
      setBit(this.isr, v, true);
      this.update();
      return v;
    }
    if (this.extIntPending || (this.lint0 && this.picPassesThrough())) {
      this.extIntPending = false;
      const vector = this.extInt.acknowledge();
      this.update();
      return vector;
    }
    // The request went away (a TPR raise, a mask) between INTR and INTA: the spurious vector (§11.9).
    this.update();
    return this.svr & 0xff;
  }

  /** The LINT0 input (wired to the 8259's INTR on the bootstrap processor). */
  setLint0(level: boolean): void {
    const rising = level && !this.lint0;
    this.lint0 = level;
    if (rising && !this.picPassesThrough()) this.localInterrupt(Lvt.Lint0);
    this.update();
  }

  /** An LVT source fires: deliver its entry unless masked (fixed, NMI; ExtINT is the LINT0 pass-through). */
  private localInterrupt(entry: Lvt): void {
    const l = this.lvt[entry];
    if ((l & LVT_MASKED) !== 0 || !this.softwareEnabled || !this.hardwareEnabled()) return;
    const mode = entry === Lvt.Timer || entry === Lvt.Error ? DeliveryMode.Fixed : (l >> 8) & 7;
    if (mode === DeliveryMode.Fixed) {
      // The timer and error entries are always edge-triggered; LINT0/1 take their trigger bit.
      this.accept(l & 0xff, (entry === Lvt.Lint0 || entry === Lvt.Lint1) && (l & LVT_LEVEL) !== 0);
    } else if (mode === DeliveryMode.Nmi) {
      this.pins.nmi();
    }
    // SMI and INIT through an LVT entry: no system management mode here and no board wires INIT to a LINT pin.
  }

  private eoi(): void {
    const v = highest(this.isr);
    if (v < 0) return;
    setBit(this.isr, v, false);
    if (testBit(this.tmr, v)) this.bus.onLevelEoi(v);
    this.update();
  }

  // ---- The ICR: sending IPIs (SDM vol. 3 §11.6.1) ----

  private sendIpi(): void {
    const lo = this.icrLo;
    const modeBits = (lo >> 8) & 7;
    // ExtINT and 011 are reserved in the ICR.
    if (modeBits === DeliveryMode.ExtInt || modeBits === 3) throw new Unimplemented(`an IPI with reserved delivery mode ${modeBits}`);
    const mode = modeBits as DeliveryMode;
    const vector = lo & 0xff;
    const level = (lo & (1 << 15)) !== 0;
    // INIT level de-assert (INIT with level 0, level-triggered) only synchronised arbitration IDs on old parts: no effect.
    if (mode === DeliveryMode.Init && level && (lo & (1 << 14)) === 0) return;
    if ((mode === DeliveryMode.Fixed || mode === DeliveryMode.LowestPriority) && vector < 16) {
      this.error(ESR_SEND_ILLEGAL_VECTOR);
      return;
    }
    const message: ApicMessage = { vector, mode, logical: (lo & (1 << 11)) !== 0, destination: this.icrHi >>> 24, level: false };
    const shorthand = ((lo >> 18) & 3) as Shorthand;
    if (shorthand === Shorthand.None) this.bus.deliver(message);
    else this.bus.deliverShorthand(this, shorthand, message);
  }

  // ---- The timer (SDM vol. 3 §11.5.4) ----

  private tickNs(): number {
    return divisor(this.divide) * APIC_TIMER_NS_PER_TICK;
  }

  private startCount(): void {
    this.periodStartNs = this.clock.now();
    if (this.initialCount === 0) this.timer.disarm();
    else this.timer.armAt(this.periodStartNs + this.initialCount * this.tickNs());
  }

  currentCount(): number {
    if (this.initialCount === 0 || this.timer.deadline === null) return 0;
    const ticks = Math.floor((this.clock.now() - this.periodStartNs) / this.tickNs());
    if (this.lvt[Lvt.Timer] & LVT_PERIODIC) return this.initialCount - (ticks % this.initialCount);
    return Math.max(0, this.initialCount - ticks);
  }

  private timerExpired(now: number): void {
    this.localInterrupt(Lvt.Timer);
    if ((this.lvt[Lvt.Timer] & LVT_PERIODIC) === 0 || this.initialCount === 0) return;
    const period = this.initialCount * this.tickNs();
    // Reload; periods missed while nobody looked coalesce into this one interrupt.
    this.periodStartNs += period * Math.max(1, Math.floor((now - this.periodStartNs) / period));
    this.timer.armAt(this.periodStartNs + period);
  }

  /** A new divider applies from now on: the count keeps its value and runs down at the new rate. */
  private setDivide(value: number): void {
    const count = this.currentCount();
    this.divide = value & 0xb;
    if (count === 0) return;
    this.periodStartNs = this.clock.now() - (this.initialCount - count) * this.tickNs();
    this.timer.armAt(this.periodStartNs + this.initialCount * this.tickNs());
  }

  // ---- Registers (SDM vol. 3 table 11-1) ----

  mmioRead(address: number, size: IoSize): number {
    const offset = address & 0xfff;
    const value = (offset & 0xf) >= 4 && size === 4 ? 0 : this.readRegister(offset & 0xff0);
    const shift = (offset & 3) * 8;
    return size === 4 ? value >>> 0 : (value >>> shift) & (size === 2 ? 0xffff : 0xff);
  }

  readRegister(offset: number): number {
    if (offset >= 0x100 && offset < 0x280) {
      const bank = offset < 0x180 ? this.isr : offset < 0x200 ? this.tmr : this.irr;
      return bank[((offset - 0x100) >> 4) & 7];
    }
    if (offset >= 0x320 && offset <= 0x370) return this.lvt[(offset - 0x320) >> 4];
    switch (offset) {
      case 0x20: return (this.id << 24) >>> 0;
      case 0x30: return APIC_VERSION;
      case 0x80: return this.tpr;
      case 0x90: return this.arbitrationPriority();
      case 0xa0: return this.processorPriority();
      case 0xd0: return this.ldr;
      case 0xe0: return this.dfr;
      case 0xf0: return this.svr;
      case 0x280: return this.esr;
      case 0x300: return this.icrLo; // delivery status (bit 12) reads 0: a send completes at once
      case 0x310: return this.icrHi;
      case 0x380: return this.initialCount;
      case 0x390: return this.currentCount();
      case 0x3e0: return this.divide;
      default: return 0; // EOI, remote read and reserved offsets read 0
    }
  }

  mmioWrite(address: number, size: IoSize, value: number): void {
    if (size !== 4) throw new Unimplemented(`a ${size * 8}-bit write to local APIC register ${(address & 0xfff).toString(16)}h (only 32-bit accesses are defined)`);
    if ((address & 0xf) !== 0) return;
    this.writeRegister(address & 0xff0, value >>> 0);
  }

  writeRegister(offset: number, value: number): void {
    if (offset >= 0x320 && offset <= 0x370) {
      this.writeLvt((offset - 0x320) >> 4, value);
      return;
    }
    switch (offset) {
      case 0x20: this.id = value >>> 24; return;
      case 0x80: this.tpr = value & 0xff; break;
      case 0xb0: this.eoi(); return;
      case 0xd0: this.ldr = value & 0xff000000; return;
      case 0xe0: this.dfr = (value | 0x0fffffff) >>> 0; return;
      case 0xf0: this.writeSvr(value); break;
      case 0x280:
        // A write latches the errors seen since the last one (§11.5.3).
        this.esr = this.pendingErrors;
        this.pendingErrors = 0;
        return;
      case 0x300:
        this.icrLo = value & 0x000ccfff;
        this.sendIpi();
        return;
      case 0x310: this.icrHi = value & 0xff000000; return;
      case 0x380:
        this.initialCount = value;
        this.startCount();
        return;
      case 0x3e0: this.setDivide(value); return;
      case 0x30: case 0x90: case 0xa0: case 0xc0: case 0x390:
        return; // read-only
      default:
        if (offset >= 0x100 && offset < 0x280) return; // ISR, TMR, IRR are read-only
        this.error(ESR_ILLEGAL_REGISTER);
        return;
    }
    this.update();
  }

  private writeLvt(entry: Lvt, value: number): void {
    let v = value & LVT_WRITABLE[entry];
    if (entry === Lvt.Timer && (v & LVT_TIMER_MODE) >= LVT_TSC_DEADLINE) {
      throw new Unimplemented('the local APIC timer in TSC-deadline or reserved mode (TSC-deadline is not reported by CPUID)');
    }
    // While software-disabled the mask bits stay set (§11.4.7.2).
    if (!this.softwareEnabled) v |= LVT_MASKED;
    this.lvt[entry] = v;
    this.update();
  }

  private writeSvr(value: number): void {
    this.svr = value & 0x3ff;
    if (!this.softwareEnabled) for (let i = 0; i < 6; i++) this.lvt[i] |= LVT_MASKED;
  }

  // ---- Reset and state ----

  /** Power-on and INIT state (§11.4.7.3): everything but the APIC ID. */
  private initRegisters(): void {
    this.tpr = this.ldr = this.esr = this.pendingErrors = this.icrLo = this.icrHi = 0;
    this.dfr = 0xffffffff;
    this.svr = 0xff;
    this.lvt.fill(LVT_MASKED);
    this.divide = this.initialCount = this.periodStartNs = 0;
    this.irr.fill(0);
    this.isr.fill(0);
    this.tmr.fill(0);
    this.extIntPending = false;
    this.timer.disarm();
    this.update();
  }

  /** An INIT: the registers return to their power-on values except the ID. */
  init(): void {
    this.initRegisters();
  }

  reset(): void {
    this.id = this.index;
    this.initRegisters();
  }

  /** The hardware enable (IA32_APIC_BASE.EN) changed: the PIC pass-through and INTR may change. */
  hardwareEnableChanged(): void {
    this.update();
  }

  saveState(): LocalApicState {
    return {
      id: this.id, tpr: this.tpr, ldr: this.ldr, dfr: this.dfr, svr: this.svr, esr: this.esr,
      pendingErrors: this.pendingErrors, icrLo: this.icrLo, icrHi: this.icrHi, lvt: Array.from(this.lvt),
      divide: this.divide, initialCount: this.initialCount, periodStartNs: this.periodStartNs,
      timer: this.timer.saveState(), irr: Array.from(this.irr), isr: Array.from(this.isr), tmr: Array.from(this.tmr),
      extIntPending: this.extIntPending, lint0: this.lint0,
    };
  }

  loadState(s: LocalApicState): void {
    this.id = s.id;
    this.tpr = s.tpr;
    this.ldr = s.ldr;
    this.dfr = s.dfr;
    this.svr = s.svr;
    this.esr = s.esr;
    this.pendingErrors = s.pendingErrors;
    this.icrLo = s.icrLo;
    this.icrHi = s.icrHi;
    this.lvt.set(s.lvt);
    this.divide = s.divide;
    this.initialCount = s.initialCount;
    this.periodStartNs = s.periodStartNs;
    this.timer.loadState(s.timer);
    this.irr.set(s.irr);
    this.isr.set(s.isr);
    this.tmr.set(s.tmr);
    this.extIntPending = s.extIntPending;
    this.lint0 = s.lint0;
    // Drive the CPU's INTR to the restored level whatever it was.
    this.intrOut = this.intrLevel();
    this.pins.setIntr(this.intrOut);
  }
}
