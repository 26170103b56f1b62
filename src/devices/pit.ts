// The 8254 programmable interval timer: three 16-bit down-counters clocked at
// 1.193182 MHz, ports 0x40-0x42 (counters) and 0x43 (control word), plus the
// PC's "port B" at 0x61, which gates counter 2, enables the speaker and
// reads back counter 2's output and the DRAM refresh toggle.
//
// Nothing runs per PIT clock. Each counter remembers the PIT tick at which its
// counting element was loaded; its value and OUT level at any moment are
// computed from the VirtualClock's time when the guest reads them. A Timer is
// armed only for the rising edges of counter 0's OUT, which is IRQ0.
//
// Modes follow the Intel 8254 datasheet (the counting element is loaded on
// the first clock after the count is written; mode 0 OUT rises N+1 clocks
// after the write; modes 2 and 3 are periodic with period N; gate low pauses
// modes 0 and 4, stops modes 2 and 3 with OUT high, and a rising gate restarts
// modes 1, 2, 3 and 5). Simplifications, all invisible to the usual users
// (BIOS, Linux, bootloaders):
// - A new count written in modes 2/3 without a new control word restarts the
//   period at once instead of waiting for the current period to end.
// - Mode 3 with an odd count reads the even values of the next lower count.
// - IRQ0 in periodic modes is a pulse at each rising edge of OUT (the PIC
//   latches edges); mode 0/1 OUT is driven as a real level.

import type { Device, IoSize, IrqLine, PortHandler } from './bus';
import type { TimerState, VirtualClock, Timer } from './clock';

/** The PIT's input clock in Hz. */
export const PIT_FREQUENCY_HZ = 1193182;
const NS_PER_SECOND = 1e9;
/** The DRAM refresh request seen at port 0x61 bit 4 toggles every 15.085 µs. */
const REFRESH_TOGGLE_NS = 15085;

/** The PIT tick in progress at guest time `ns` (exact for any safe-integer time). */
export function pitTickAt(ns: number): number {
  const seconds = Math.floor(ns / NS_PER_SECOND);
  const rest = ns - seconds * NS_PER_SECOND;
  return seconds * PIT_FREQUENCY_HZ + Math.floor((rest * PIT_FREQUENCY_HZ) / NS_PER_SECOND);
}

/** The earliest guest time in ns at which PIT tick `tick` has begun. */
export function pitTickStartNs(tick: number): number {
  const seconds = Math.floor(tick / PIT_FREQUENCY_HZ);
  const rest = tick - seconds * PIT_FREQUENCY_HZ;
  return seconds * NS_PER_SECOND + Math.ceil((rest * NS_PER_SECOND) / PIT_FREQUENCY_HZ);
}

export interface PitChannelState {
  mode: number;
  /** 1 = LSB only, 2 = MSB only, 3 = LSB then MSB. */
  accessMode: number;
  bcd: boolean;
  /** The count register (initial count) as written; 0 means the maximum. */
  reload: number;
  /** A complete initial count has been written since the last control word. */
  countLoaded: boolean;
  /** The counting element is loaded (or loads at startTick) and `startTick` is meaningful. */
  counting: boolean;
  /** PIT tick at which the counting element holds the initial count (elapsed = 0). */
  startTick: number;
  /** Elapsed clocks frozen while the gate holds the counter; null when running. */
  pausedElapsed: number | null;
  /** The counting element's value while not counting. */
  heldValue: number;
  /** LSB/MSB access: the next write is the MSB. */
  writeHighNext: boolean;
  lowByteWritten: number;
  /** LSB/MSB access: the next unlatched read returns the MSB. */
  readHighNext: boolean;
  /** Latched count (counter latch or read-back), or null. */
  latchedCount: number | null;
  /** With LSB/MSB access, the MSB of the latched count is next. */
  latchedHighNext: boolean;
  /** Latched status byte (read-back), or null. */
  latchedStatus: number | null;
  gate: boolean;
}

export interface PitState {
  channels: PitChannelState[];
  /** Port 0x61 bits 0-3 as written. */
  portB: number;
  irq0High: boolean;
  irq0Timer: TimerState;
}

export interface PitChannelView {
  mode: number;
  access: 'latch' | 'lsb' | 'msb' | 'lsb/msb';
  bcd: boolean;
  initialCount: number;
  count: number;
  out: boolean;
  gate: boolean;
  nullCount: boolean;
  latchedCount: number | null;
  latchedStatus: number | null;
}

export interface PitView {
  channels: PitChannelView[];
  speakerGate: boolean;
  speakerDataEnable: boolean;
  irq0High: boolean;
  nextIrq0Ns: number | null;
}

const ACCESS_NAMES = ['latch', 'lsb', 'msb', 'lsb/msb'] as const;

function toBcd(value: number): number {
  let result = 0;
  for (let shift = 0; shift < 16; shift += 4) {
    result |= (value % 10) << shift;
    value = Math.floor(value / 10);
  }
  return result;
}

function fromBcd(value: number): number {
  return (value & 0xf) + ((value >> 4) & 0xf) * 10 + ((value >> 8) & 0xf) * 100 + ((value >> 12) & 0xf) * 1000;
}

function initialChannel(gate: boolean): PitChannelState {
  return {
    mode: 0,
    accessMode: 3,
    bcd: false,
    reload: 0,
    countLoaded: false,
    counting: false,
    startTick: 0,
    pausedElapsed: null,
    heldValue: 0,
    writeHighNext: false,
    lowByteWritten: 0,
    readHighNext: false,
    latchedCount: null,
    latchedHighNext: false,
    latchedStatus: null,
    gate,
  };
}

export class Pit8254 implements Device<PitState>, PortHandler {
  readonly name = 'pit';
  readonly ports: readonly number[] = [0x40, 0x41, 0x42, 0x43, 0x61];

  private channels: PitChannelState[] = [initialChannel(true), initialChannel(true), initialChannel(false)];
  private portB = 0;
  private irq0High = false;
  private readonly irq0Timer: Timer;

  constructor(
    private readonly clock: VirtualClock,
    private readonly irq0: IrqLine,
  ) {
    this.irq0Timer = clock.createTimer('pit-irq0', (now) => this.onIrq0Edge(now));
  }

  reset(): void {
    this.channels = [initialChannel(true), initialChannel(true), initialChannel(false)];
    this.portB = 0;
    this.setIrq0(false);
    this.irq0Timer.disarm();
  }

  private tick(): number {
    return pitTickAt(this.clock.now());
  }

  /** The initial count as a number of clocks (0 is the maximum). */
  private period(ch: PitChannelState): number {
    if (ch.reload !== 0) return ch.bcd ? Math.max(1, fromBcd(ch.reload)) : ch.reload;
    return ch.bcd ? 10000 : 0x10000;
  }

  /** Clocks counted since the counting element was loaded; negative before that; null if not counting. */
  private elapsed(ch: PitChannelState, tick: number): number | null {
    if (!ch.counting) return null;
    if (ch.pausedElapsed !== null) return ch.pausedElapsed;
    return tick - ch.startTick;
  }

  /** The counting element's value in counting units (binary, before BCD encoding). */
  private countValue(ch: PitChannelState, tick: number): number {
    const e = this.elapsed(ch, tick);
    if (e === null) return ch.heldValue;
    const n = this.period(ch);
    const modulus = ch.bcd ? 10000 : 0x10000;
    if (e < 0) return n % modulus;
    switch (ch.mode) {
      case 2:
        return n - (e % n);
      case 3: {
        const highClocks = Math.ceil(n / 2);
        const phase = e % n;
        const inHalf = phase < highClocks ? phase : phase - highClocks;
        return Math.max(2, (n & ~1) - 2 * inHalf) % modulus;
      }
      default:
        // Modes 0, 1, 4, 5 count down through zero and wrap around.
        return (((n - e) % modulus) + modulus) % modulus;
    }
  }

  private outLevel(ch: PitChannelState, tick: number): boolean {
    const e = this.elapsed(ch, tick);
    const n = this.period(ch);
    switch (ch.mode) {
      case 0:
        return e !== null && e >= n;
      case 1:
        return e === null || e < 0 || e >= n;
      case 2:
        if (e === null || e < 0 || !ch.gate) return true;
        return e % n !== n - 1;
      case 3:
        if (e === null || e < 0 || !ch.gate) return true;
        return e % n < Math.ceil(n / 2);
      default:
        // Modes 4 and 5: a one-clock low pulse at terminal count.
        return e !== n;
    }
  }

  private nullCount(ch: PitChannelState, tick: number): boolean {
    return !ch.counting || (ch.pausedElapsed === null && tick < ch.startTick);
  }

  private statusByte(ch: PitChannelState, tick: number): number {
    return (
      (this.outLevel(ch, tick) ? 0x80 : 0) |
      (this.nullCount(ch, tick) ? 0x40 : 0) |
      (ch.accessMode << 4) |
      (ch.mode << 1) |
      (ch.bcd ? 1 : 0)
    );
  }

  /** The value as the guest reads it (BCD-encoded when in BCD mode). */
  private encodedCount(ch: PitChannelState, tick: number): number {
    const value = this.countValue(ch, tick) & 0xffff;
    return ch.bcd ? toBcd(value) : value;
  }

  // ---- counter 0 -> IRQ0 ----

  private setIrq0(high: boolean): void {
    if (high === this.irq0High) return;
    this.irq0High = high;
    this.irq0.setLevel(high);
  }

  /** The first tick after `afterTick` at which counter 0's OUT rises, or null. */
  private nextRisingEdge(ch: PitChannelState, afterTick: number): number | null {
    if (!ch.counting || ch.pausedElapsed !== null) return null;
    const n = this.period(ch);
    let edge: number;
    switch (ch.mode) {
      case 0:
      case 1:
        edge = ch.startTick + n;
        break;
      case 2:
      case 3: {
        if (!ch.gate) return null;
        const e = afterTick - ch.startTick;
        edge = ch.startTick + Math.max(1, Math.floor(e / n) + 1) * n;
        break;
      }
      default:
        edge = ch.startTick + n + 1;
    }
    return edge > afterTick ? edge : null;
  }

  private scheduleIrq0(afterTick: number): void {
    const edge = this.nextRisingEdge(this.channels[0] as PitChannelState, afterTick);
    if (edge === null) this.irq0Timer.disarm();
    else this.irq0Timer.armAt(pitTickStartNs(edge));
  }

  private onIrq0Edge(now: number): void {
    const ch = this.channels[0] as PitChannelState;
    const tick = pitTickAt(now);
    if (ch.mode === 0 || ch.mode === 1) {
      this.setIrq0(true);
    } else {
      // Periodic and strobe modes: OUT rises after a short low phase; give the PIC one edge.
      this.setIrq0(false);
      this.irq0.setLevel(true);
      this.irq0.setLevel(false);
    }
    this.scheduleIrq0(tick);
  }

  // ---- programming ----

  private writeControlWord(value: number, tick: number): void {
    const select = value >> 6;
    if (select === 3) {
      this.readBack(value, tick);
      return;
    }
    const ch = this.channels[select] as PitChannelState;
    const access = (value >> 4) & 3;
    if (access === 0) {
      if (ch.latchedCount === null) {
        ch.latchedCount = this.encodedCount(ch, tick);
        ch.latchedHighNext = false;
      }
      return;
    }
    ch.heldValue = this.countValue(ch, tick);
    ch.accessMode = access;
    let mode = (value >> 1) & 7;
    if (mode > 5) mode -= 4; // modes 6 and 7 are aliases of 2 and 3
    ch.mode = mode;
    ch.bcd = (value & 1) !== 0;
    ch.countLoaded = false;
    ch.counting = false;
    ch.pausedElapsed = null;
    ch.writeHighNext = false;
    ch.readHighNext = false;
    ch.latchedCount = null;
    ch.latchedStatus = null;
    if (select === 0) {
      // OUT goes to its initial state: low in mode 0, high otherwise.
      this.setIrq0(false);
      this.scheduleIrq0(tick);
    }
  }

  private readBack(value: number, tick: number): void {
    for (let i = 0; i < 3; i++) {
      if ((value & (2 << i)) === 0) continue;
      const ch = this.channels[i] as PitChannelState;
      if ((value & 0x20) === 0 && ch.latchedCount === null) {
        ch.latchedCount = this.encodedCount(ch, tick);
        ch.latchedHighNext = false;
      }
      if ((value & 0x10) === 0 && ch.latchedStatus === null) {
        ch.latchedStatus = this.statusByte(ch, tick);
      }
    }
  }

  private writeCounter(index: number, value: number, tick: number): void {
    const ch = this.channels[index] as PitChannelState;
    switch (ch.accessMode) {
      case 1:
        this.loadCount(index, value, tick);
        return;
      case 2:
        this.loadCount(index, value << 8, tick);
        return;
      default:
        if (!ch.writeHighNext) {
          ch.lowByteWritten = value;
          ch.writeHighNext = true;
          if (ch.mode === 0) {
            // Mode 0: writing the first byte stops the count and drops OUT.
            ch.heldValue = this.countValue(ch, tick);
            ch.counting = false;
            if (index === 0) {
              this.setIrq0(false);
              this.scheduleIrq0(tick);
            }
          }
          return;
        }
        ch.writeHighNext = false;
        this.loadCount(index, ch.lowByteWritten | (value << 8), tick);
    }
  }

  private loadCount(index: number, count: number, tick: number): void {
    const ch = this.channels[index] as PitChannelState;
    ch.reload = count & 0xffff;
    ch.countLoaded = true;
    // Modes 1 and 5 wait for a gate trigger.
    if (ch.mode === 1 || ch.mode === 5) {
      if (index === 0) this.scheduleIrq0(tick);
      return;
    }
    ch.counting = true;
    ch.startTick = tick + 1;
    const gatePauses = ch.mode === 0 || ch.mode === 4 || ch.mode === 2 || ch.mode === 3;
    ch.pausedElapsed = gatePauses && !ch.gate ? 0 : null;
    if (index === 0) {
      if (ch.mode === 0) this.setIrq0(false);
      this.scheduleIrq0(tick);
    }
  }

  private setGate(index: number, high: boolean, tick: number): void {
    const ch = this.channels[index] as PitChannelState;
    if (ch.gate === high) return;
    ch.gate = high;
    switch (ch.mode) {
      case 0:
      case 4:
        if (!ch.counting) break;
        if (!high) {
          ch.pausedElapsed = Math.max(0, tick - ch.startTick);
        } else if (ch.pausedElapsed !== null) {
          ch.startTick = tick - ch.pausedElapsed;
          ch.pausedElapsed = null;
        }
        break;
      case 2:
      case 3:
        if (!ch.countLoaded) break;
        if (!high) {
          ch.heldValue = this.countValue(ch, tick);
          ch.pausedElapsed = Math.max(0, tick - ch.startTick);
        } else {
          ch.counting = true;
          ch.startTick = tick + 1;
          ch.pausedElapsed = null;
        }
        break;
      default:
        // Modes 1 and 5: a rising gate (re)triggers the count.
        if (high && ch.countLoaded) {
          ch.counting = true;
          ch.startTick = tick + 1;
          ch.pausedElapsed = null;
          if (index === 0) this.setIrq0(false);
        }
    }
    if (index === 0) this.scheduleIrq0(tick);
  }

  private readCounter(index: number, tick: number): number {
    const ch = this.channels[index] as PitChannelState;
    if (ch.latchedStatus !== null) {
      const status = ch.latchedStatus;
      ch.latchedStatus = null;
      return status;
    }
    if (ch.latchedCount !== null) {
      const latched = ch.latchedCount;
      switch (ch.accessMode) {
        case 1:
          ch.latchedCount = null;
          return latched & 0xff;
        case 2:
          ch.latchedCount = null;
          return latched >> 8;
        default:
          if (!ch.latchedHighNext) {
            ch.latchedHighNext = true;
            return latched & 0xff;
          }
          ch.latchedCount = null;
          ch.latchedHighNext = false;
          return latched >> 8;
      }
    }
    const value = this.encodedCount(ch, tick);
    switch (ch.accessMode) {
      case 1:
        return value & 0xff;
      case 2:
        return value >> 8;
      default:
        ch.readHighNext = !ch.readHighNext;
        return ch.readHighNext ? value & 0xff : value >> 8;
    }
  }

  // ---- ports ----

  ioRead(port: number, _size: IoSize): number {
    const tick = this.tick();
    switch (port) {
      case 0x40:
      case 0x41:
      case 0x42:
        return this.readCounter(port - 0x40, tick);
      case 0x61: {
        const refresh = Math.floor(this.clock.now() / REFRESH_TOGGLE_NS) & 1;
        const out2 = this.outLevel(this.channels[2] as PitChannelState, tick);
        return (this.portB & 0x0f) | (refresh << 4) | (out2 ? 0x20 : 0);
      }
      default:
        // 0x43 is write-only; the 8254 leaves the bus floating.
        return 0xff;
    }
  }

  ioWrite(port: number, _size: IoSize, value: number): void {
    const tick = this.tick();
    value &= 0xff;
    switch (port) {
      case 0x40:
      case 0x41:
      case 0x42:
        this.writeCounter(port - 0x40, value, tick);
        return;
      case 0x43:
        this.writeControlWord(value, tick);
        return;
      case 0x61:
        this.portB = value & 0x0f;
        this.setGate(2, (value & 1) !== 0, tick);
        return;
      default:
        return;
    }
  }

  // ---- host API ----

  /** Counter 2's OUT level (the speaker input, before the port 0x61 bit 1 AND). */
  counter2Output(): boolean {
    return this.outLevel(this.channels[2] as PitChannelState, this.tick());
  }

  /** The tone the speaker plays, in Hz, or null when silent (for a front end that wants to beep). */
  speakerFrequencyHz(): number | null {
    const ch = this.channels[2] as PitChannelState;
    if ((this.portB & 3) !== 3 || ch.mode !== 3 || !ch.counting) return null;
    return PIT_FREQUENCY_HZ / this.period(ch);
  }

  saveState(): PitState {
    return {
      channels: this.channels.map((ch) => ({ ...ch })),
      portB: this.portB,
      irq0High: this.irq0High,
      irq0Timer: this.irq0Timer.saveState(),
    };
  }

  loadState(state: PitState): void {
    this.channels = state.channels.map((ch) => ({ ...ch }));
    this.portB = state.portB;
    this.irq0High = state.irq0High;
    this.irq0.setLevel(state.irq0High);
    this.irq0Timer.loadState(state.irq0Timer);
  }

  describe(): PitView {
    const tick = this.tick();
    return {
      channels: this.channels.map((ch) => ({
        mode: ch.mode,
        access: ACCESS_NAMES[ch.accessMode] ?? 'lsb/msb',
        bcd: ch.bcd,
        initialCount: ch.reload,
        count: this.encodedCount(ch, tick),
        out: this.outLevel(ch, tick),
        gate: ch.gate,
        nullCount: this.nullCount(ch, tick),
        latchedCount: ch.latchedCount,
        latchedStatus: ch.latchedStatus,
      })),
      speakerGate: (this.portB & 1) !== 0,
      speakerDataEnable: (this.portB & 2) !== 0,
      irq0High: this.irq0High,
      nextIrq0Ns: this.irq0Timer.deadline,
    };
  }
}
