// The I/O APIC (82093AA datasheet): 24 interrupt input pins, each with a
// redirection table entry that turns an edge or a level on the pin into an
// interrupt message to local APICs. Registers are reached indirectly:
// IOREGSEL at base+0 selects one, IOWIN at base+10h reads or writes it.
//
// Every entry is masked at reset, so until an OS programs it the IOAPIC
// sends nothing and the 8259 pair alone interrupts the bootstrap processor.
// Level-triggered entries keep a remote IRR from delivery until the local
// APIC broadcasts the EOI for their vector; a pin still asserted then sends
// again.

import { Unimplemented } from '../cpu/faults';
import { ApicBus, DeliveryMode } from './apicBus';
import type { Device, IoSize, MmioHandler } from './bus';

export const IOAPIC_BASE_ADDRESS = 0xfec00000;
export const IOAPIC_PINS = 24;
/** Version register: version 11h, maximum redirection entry 17h (24 entries). */
export const IOAPIC_VERSION = 0x00170011;

/** The IOAPIC input each ISA IRQ drives on this board: the PIT's IRQ0 on pin 2 (the usual interrupt source override), the rest on their own number. */
export function ioApicPinOfIsaIrq(irq: number): number {
  return irq === 0 ? 2 : irq;
}

const RTE_MASKED = 1 << 16;
const RTE_LEVEL = 1 << 15;
const RTE_REMOTE_IRR = 1 << 14;
const RTE_ACTIVE_LOW = 1 << 13;
/** Writable bits of an entry's low dword: all but delivery status (12) and remote IRR (14). */
const RTE_WRITABLE_LO = 0x0001afff;

export interface IoApicState {
  id: number;
  select: number;
  /** Each entry as [low dword, high dword]. */
  redirection: [number, number][];
  /** Pin levels as wired (before polarity), bit per pin. */
  pinLevels: number;
}

export class IoApic implements Device<IoApicState>, MmioHandler {
  readonly name = 'ioapic';
  private id = 0;
  private select = 0;
  private readonly lo = new Uint32Array(IOAPIC_PINS);
  private readonly hi = new Uint32Array(IOAPIC_PINS);
  private pinLevels = 0;

  constructor(
    private readonly bus: ApicBus,
    /** The ID at reset (the MP table names the IOAPIC by it; firmware may change it). */
    private readonly resetId: number,
  ) {
    this.reset();
    bus.onLevelEoi = (vector) => this.eoi(vector);
  }

  /** Drive pin `pin` (0-23) to a wire level. */
  setPin(pin: number, high: boolean): void {
    const bit = 1 << pin;
    const was = (this.pinLevels & bit) !== 0;
    if (high) this.pinLevels |= bit;
    else this.pinLevels &= ~bit;
    if (high === was) return;
    const lo = this.lo[pin];
    const asserted = this.asserted(pin);
    // Edge: the transition to the active level is the request. Level: the active level is.
    if (asserted) this.trySend(pin, (lo & RTE_LEVEL) === 0);
  }

  /** The pin is at its active level (polarity applied). */
  private asserted(pin: number): boolean {
    const high = (this.pinLevels & (1 << pin)) !== 0;
    return (this.lo[pin] & RTE_ACTIVE_LOW) !== 0 ? !high : high;
  }

  /** Send the entry's message if unmasked (and for level entries, no remote IRR pending). */
  private trySend(pin: number, edge: boolean): void {
    const lo = this.lo[pin];
    if (lo & RTE_MASKED) return;
    if (!edge) {
      if (lo & RTE_REMOTE_IRR) return;
      this.lo[pin] = lo | RTE_REMOTE_IRR;
    }
    const mode = (lo >> 8) & 7;
    if (mode === 3 || mode === 6) throw new Unimplemented(`an IOAPIC redirection entry with reserved delivery mode ${mode} (pin ${pin})`);
    this.bus.deliver({
      vector: lo & 0xff,
      mode: mode as DeliveryMode,
      logical: (lo & (1 << 11)) !== 0,
      destination: this.hi[pin] >>> 24,
      level: !edge,
    });
  }

  /** A local APIC's EOI of a level-triggered vector: clear remote IRR; a pin still asserted sends again. */
  private eoi(vector: number): void {
    for (let pin = 0; pin < IOAPIC_PINS; pin++) {
      const lo = this.lo[pin];
      if ((lo & 0xff) !== vector || (lo & RTE_LEVEL) === 0 || (lo & RTE_REMOTE_IRR) === 0) continue;
      this.lo[pin] = lo & ~RTE_REMOTE_IRR;
      if (this.asserted(pin)) this.trySend(pin, false);
    }
  }

  mmioRead(address: number, size: IoSize): number {
    const offset = address & 0xff;
    let value: number;
    if (offset < 0x10) value = this.select;
    else if (offset < 0x20) value = this.readRegister(this.select);
    else value = 0;
    const shift = (offset & 3) * 8;
    return size === 4 ? value >>> 0 : (value >>> shift) & (size === 2 ? 0xffff : 0xff);
  }

  mmioWrite(address: number, size: IoSize, value: number): void {
    const offset = address & 0xff;
    if (offset === 0) this.select = value & 0xff;
    else if (offset === 0x10) {
      if (size !== 4) throw new Unimplemented(`a ${size * 8}-bit write to the IOAPIC window (only 32-bit accesses are defined)`);
      this.writeRegister(this.select, value >>> 0);
    }
  }

  readRegister(index: number): number {
    if (index === 0) return (this.id << 24) >>> 0;
    if (index === 1) return IOAPIC_VERSION;
    if (index === 2) return (this.id << 24) >>> 0; // arbitration ID follows the ID
    const pin = (index - 0x10) >> 1;
    if (index < 0x10 || pin >= IOAPIC_PINS) return 0;
    return index & 1 ? this.hi[pin] : this.lo[pin];
  }

  writeRegister(index: number, value: number): void {
    if (index === 0) {
      this.id = (value >>> 24) & 0xf;
      return;
    }
    const pin = (index - 0x10) >> 1;
    if (index < 0x10 || pin >= IOAPIC_PINS) return; // version, arbitration: read-only
    if (index & 1) {
      this.hi[pin] = value & 0xff000000;
      return;
    }
    const keep = this.lo[pin] & RTE_REMOTE_IRR;
    this.lo[pin] = (value & RTE_WRITABLE_LO) | keep;
    // Switching to edge drops a stale remote IRR; unmasking a level entry whose pin is asserted sends it.
    if ((value & RTE_LEVEL) === 0) this.lo[pin] &= ~RTE_REMOTE_IRR;
    else if (this.asserted(pin)) this.trySend(pin, false);
  }

  /** Pins whose redirection entry is unmasked (a request on them would be sent). */
  unmaskedPins(): number[] {
    const pins: number[] = [];
    for (let pin = 0; pin < IOAPIC_PINS; pin++) if ((this.lo[pin] & RTE_MASKED) === 0) pins.push(pin);
    return pins;
  }

  /** The redirection entry of `pin` as [low, high] (tests, the debugger). */
  entry(pin: number): [number, number] {
    return [this.lo[pin], this.hi[pin]];
  }

  reset(): void {
    this.id = this.resetId;
    this.select = 0;
    this.lo.fill(RTE_MASKED);
    this.hi.fill(0);
  }

  saveState(): IoApicState {
    const redirection: [number, number][] = [];
    for (let i = 0; i < IOAPIC_PINS; i++) redirection.push([this.lo[i], this.hi[i]]);
    return { id: this.id, select: this.select, redirection, pinLevels: this.pinLevels };
  }

  loadState(s: IoApicState): void {
    this.id = s.id;
    this.select = s.select;
    s.redirection.forEach(([lo, hi], i) => {
      this.lo[i] = lo;
      this.hi[i] = hi;
    });
    this.pinLevels = s.pinLevels;
  }
}
