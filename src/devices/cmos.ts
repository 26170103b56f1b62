// The MC146818 real-time clock and its 128 bytes of CMOS RAM at ports
// 0x70 (index; bit 7 masks NMI) and 0x71 (data), interrupting on IRQ8.
//
// Time is virtual. The clock shows a configurable start time (by default a
// fixed date, so runs are reproducible) plus the guest time elapsed on the
// VirtualClock. The time registers are computed when read, in BCD or binary
// and 12/24-hour form as register B says at that moment; the alarm registers
// and everything from 0x0E up are plain RAM.
//
// Register C's flags are collected lazily from the clock: a periodic flag for
// every boundary of the register A rate (on the 32.768 kHz divider chain,
// which runs from guest time 0), an update-ended flag at every guest second.
// Timers are armed only while the matching interrupt is enabled.
//
// Simplifications: the day-of-week register is derived from the date (writes
// to it are ignored); the divider-control bits of register A are stored but
// do not stop the clock; when the alarm interrupt is disabled, the alarm flag
// only reflects a match with the second current when register C is read.

import type { Device, IoSize, IrqLine, PortHandler } from './bus';
import type { Timer, TimerState, VirtualClock } from './clock';

export const RTC_REGISTER_A = 0x0a;
export const RTC_REGISTER_B = 0x0b;
export const RTC_REGISTER_C = 0x0c;
export const RTC_REGISTER_D = 0x0d;

/** Register B bits. */
const B_SET = 0x80;
const B_PIE = 0x40;
const B_AIE = 0x20;
const B_UIE = 0x10;
const B_BINARY = 0x04;
const B_24_HOUR = 0x02;
/** Register C bits. */
const C_IRQF = 0x80;
const C_PF = 0x40;
const C_AF = 0x20;
const C_UF = 0x10;

const NS_PER_SECOND = 1e9;
const DIVIDER_HZ = 32768;
/** UIP rises 244 µs before the 1984 µs update cycle, at whose end the registers change. */
const UIP_WINDOW_NS = 244_000 + 1_984_000;

/** CMOS RAM locations the firmware reads. */
export const CMOS_FLOPPY_TYPES = 0x10;
export const CMOS_EQUIPMENT = 0x14;
export const CMOS_BASE_MEMORY_LOW = 0x15;
export const CMOS_EXTENDED_MEMORY_LOW = 0x17;
export const CMOS_CHECKSUM_HIGH = 0x2e;
export const CMOS_EXTENDED_MEMORY_LOW_ALT = 0x30;
export const CMOS_CENTURY = 0x32;
export const CMOS_HIGH_MEMORY_LOW = 0x34;
/** 64 KiB blocks above 4 GiB, bytes 0x5B-0x5D (as SeaBIOS and QEMU use them). */
export const CMOS_ABOVE_4G_LOW = 0x5b;

/** Floppy drive types for byte 0x10. */
export enum FloppyType {
  None = 0,
  Kb360 = 1,
  Mb1_2 = 2,
  Kb720 = 3,
  Mb1_44 = 4,
  Mb2_88 = 5,
}

/** The default start time: 2026-01-01 00:00:00 UTC, in Unix seconds. */
export const DEFAULT_RTC_START_SECONDS = Date.UTC(2026, 0, 1) / 1000;

export interface CmosRtcOptions {
  /** Start time: Unix seconds, a Date, or 'host' to start from the host's clock (not reproducible). */
  startTime?: number | Date | 'host';
}

export interface CmosRtcState {
  ram: number[];
  index: number;
  nmiDisabled: boolean;
  /** Unix seconds shown at `baseNs`. */
  baseSeconds: number;
  /** Guest time at which `baseSeconds` began; the clock ticks at baseNs + k seconds. */
  baseNs: number;
  /** Register C flags collected so far (PF/AF/UF). */
  flags: number;
  /** Guest time up to which flags have been collected. */
  flagsCollectedNs: number;
  irqHigh: boolean;
  periodicTimer: TimerState;
  updateTimer: TimerState;
}

export interface CmosRtcView {
  time: string;
  index: number;
  nmiDisabled: boolean;
  registerA: number;
  registerB: number;
  pendingFlags: number;
  periodicHz: number | null;
  binary: boolean;
  hour24: boolean;
  halted: boolean;
  irq8High: boolean;
}

function toBcd(value: number): number {
  return ((Math.floor(value / 10) % 10) << 4) | value % 10;
}

function fromBcd(value: number): number {
  return (value >> 4) * 10 + (value & 0xf);
}

function divider32kAt(ns: number): number {
  const seconds = Math.floor(ns / NS_PER_SECOND);
  const rest = ns - seconds * NS_PER_SECOND;
  return seconds * DIVIDER_HZ + Math.floor((rest * DIVIDER_HZ) / NS_PER_SECOND);
}

function divider32kStartNs(tick: number): number {
  const seconds = Math.floor(tick / DIVIDER_HZ);
  const rest = tick - seconds * DIVIDER_HZ;
  return seconds * NS_PER_SECOND + Math.ceil((rest * NS_PER_SECOND) / DIVIDER_HZ);
}

/** The periodic interrupt period in 32.768 kHz clocks for register A's rate select, or 0 for none. */
export function periodicRateClocks(rateSelect: number): number {
  rateSelect &= 0x0f;
  if (rateSelect === 0) return 0;
  // Rates 1 and 2 repeat rates 8 and 9 with the 32.768 kHz time base.
  if (rateSelect < 3) rateSelect += 7;
  return 1 << (rateSelect - 1);
}

/** The time registers 0x00-0x09 that follow the clock (the alarm bytes 1, 3, 5 are RAM). */
const TIME_REGISTERS = new Set([0x00, 0x02, 0x04, 0x06, 0x07, 0x08, 0x09, CMOS_CENTURY]);

export class CmosRtc implements Device<CmosRtcState>, PortHandler {
  readonly name = 'cmos';
  readonly ports: readonly number[] = [0x70, 0x71];

  private state: CmosRtcState;
  private readonly periodicTimer: Timer;
  private readonly updateTimer: Timer;

  constructor(
    private readonly clock: VirtualClock,
    private readonly irq8: IrqLine,
    options: CmosRtcOptions = {},
  ) {
    const start = options.startTime ?? DEFAULT_RTC_START_SECONDS;
    let startSeconds: number;
    if (start === 'host') startSeconds = Math.floor(Date.now() / 1000);
    else if (start instanceof Date) startSeconds = Math.floor(start.getTime() / 1000);
    else startSeconds = Math.floor(start);
    const ram = new Array<number>(128).fill(0);
    ram[RTC_REGISTER_A] = 0x26; // 32.768 kHz time base, 1024 Hz periodic rate
    ram[RTC_REGISTER_B] = B_24_HOUR; // BCD, 24-hour
    ram[RTC_REGISTER_D] = 0x80;
    this.state = {
      ram,
      index: 0,
      nmiDisabled: false,
      baseSeconds: startSeconds,
      baseNs: clock.now(),
      flags: 0,
      flagsCollectedNs: clock.now(),
      irqHigh: false,
      periodicTimer: { deadline: null },
      updateTimer: { deadline: null },
    };
    this.periodicTimer = clock.createTimer('rtc-periodic', (now) => this.onTimer(now));
    this.updateTimer = clock.createTimer('rtc-update', (now) => this.onTimer(now));
    this.updateChecksum();
  }

  /**
   * A RESET of the chip (system reset): the interrupt enables and flags clear;
   * the time and the battery-backed RAM stay.
   */
  reset(): void {
    const s = this.state;
    s.ram[RTC_REGISTER_B] = (s.ram[RTC_REGISTER_B] ?? 0) & ~(B_PIE | B_AIE | B_UIE | 0x08);
    s.flags = 0;
    s.flagsCollectedNs = this.clock.now();
    s.index = 0;
    s.nmiDisabled = false;
    this.updateIrq();
    this.rearm();
  }

  /** Whether the last index write masked NMI (bit 7 of port 0x70). */
  get nmiMasked(): boolean {
    return this.state.nmiDisabled;
  }

  private registerB(): number {
    return this.state.ram[RTC_REGISTER_B] ?? 0;
  }

  private halted(): boolean {
    return (this.registerB() & B_SET) !== 0;
  }

  /** The Unix second the clock shows at guest time `now`. */
  currentSeconds(now = this.clock.now()): number {
    const s = this.state;
    if (this.halted()) return s.baseSeconds;
    return s.baseSeconds + Math.floor((now - s.baseNs) / NS_PER_SECOND);
  }

  /** Guest time at which the second in progress at `now` began. */
  private secondStartNs(now: number): number {
    const s = this.state;
    return s.baseNs + Math.floor((now - s.baseNs) / NS_PER_SECOND) * NS_PER_SECOND;
  }

  // ---- time register encoding ----

  private encode(value: number): number {
    return this.registerB() & B_BINARY ? value : toBcd(value);
  }

  private decode(value: number): number {
    return this.registerB() & B_BINARY ? value : fromBcd(value);
  }

  private encodeHour(hour: number): number {
    if (this.registerB() & B_24_HOUR) return this.encode(hour);
    const twelve = hour % 12 === 0 ? 12 : hour % 12;
    return this.encode(twelve) | (hour >= 12 ? 0x80 : 0);
  }

  private decodeHour(raw: number): number {
    if (this.registerB() & B_24_HOUR) return this.decode(raw);
    const twelve = this.decode(raw & 0x7f) % 12;
    return twelve + (raw & 0x80 ? 12 : 0);
  }

  /** The time registers (index -> raw byte) for Unix second `seconds`. */
  private timeRegisters(seconds: number): Map<number, number> {
    const date = new Date(seconds * 1000);
    const year = date.getUTCFullYear();
    return new Map([
      [0x00, this.encode(date.getUTCSeconds())],
      [0x02, this.encode(date.getUTCMinutes())],
      [0x04, this.encodeHour(date.getUTCHours())],
      [0x06, this.encode(date.getUTCDay() + 1)],
      [0x07, this.encode(date.getUTCDate())],
      [0x08, this.encode(date.getUTCMonth() + 1)],
      [0x09, this.encode(year % 100)],
      [CMOS_CENTURY, this.encode(Math.floor(year / 100))],
    ]);
  }

  private secondsFromRegisters(regs: Map<number, number>): number {
    const reg = (i: number): number => regs.get(i) ?? 0;
    const year = this.decode(reg(CMOS_CENTURY)) * 100 + this.decode(reg(0x09));
    const ms = Date.UTC(
      year,
      this.decode(reg(0x08)) - 1,
      this.decode(reg(0x07)),
      this.decodeHour(reg(0x04)),
      this.decode(reg(0x02)),
      this.decode(reg(0x00)),
    );
    return Number.isFinite(ms) ? Math.floor(ms / 1000) : this.state.baseSeconds;
  }

  private writeTimeRegister(index: number, value: number, now: number): void {
    const s = this.state;
    const regs = this.timeRegisters(this.currentSeconds(now));
    if (index === 0x06) return; // day of week follows the date
    regs.set(index, value);
    const seconds = this.secondsFromRegisters(regs);
    if (!this.halted()) s.baseNs = this.secondStartNs(now);
    s.baseSeconds = seconds;
    this.rearm();
  }

  // ---- flags and interrupts ----

  /** Set register C flags for the events in (flagsCollectedNs, now]. */
  private collectFlags(now: number): void {
    const s = this.state;
    const from = s.flagsCollectedNs;
    if (now <= from) return;
    const period = periodicRateClocks(s.ram[RTC_REGISTER_A] ?? 0);
    if (period !== 0 && Math.floor(divider32kAt(now) / period) > Math.floor(divider32kAt(from) / period)) {
      s.flags |= C_PF;
    }
    if (!this.halted()) {
      const secondsThen = Math.floor((from - s.baseNs) / NS_PER_SECOND);
      const secondsNow = Math.floor((now - s.baseNs) / NS_PER_SECOND);
      if (secondsNow > secondsThen) {
        s.flags |= C_UF;
        if (this.alarmMatches(this.currentSeconds(now))) s.flags |= C_AF;
      }
    }
    s.flagsCollectedNs = now;
  }

  private alarmMatches(seconds: number): boolean {
    const ram = this.state.ram;
    const now = this.timeRegisters(seconds);
    const pairs: Array<[number, number]> = [
      [0x01, 0x00],
      [0x03, 0x02],
      [0x05, 0x04],
    ];
    for (const [alarm, time] of pairs) {
      const wanted = ram[alarm] ?? 0;
      if ((wanted & 0xc0) === 0xc0) continue; // "don't care"
      if (wanted !== now.get(time)) return false;
    }
    return true;
  }

  private registerC(): number {
    const s = this.state;
    const pending = s.flags & this.registerB() & (C_PF | C_AF | C_UF);
    return s.flags | (pending ? C_IRQF : 0);
  }

  private updateIrq(): void {
    const level = (this.registerC() & C_IRQF) !== 0;
    if (level === this.state.irqHigh) return;
    this.state.irqHigh = level;
    this.irq8.setLevel(level);
  }

  private rearm(): void {
    const s = this.state;
    const now = this.clock.now();
    const b = this.registerB();
    const period = periodicRateClocks(s.ram[RTC_REGISTER_A] ?? 0);
    if (b & B_PIE && period !== 0) {
      const next = (Math.floor(divider32kAt(now) / period) + 1) * period;
      this.periodicTimer.armAt(divider32kStartNs(next));
    } else {
      this.periodicTimer.disarm();
    }
    if (b & (B_UIE | B_AIE) && !this.halted()) {
      this.updateTimer.armAt(this.secondStartNs(now) + NS_PER_SECOND);
    } else {
      this.updateTimer.disarm();
    }
  }

  private onTimer(now: number): void {
    this.collectFlags(now);
    this.updateIrq();
    this.rearm();
  }

  // ---- ports ----

  ioRead(port: number, _size: IoSize): number {
    if (port !== 0x71) return 0xff;
    return this.readRegister(this.state.index);
  }

  ioWrite(port: number, _size: IoSize, value: number): void {
    value &= 0xff;
    if (port === 0x70) {
      this.state.index = value & 0x7f;
      this.state.nmiDisabled = (value & 0x80) !== 0;
      return;
    }
    if (port === 0x71) this.writeRegister(this.state.index, value);
  }

  /** Read CMOS register `index` as the guest would (register C reads clear it). */
  readRegister(index: number): number {
    const s = this.state;
    const now = this.clock.now();
    index &= 0x7f;
    if (TIME_REGISTERS.has(index)) {
      return this.timeRegisters(this.currentSeconds(now)).get(index) ?? 0;
    }
    switch (index) {
      case RTC_REGISTER_A: {
        const phase = (now - s.baseNs) % NS_PER_SECOND;
        const uip = !this.halted() && phase >= NS_PER_SECOND - UIP_WINDOW_NS;
        return ((s.ram[RTC_REGISTER_A] ?? 0) & 0x7f) | (uip ? 0x80 : 0);
      }
      case RTC_REGISTER_C: {
        this.collectFlags(now);
        const value = this.registerC();
        s.flags = 0;
        this.updateIrq();
        return value;
      }
      case RTC_REGISTER_D:
        return 0x80; // valid RAM and time: the battery is fine
      default:
        return s.ram[index] ?? 0;
    }
  }

  /** Write CMOS register `index` as the guest would. */
  writeRegister(index: number, value: number): void {
    const s = this.state;
    const now = this.clock.now();
    index &= 0x7f;
    value &= 0xff;
    if (TIME_REGISTERS.has(index)) {
      this.writeTimeRegister(index, value, now);
      return;
    }
    switch (index) {
      case RTC_REGISTER_A:
        this.collectFlags(now);
        s.ram[RTC_REGISTER_A] = value & 0x7f;
        this.rearm();
        return;
      case RTC_REGISTER_B: {
        this.collectFlags(now);
        const wasHalted = this.halted();
        const seconds = this.currentSeconds(now);
        // SET stops the updates and clears UIE.
        if (value & B_SET) value &= ~B_UIE;
        s.ram[RTC_REGISTER_B] = value;
        if (this.halted() && !wasHalted) {
          s.baseSeconds = seconds;
        } else if (!this.halted() && wasHalted) {
          // The first update comes one second after SET is cleared.
          s.baseNs = now;
        }
        this.updateIrq();
        this.rearm();
        return;
      }
      case RTC_REGISTER_C:
      case RTC_REGISTER_D:
        return; // read-only
      default:
        s.ram[index] = value;
    }
  }

  // ---- board setup API ----

  /** Raw CMOS RAM byte (no side effects), for the board and the debugger. */
  getByte(index: number): number {
    return this.state.ram[index & 0x7f] ?? 0;
  }

  /** Set a configuration byte directly, keeping the 0x10-0x2D checksum valid. */
  setByte(index: number, value: number): void {
    this.state.ram[index & 0x7f] = value & 0xff;
    if (index >= 0x10 && index <= 0x2d) this.updateChecksum();
  }

  private setWord(index: number, value: number): void {
    this.setByte(index, value & 0xff);
    this.setByte(index + 1, (value >> 8) & 0xff);
  }

  /** Conventional memory in KiB (bytes 0x15/0x16), normally 640. */
  setBaseMemoryKiB(kib: number): void {
    this.setWord(CMOS_BASE_MEMORY_LOW, Math.min(kib, 640));
  }

  /** Memory above 1 MiB in KiB (bytes 0x17/0x18 and 0x30/0x31), capped at 0xFFFF. */
  setExtendedMemoryKiB(kib: number): void {
    const capped = Math.max(0, Math.min(kib, 0xffff));
    this.setWord(CMOS_EXTENDED_MEMORY_LOW, capped);
    this.setWord(CMOS_EXTENDED_MEMORY_LOW_ALT, capped);
  }

  /** Memory above 16 MiB (below 4 GiB) in 64 KiB blocks (bytes 0x34/0x35). */
  setHighMemoryBlocks(blocks: number): void {
    this.setWord(CMOS_HIGH_MEMORY_LOW, Math.max(0, Math.min(blocks, 0xffff)));
  }

  /** Fill every memory-size byte for a machine with `belowFourGiB` bytes of low RAM and `aboveFourGiB` above 4 GiB. */
  setMemorySize(belowFourGiB: number, aboveFourGiB = 0): void {
    const mib = 1024 * 1024;
    this.setBaseMemoryKiB(640);
    this.setExtendedMemoryKiB(Math.floor(Math.max(0, belowFourGiB - mib) / 1024));
    this.setHighMemoryBlocks(Math.floor(Math.max(0, belowFourGiB - 16 * mib) / 65536));
    const blocksAbove4g = Math.floor(aboveFourGiB / 65536);
    this.setByte(CMOS_ABOVE_4G_LOW, blocksAbove4g & 0xff);
    this.setByte(CMOS_ABOVE_4G_LOW + 1, (blocksAbove4g >> 8) & 0xff);
    this.setByte(CMOS_ABOVE_4G_LOW + 2, (blocksAbove4g >> 16) & 0xff);
  }

  /** Floppy drive types (byte 0x10: drive A in the high nibble). */
  setFloppyTypes(driveA: FloppyType, driveB: FloppyType = FloppyType.None): void {
    this.setByte(CMOS_FLOPPY_TYPES, ((driveA & 0xf) << 4) | (driveB & 0xf));
  }

  /** The equipment byte 0x14 (bits 7-6 floppy count - 1, bit 0 floppy present, bits 5-4 display, bit 1 FPU). */
  setEquipmentByte(value: number): void {
    this.setByte(CMOS_EQUIPMENT, value);
  }

  /** Recompute the checksum over 0x10-0x2D into 0x2E (high byte) and 0x2F (low byte). */
  updateChecksum(): void {
    let sum = 0;
    for (let i = 0x10; i <= 0x2d; i++) sum += this.state.ram[i] ?? 0;
    this.state.ram[CMOS_CHECKSUM_HIGH] = (sum >> 8) & 0xff;
    this.state.ram[CMOS_CHECKSUM_HIGH + 1] = sum & 0xff;
  }

  /** Set the clock to Unix second `seconds`, starting a fresh second now. */
  setTime(seconds: number): void {
    this.state.baseSeconds = Math.floor(seconds);
    this.state.baseNs = this.clock.now();
    this.rearm();
  }

  // ---- state ----

  saveState(): CmosRtcState {
    return {
      ...this.state,
      ram: [...this.state.ram],
      periodicTimer: this.periodicTimer.saveState(),
      updateTimer: this.updateTimer.saveState(),
    };
  }

  loadState(state: CmosRtcState): void {
    this.state = { ...state, ram: [...state.ram] };
    this.irq8.setLevel(state.irqHigh);
    this.periodicTimer.loadState(state.periodicTimer);
    this.updateTimer.loadState(state.updateTimer);
  }

  describe(): CmosRtcView {
    const s = this.state;
    const period = periodicRateClocks(s.ram[RTC_REGISTER_A] ?? 0);
    return {
      time: new Date(this.currentSeconds() * 1000).toISOString().replace('.000Z', 'Z'),
      index: s.index,
      nmiDisabled: s.nmiDisabled,
      registerA: s.ram[RTC_REGISTER_A] ?? 0,
      registerB: this.registerB(),
      pendingFlags: s.flags,
      periodicHz: period === 0 ? null : DIVIDER_HZ / period,
      binary: (this.registerB() & B_BINARY) !== 0,
      hour24: (this.registerB() & B_24_HOUR) !== 0,
      halted: this.halted(),
      irq8High: s.irqHigh,
    };
  }
}
