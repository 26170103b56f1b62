// The PC's pair of 8259A programmable interrupt controllers: the master at
// 0x20/0x21 takes IRQ0-7, the slave at 0xA0/0xA1 takes IRQ8-15 and signals the
// master on its IR2 input. The PIIX-style edge/level control registers (ELCR)
// at 0x4D0/0x4D1 select level triggering per line.
//
// Behaviour follows the Intel 8259A datasheet:
// - ICW1 starts initialisation (clears IMR and ISR, IR0 gets highest
//   priority, the read register is IRR, special mask mode off), followed by
//   ICW2 (vector base), ICW3 when cascaded and ICW4 when ICW1 asked for it.
// - OCW1 is the mask, OCW2 the EOI/rotation commands, OCW3 selects IRR/ISR
//   reads, poll mode and special mask mode.
// - An interrupt acknowledged when no request is pending any more gives
//   vector base+7 without setting an ISR bit (the "spurious IRQ7/IRQ15").
//
// One deliberate difference from the datasheet: an edge-triggered request is
// latched in IRR at the rising edge and stays there until acknowledged even
// if the line drops first. Our ISA devices signal one request with a raise and
// an immediate lower of their line (see IrqLine in bus.ts), which is shorter
// than any INTA cycle could be; real hardware would need the line held high
// until INTA.

import type { InterruptAcknowledge } from '../cpu/bus';
import type { Device, IoSize, IrqLine, PortHandler } from './bus';

/** State of one 8259A chip, plain JSON. */
export interface Pic8259ChipState {
  irr: number;
  isr: number;
  imr: number;
  /** Input line levels as last seen, bit per IR input (for edge detection). */
  lineLevels: number;
  /** Vector of IR0 (ICW2 & 0xF8). */
  vectorBase: number;
  /** 0 = not initialising; 2, 3, 4 = waiting for that ICW. */
  expectedIcw: number;
  icw4Needed: boolean;
  singleMode: boolean;
  /** ICW1 LTIM: every input level triggered. */
  levelTriggeredAll: boolean;
  /** ICW3: the slave-connection bit mask (master) or the slave's identity (slave). */
  icw3: number;
  autoEoi: boolean;
  specialFullyNested: boolean;
  rotateOnAutoEoi: boolean;
  /** IR input with the lowest priority; the next one up (mod 8) has the highest. */
  lowestPriority: number;
  specialMask: boolean;
  /** OCW3 RR/RIS: true = reading the command port gives ISR, false = IRR. */
  readIsr: boolean;
  /** OCW3 P: the next command-port read is a poll. */
  pollPending: boolean;
  /** ELCR bits for this chip: level-triggered inputs. */
  elcr: number;
}

export interface Pic8259PairState {
  master: Pic8259ChipState;
  slave: Pic8259ChipState;
  intr: boolean;
}

/** What a debugger shows of one chip. */
export interface Pic8259ChipView {
  irr: number;
  isr: number;
  imr: number;
  vectorBase: number;
  initialised: boolean;
  autoEoi: boolean;
  specialMask: boolean;
  specialFullyNested: boolean;
  levelTriggered: number;
  highestPriorityIrq: number;
  readRegister: 'IRR' | 'ISR';
}

export interface Pic8259PairView {
  master: Pic8259ChipView;
  slave: Pic8259ChipView;
  intr: boolean;
}

/** Bits of the ELCR that must stay edge-triggered: IRQ0, 1, 2 on the master, IRQ8 and IRQ13 on the slave. */
const ELCR_WRITABLE = [0xf8, 0xde] as const;

/** The master input the slave's INT output is wired to on a PC/AT. */
const CASCADE_IR = 2;

/** One 8259A. The pair wires two of these together. */
class Pic8259Chip {
  state: Pic8259ChipState = Pic8259Chip.powerOnState();

  constructor(readonly isMaster: boolean) {}

  static powerOnState(): Pic8259ChipState {
    return {
      irr: 0,
      isr: 0,
      imr: 0,
      lineLevels: 0,
      vectorBase: 0,
      expectedIcw: 0,
      icw4Needed: false,
      singleMode: false,
      levelTriggeredAll: false,
      icw3: 0,
      autoEoi: false,
      specialFullyNested: false,
      rotateOnAutoEoi: false,
      lowestPriority: 7,
      specialMask: false,
      readIsr: false,
      pollPending: false,
      elcr: 0,
    };
  }

  reset(): void {
    const elcr = this.state.elcr;
    this.state = Pic8259Chip.powerOnState();
    // The ELCR belongs to the chipset, not the 8259; a PIC reset keeps it.
    this.state.elcr = elcr;
  }

  levelTriggeredMask(): number {
    return this.state.levelTriggeredAll ? 0xff : this.state.elcr;
  }

  /** Drive input `ir` of this chip. */
  setInput(ir: number, high: boolean): void {
    const s = this.state;
    const bit = 1 << ir;
    const wasHigh = (s.lineLevels & bit) !== 0;
    if (high) s.lineLevels |= bit;
    else s.lineLevels &= ~bit;
    if (this.levelTriggeredMask() & bit) {
      // Level mode: IRR follows the line.
      if (high) s.irr |= bit;
      else s.irr &= ~bit;
    } else if (high && !wasHigh) {
      s.irr |= bit;
    }
  }

  /** Priority rank of IR input `ir`: 0 is the highest. */
  private rank(ir: number): number {
    return (ir - this.state.lowestPriority - 1) & 7;
  }

  /** The highest-priority set bit of `mask`, or -1. */
  private highestIn(mask: number): number {
    if (mask === 0) return -1;
    for (let r = 0; r < 8; r++) {
      const ir = (this.state.lowestPriority + 1 + r) & 7;
      if (mask & (1 << ir)) return ir;
    }
    return -1;
  }

  /** The input whose request would be signalled on INT now, or -1. */
  pendingIrq(): number {
    const s = this.state;
    const requested = this.highestIn(s.irr & ~s.imr);
    if (requested < 0) return -1;
    let inService = s.isr;
    // Special mask mode: masked levels in service do not block anything.
    if (s.specialMask) inService &= ~s.imr;
    const serving = this.highestIn(inService);
    if (serving < 0 || this.rank(requested) < this.rank(serving)) return requested;
    // Special fully nested mode: a cascade input in service still lets a
    // new (higher-priority) request from its own slave through.
    if (serving === requested && this.isMaster && s.specialFullyNested && (s.icw3 & (1 << requested)) !== 0) {
      return requested;
    }
    return -1;
  }

  /**
   * The INTA cycle on this chip: returns the IR input acknowledged, or -1 for
   * a spurious acknowledge (the request went away), and updates IRR/ISR.
   */
  acknowledgeInput(): number {
    const s = this.state;
    const ir = this.pendingIrq();
    if (ir < 0) return -1;
    const bit = 1 << ir;
    // Level-triggered requests stay in IRR while the line is high.
    if (!(this.levelTriggeredMask() & bit) || (s.lineLevels & bit) === 0) s.irr &= ~bit;
    if (s.autoEoi) {
      if (s.rotateOnAutoEoi) s.lowestPriority = ir;
    } else {
      s.isr |= bit;
    }
    return ir;
  }

  /** Whether input `ir` is a cascade input (master with a slave on it). */
  isCascadeInput(ir: number): boolean {
    return this.isMaster && !this.state.singleMode && (this.state.icw3 & (1 << ir)) !== 0;
  }

  writeCommand(value: number): void {
    const s = this.state;
    if (value & 0x10) {
      // ICW1
      s.expectedIcw = 2;
      s.icw4Needed = (value & 0x01) !== 0;
      s.singleMode = (value & 0x02) !== 0;
      s.levelTriggeredAll = (value & 0x08) !== 0;
      s.imr = 0;
      s.isr = 0;
      // The edge-sense latches are cleared: a line already high must go low and high again.
      s.irr = s.levelTriggeredAll ? s.lineLevels : s.lineLevels & s.elcr;
      s.lowestPriority = 7;
      s.specialMask = false;
      s.readIsr = false;
      s.pollPending = false;
      s.rotateOnAutoEoi = false;
      if (!s.icw4Needed) {
        s.autoEoi = false;
        s.specialFullyNested = false;
      }
      return;
    }
    if (value & 0x08) {
      // OCW3
      if (value & 0x02) s.readIsr = (value & 0x01) !== 0;
      if (value & 0x04) s.pollPending = true;
      if (value & 0x40) s.specialMask = (value & 0x20) !== 0;
      return;
    }
    // OCW2: R SL EOI in bits 7..5, level in bits 2..0.
    const level = value & 7;
    switch (value >> 5) {
      case 0b001: // non-specific EOI
      case 0b101: {
        // rotate on non-specific EOI
        const served = this.highestIn(s.isr);
        if (served >= 0) {
          s.isr &= ~(1 << served);
          if (value >> 5 === 0b101) s.lowestPriority = served;
        }
        break;
      }
      case 0b011: // specific EOI
        s.isr &= ~(1 << level);
        break;
      case 0b111: // rotate on specific EOI
        s.isr &= ~(1 << level);
        s.lowestPriority = level;
        break;
      case 0b110: // set priority
        s.lowestPriority = level;
        break;
      case 0b100: // set rotate in automatic EOI mode
        s.rotateOnAutoEoi = true;
        break;
      case 0b000: // clear rotate in automatic EOI mode
        s.rotateOnAutoEoi = false;
        break;
      default: // 0b010: no operation
        break;
    }
  }

  writeData(value: number): void {
    const s = this.state;
    switch (s.expectedIcw) {
      case 2:
        s.vectorBase = value & 0xf8;
        s.expectedIcw = s.singleMode ? (s.icw4Needed ? 4 : 0) : 3;
        return;
      case 3:
        s.icw3 = value;
        s.expectedIcw = s.icw4Needed ? 4 : 0;
        return;
      case 4:
        // Bit 0 (8086 mode) is assumed; 8080/85 CALL vectors are not modelled.
        s.autoEoi = (value & 0x02) !== 0;
        s.specialFullyNested = (value & 0x10) !== 0;
        s.expectedIcw = 0;
        return;
      default:
        s.imr = value;
    }
  }

  /** A read of the command port: a poll if one was requested, else IRR or ISR. */
  readCommand(): number {
    const s = this.state;
    if (s.pollPending) {
      s.pollPending = false;
      const ir = this.acknowledgeInput();
      return ir < 0 ? 0 : 0x80 | ir;
    }
    return s.readIsr ? s.isr : s.irr;
  }

  readData(): number {
    return this.state.imr;
  }

  view(): Pic8259ChipView {
    const s = this.state;
    return {
      irr: s.irr,
      isr: s.isr,
      imr: s.imr,
      vectorBase: s.vectorBase,
      initialised: s.expectedIcw === 0,
      autoEoi: s.autoEoi,
      specialMask: s.specialMask,
      specialFullyNested: s.specialFullyNested,
      levelTriggered: this.levelTriggeredMask(),
      highestPriorityIrq: (s.lowestPriority + 1) & 7,
      readRegister: s.readIsr ? 'ISR' : 'IRR',
    };
  }
}

/** The master/slave 8259A pair of a PC/AT. */
export class Pic8259Pair implements Device<Pic8259PairState>, PortHandler, InterruptAcknowledge {
  readonly name = 'pic';
  readonly ports: readonly number[] = [0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1];
  /** Told when the INTR output to the CPU changes level. */
  onIntrChange: (level: boolean) => void = () => {};

  private readonly master = new Pic8259Chip(true);
  private readonly slave = new Pic8259Chip(false);
  private readonly lines: IrqLine[];
  private intr = false;

  constructor() {
    this.lines = [];
    for (let n = 0; n < 16; n++) {
      this.lines.push({ setLevel: (high: boolean) => this.setIrqLevel(n, high) });
    }
  }

  /** The IRQ input `n` (0-15). IRQ2 is the cascade; ISA devices wired to "IRQ2/9" use IRQ9. */
  irqLine(n: number): IrqLine {
    const line = this.lines[n];
    if (line === undefined) throw new RangeError(`pic: no IRQ line ${n} (0-15)`);
    return line;
  }

  /** Drive IRQ input `n` directly. */
  setIrqLevel(n: number, high: boolean): void {
    if (n < 8) this.master.setInput(n, high);
    else this.slave.setInput(n - 8, high);
    this.update();
  }

  intrLevel(): boolean {
    return this.intr;
  }

  /**
   * The IRQ lines (0-15, the cascade IRQ2 left out) a request on which would
   * reach INTR: unmasked at their chip, and for IRQ8-15 the cascade input
   * unmasked at the master. Used when every vCPU is halted, to tell whether
   * anything can still wake the guest (src/vmm/wakeSources.ts).
   */
  openLines(): number[] {
    const masterImr = this.master.state.imr;
    const slaveImr = this.slave.state.imr;
    const open: number[] = [];
    for (let irq = 0; irq < 16; irq++) {
      if (irq === CASCADE_IR) continue;
      const viaMaster = irq < 8 ? irq : CASCADE_IR;
      if (masterImr & (1 << viaMaster)) continue;
      if (irq >= 8 && slaveImr & (1 << (irq - 8))) continue;
      open.push(irq);
    }
    return open;
  }

  /** The two interrupt mask registers (master, slave), for messages. */
  masks(): [number, number] {
    return [this.master.state.imr, this.slave.state.imr];
  }

  /** The INTA cycle: the vector to deliver. */
  acknowledge(): number {
    const ir = this.master.acknowledgeInput();
    let vector: number;
    if (ir < 0) {
      vector = this.master.state.vectorBase | 7;
    } else if (this.master.isCascadeInput(ir)) {
      const slaveIr = this.slave.acknowledgeInput();
      // A slave that lost its request answers with its IR7 vector (spurious IRQ15);
      // the master's cascade ISR bit stays set, as on real hardware.
      vector = this.slave.state.vectorBase | (slaveIr < 0 ? 7 : slaveIr);
    } else {
      vector = this.master.state.vectorBase | ir;
    }
    this.update();
    return vector;
  }

  ioRead(port: number, _size: IoSize): number {
    let value: number;
    switch (port) {
      case 0x20:
        value = this.master.readCommand();
        break;
      case 0x21:
        value = this.master.readData();
        break;
      case 0xa0:
        value = this.slave.readCommand();
        break;
      case 0xa1:
        value = this.slave.readData();
        break;
      case 0x4d0:
        return this.master.state.elcr;
      case 0x4d1:
        return this.slave.state.elcr;
      default:
        return 0xff;
    }
    // A poll read acknowledges; INTR may change.
    this.update();
    return value;
  }

  ioWrite(port: number, _size: IoSize, value: number): void {
    value &= 0xff;
    switch (port) {
      case 0x20:
        this.master.writeCommand(value);
        break;
      case 0x21:
        this.master.writeData(value);
        break;
      case 0xa0:
        this.slave.writeCommand(value);
        break;
      case 0xa1:
        this.slave.writeData(value);
        break;
      case 0x4d0:
      case 0x4d1: {
        const chip = port === 0x4d0 ? this.master : this.slave;
        chip.state.elcr = value & ELCR_WRITABLE[port - 0x4d0];
        break;
      }
      default:
        return;
    }
    this.update();
  }

  /** Recompute the slave's INT into the master's cascade input, then INTR. */
  private update(): void {
    const slaveInt = this.slave.pendingIrq() >= 0;
    this.master.setInput(CASCADE_IR, slaveInt);
    // Unlike a device's pulse, the slave's INT output is a real level: when
    // it drops before INTA the master's request goes with it (and the master
    // then answers a spurious IRQ7), as the datasheet's edge mode describes.
    if (!slaveInt) this.master.state.irr &= ~(1 << CASCADE_IR);
    const level = this.master.pendingIrq() >= 0;
    if (level !== this.intr) {
      this.intr = level;
      this.onIntrChange(level);
    }
  }

  reset(): void {
    this.master.reset();
    this.slave.reset();
    this.master.state.elcr = 0;
    this.slave.state.elcr = 0;
    this.update();
  }

  saveState(): Pic8259PairState {
    return { master: { ...this.master.state }, slave: { ...this.slave.state }, intr: this.intr };
  }

  loadState(state: Pic8259PairState): void {
    this.master.state = { ...state.master };
    this.slave.state = { ...state.slave };
    this.intr = state.intr;
    this.update();
  }

  describe(): Pic8259PairView {
    return { master: this.master.view(), slave: this.slave.view(), intr: this.intr };
  }
}
