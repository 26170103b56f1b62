// A National Semiconductor 16550A UART: eight registers at a base port
// (COM1 = 0x3F8 on IRQ4, COM2 = 0x2F8 on IRQ3), 16-byte receive and transmit
// FIFOs, interrupt-driven or polled.
//
// Timing: transmission takes no guest time. A byte written to THR goes to
// `onTransmit` at once and the transmitter is empty again before the write
// returns (LSR always shows THRE and TEMT; the THRE interrupt is re-raised at
// once). Guests that pace themselves on THRE see an infinitely fast line.
// Received bytes wait in a host queue with no limit and enter the RX FIFO as
// it has room, so the host never overruns the guest (overrun happens only in
// loopback, where the guest itself is the sender). The FIFO's character
// timeout interrupt does take time: four character times at the programmed
// divisor and line format, on the VirtualClock.
//
// On a PC the UART's interrupt output reaches the IRQ line only while MCR
// OUT2 is set; that gate is modelled.

import type { Device, IoSize, IrqLine, PortHandler } from './bus';
import type { Timer, TimerState, VirtualClock } from './clock';

const IER_RX_DATA = 0x01;
const IER_THRE = 0x02;
const IER_LINE_STATUS = 0x04;
const IER_MODEM_STATUS = 0x08;

const IIR_NONE = 0x01;
const IIR_LINE_STATUS = 0x06;
const IIR_RX_DATA = 0x04;
const IIR_RX_TIMEOUT = 0x0c;
const IIR_THRE = 0x02;
const IIR_MODEM_STATUS = 0x00;
const IIR_FIFOS_ENABLED = 0xc0;

const LSR_DATA_READY = 0x01;
const LSR_OVERRUN = 0x02;
const LSR_ERRORS = 0x1e; // overrun, parity, framing, break
const LSR_THR_EMPTY = 0x20;
const LSR_TRANSMITTER_EMPTY = 0x40;

const MCR_DTR = 0x01;
const MCR_RTS = 0x02;
const MCR_OUT1 = 0x04;
const MCR_OUT2 = 0x08;
const MCR_LOOPBACK = 0x10;

const MSR_CTS = 0x10;
const MSR_DSR = 0x20;
const MSR_RI = 0x40;
const MSR_DCD = 0x80;
const MSR_TRAILING_RI = 0x04;

const LCR_DLAB = 0x80;

const FIFO_SIZE = 16;
const RX_TRIGGER_LEVELS = [1, 4, 8, 14] as const;
/** The UART's clock divided by 16: the baud rate at divisor 1. */
const BASE_BAUD = 115200;

export interface Uart16550Options {
  /** First of the eight ports (default 0x3F8, COM1). */
  basePort?: number;
  /** Device name for messages and state (default 'com1'). */
  name?: string;
}

export interface Uart16550State {
  rxFifo: number[];
  hostQueue: number[];
  ier: number;
  lcr: number;
  mcr: number;
  scr: number;
  divisor: number;
  fifoEnabled: boolean;
  rxTriggerLevel: number;
  /** FCR bits as last written (bits 3 and 7-6), for the debugger. */
  fcr: number;
  /** Sticky LSR error bits, cleared by reading LSR. */
  lsrErrors: number;
  /** MSR delta bits, cleared by reading MSR. */
  msrDeltas: number;
  /** The modem status lines (MSR bits 7-4) as last seen. */
  msrLines: number;
  /** Modem status lines driven by the host side when not in loopback. */
  hostModemLines: number;
  thrEmptyPending: boolean;
  rxTimeoutPending: boolean;
  irqHigh: boolean;
  rxTimeoutTimer: TimerState;
}

export interface Uart16550View {
  basePort: number;
  ier: number;
  iir: number;
  lcr: number;
  mcr: number;
  lsr: number;
  msr: number;
  scr: number;
  divisor: number;
  baud: number;
  fifoEnabled: boolean;
  rxTriggerLevel: number;
  rxFifo: number[];
  hostQueueLength: number;
  loopback: boolean;
  irqHigh: boolean;
}

export class Uart16550 implements Device<Uart16550State>, PortHandler {
  readonly name: string;
  readonly basePort: number;
  readonly ports: readonly number[];
  /** Each byte the guest transmits (not called in loopback mode). */
  onTransmit: (byte: number) => void = () => {};

  private state: Uart16550State = Uart16550.powerOnState([]);
  private readonly rxTimeoutTimer: Timer;

  constructor(
    clock: VirtualClock,
    private readonly irq: IrqLine,
    options: Uart16550Options = {},
  ) {
    this.basePort = options.basePort ?? 0x3f8;
    this.name = options.name ?? 'com1';
    this.ports = Array.from({ length: 8 }, (_, i) => this.basePort + i);
    this.rxTimeoutTimer = clock.createTimer(`${this.name}-rx-timeout`, () => this.onRxTimeout());
  }

  private static powerOnState(hostQueue: number[]): Uart16550State {
    return {
      rxFifo: [],
      hostQueue,
      ier: 0,
      lcr: 0,
      mcr: 0,
      scr: 0,
      divisor: 12, // 9600 baud until the firmware says otherwise
      fifoEnabled: false,
      rxTriggerLevel: 1,
      fcr: 0,
      lsrErrors: 0,
      msrDeltas: 0,
      msrLines: MSR_CTS | MSR_DSR | MSR_DCD,
      hostModemLines: MSR_CTS | MSR_DSR | MSR_DCD,
      thrEmptyPending: false,
      rxTimeoutPending: false,
      irqHigh: false,
      rxTimeoutTimer: { deadline: null },
    };
  }

  /** Master reset: registers to their power-on values; bytes the host already sent stay queued. */
  reset(): void {
    this.state = Uart16550.powerOnState(this.state.hostQueue);
    this.rxTimeoutTimer.disarm();
    this.refillRx();
    this.updateIrq();
  }

  // ---- host side ----

  /** Bytes from the host (a terminal, a test) to the guest. Strings are sent as Latin-1. */
  receive(data: Uint8Array | readonly number[] | string): void {
    const q = this.state.hostQueue;
    if (typeof data === 'string') {
      for (let i = 0; i < data.length; i++) q.push(data.charCodeAt(i) & 0xff);
    } else {
      for (const byte of data) q.push(byte & 0xff);
    }
    this.refillRx();
    this.updateIrq();
  }

  /** Bytes received from the host that the guest has not read yet (FIFO plus queue). */
  pendingInput(): number {
    return this.state.rxFifo.length + this.state.hostQueue.length;
  }

  /** Set the host's modem lines (MSR bits 7-4: DCD, RI, DSR, CTS); default DCD+DSR+CTS. */
  setHostModemLines(msrBits: number): void {
    this.state.hostModemLines = msrBits & 0xf0;
    this.updateModemLines();
    this.updateIrq();
  }

  // ---- internals ----

  private loopback(): boolean {
    return (this.state.mcr & MCR_LOOPBACK) !== 0;
  }

  private rxCapacity(): number {
    return this.state.fifoEnabled ? FIFO_SIZE : 1;
  }

  /** Move host bytes into the RX FIFO while it has room (the serial input is cut off in loopback). */
  private refillRx(): void {
    const s = this.state;
    if (this.loopback()) return;
    let moved = false;
    while (s.hostQueue.length > 0 && s.rxFifo.length < this.rxCapacity()) {
      s.rxFifo.push(s.hostQueue.shift() as number);
      moved = true;
    }
    if (moved) this.armRxTimeout();
  }

  /** A byte arriving at the receiver from the line (loopback): overrun when the FIFO is full. */
  private receiveFromLine(byte: number): void {
    const s = this.state;
    if (s.rxFifo.length >= this.rxCapacity()) {
      s.lsrErrors |= LSR_OVERRUN;
      return;
    }
    s.rxFifo.push(byte);
    this.armRxTimeout();
  }

  /** Nanoseconds one character takes on the line at the current divisor and format. */
  characterTimeNs(): number {
    const lcr = this.state.lcr;
    const dataBits = 5 + (lcr & 3);
    const parityBits = lcr & 0x08 ? 1 : 0;
    const stopBits = lcr & 0x04 ? 2 : 1;
    const divisor = this.state.divisor === 0 ? 0x10000 : this.state.divisor;
    return ((1 + dataBits + parityBits + stopBits) * divisor * 1e9) / BASE_BAUD;
  }

  private armRxTimeout(): void {
    const s = this.state;
    s.rxTimeoutPending = false;
    if (s.fifoEnabled && s.rxFifo.length > 0) this.rxTimeoutTimer.armIn(Math.ceil(4 * this.characterTimeNs()));
    else this.rxTimeoutTimer.disarm();
  }

  private onRxTimeout(): void {
    if (this.state.fifoEnabled && this.state.rxFifo.length > 0) {
      this.state.rxTimeoutPending = true;
      this.updateIrq();
    }
  }

  private lsr(): number {
    const s = this.state;
    return (s.rxFifo.length > 0 ? LSR_DATA_READY : 0) | s.lsrErrors | LSR_THR_EMPTY | LSR_TRANSMITTER_EMPTY;
  }

  private currentModemLines(): number {
    const s = this.state;
    if (!this.loopback()) return s.hostModemLines;
    const mcr = s.mcr;
    return (
      (mcr & MCR_RTS ? MSR_CTS : 0) |
      (mcr & MCR_DTR ? MSR_DSR : 0) |
      (mcr & MCR_OUT1 ? MSR_RI : 0) |
      (mcr & MCR_OUT2 ? MSR_DCD : 0)
    );
  }

  /** Record MSR deltas for modem lines that changed. */
  private updateModemLines(): void {
    const s = this.state;
    const lines = this.currentModemLines();
    const changed = lines ^ s.msrLines;
    // Deltas for CTS, DSR, DCD on any change; RI only on its trailing edge.
    s.msrDeltas |= (changed >> 4) & 0x0b;
    if (s.msrLines & MSR_RI && !(lines & MSR_RI)) s.msrDeltas |= MSR_TRAILING_RI;
    s.msrLines = lines;
  }

  /** The interrupt identification, highest priority first. */
  private interruptId(): number {
    const s = this.state;
    if (s.ier & IER_LINE_STATUS && s.lsrErrors & LSR_ERRORS) return IIR_LINE_STATUS;
    if (s.ier & IER_RX_DATA) {
      const level = s.fifoEnabled ? s.rxTriggerLevel : 1;
      if (s.rxFifo.length >= level) return IIR_RX_DATA;
      if (s.rxTimeoutPending) return IIR_RX_TIMEOUT;
    }
    if (s.ier & IER_THRE && s.thrEmptyPending) return IIR_THRE;
    if (s.ier & IER_MODEM_STATUS && s.msrDeltas & 0x0f) return IIR_MODEM_STATUS;
    return IIR_NONE;
  }

  private updateIrq(): void {
    const s = this.state;
    const level = this.interruptId() !== IIR_NONE && (s.mcr & MCR_OUT2) !== 0;
    if (level === s.irqHigh) return;
    s.irqHigh = level;
    this.irq.setLevel(level);
  }

  // ---- ports ----

  ioRead(port: number, _size: IoSize): number {
    const s = this.state;
    let value: number;
    switch (port - this.basePort) {
      case 0:
        if (s.lcr & LCR_DLAB) return s.divisor & 0xff;
        value = s.rxFifo.length > 0 ? (s.rxFifo.shift() as number) : 0;
        this.refillRx();
        this.armRxTimeout();
        break;
      case 1:
        return s.lcr & LCR_DLAB ? s.divisor >> 8 : s.ier;
      case 2: {
        const id = this.interruptId();
        // Reading IIR while it reports THRE acknowledges that interrupt.
        if (id === IIR_THRE) s.thrEmptyPending = false;
        value = id | (s.fifoEnabled ? IIR_FIFOS_ENABLED : 0);
        break;
      }
      case 3:
        return s.lcr;
      case 4:
        return s.mcr;
      case 5:
        value = this.lsr();
        s.lsrErrors = 0;
        break;
      case 6:
        value = s.msrLines | s.msrDeltas;
        s.msrDeltas = 0;
        break;
      case 7:
        return s.scr;
      default:
        return 0xff;
    }
    this.updateIrq();
    return value;
  }

  ioWrite(port: number, _size: IoSize, value: number): void {
    const s = this.state;
    value &= 0xff;
    switch (port - this.basePort) {
      case 0:
        if (s.lcr & LCR_DLAB) {
          s.divisor = (s.divisor & 0xff00) | value;
          return;
        }
        this.transmit(value);
        break;
      case 1:
        if (s.lcr & LCR_DLAB) {
          s.divisor = (s.divisor & 0x00ff) | (value << 8);
          return;
        }
        s.ier = value & 0x0f;
        // Enabling the THRE interrupt while THR is empty raises it (again), as on real parts.
        if (s.ier & IER_THRE) s.thrEmptyPending = true;
        break;
      case 2:
        this.writeFcr(value);
        break;
      case 3:
        s.lcr = value;
        return;
      case 4:
        s.mcr = value & 0x1f;
        this.updateModemLines();
        this.refillRx();
        break;
      case 7:
        s.scr = value;
        return;
      default:
        // LSR and MSR are read-only (factory test writes are ignored).
        return;
    }
    this.updateIrq();
  }

  private transmit(byte: number): void {
    const s = this.state;
    s.thrEmptyPending = false;
    if (this.loopback()) this.receiveFromLine(byte);
    else this.onTransmit(byte);
    // The byte has left: the holding register is empty again.
    s.thrEmptyPending = true;
  }

  private writeFcr(value: number): void {
    const s = this.state;
    const enable = (value & 0x01) !== 0;
    if (enable !== s.fifoEnabled) {
      s.rxFifo.length = 0;
      s.fifoEnabled = enable;
    }
    if (!enable) {
      s.fcr = 0;
      s.rxTriggerLevel = 1;
    } else {
      if (value & 0x02) s.rxFifo.length = 0;
      // TX FIFO reset (bit 2): the transmitter is always empty here.
      s.rxTriggerLevel = RX_TRIGGER_LEVELS[value >> 6] ?? 1;
      s.fcr = value & 0xc8;
    }
    this.refillRx();
    this.armRxTimeout();
  }

  // ---- state ----

  saveState(): Uart16550State {
    return {
      ...this.state,
      rxFifo: [...this.state.rxFifo],
      hostQueue: [...this.state.hostQueue],
      rxTimeoutTimer: this.rxTimeoutTimer.saveState(),
    };
  }

  loadState(state: Uart16550State): void {
    this.state = { ...state, rxFifo: [...state.rxFifo], hostQueue: [...state.hostQueue] };
    this.rxTimeoutTimer.loadState(state.rxTimeoutTimer);
    this.irq.setLevel(state.irqHigh);
  }

  describe(): Uart16550View {
    const s = this.state;
    const divisor = s.divisor === 0 ? 0x10000 : s.divisor;
    return {
      basePort: this.basePort,
      ier: s.ier,
      iir: this.interruptId() | (s.fifoEnabled ? IIR_FIFOS_ENABLED : 0),
      lcr: s.lcr,
      mcr: s.mcr,
      lsr: this.lsr(),
      msr: s.msrLines | s.msrDeltas,
      scr: s.scr,
      divisor: s.divisor,
      baud: BASE_BAUD / divisor,
      fifoEnabled: s.fifoEnabled,
      rxTriggerLevel: s.rxTriggerLevel,
      rxFifo: [...s.rxFifo],
      hostQueueLength: s.hostQueue.length,
      loopback: this.loopback(),
      irqHigh: s.irqHigh,
    };
  }
}
