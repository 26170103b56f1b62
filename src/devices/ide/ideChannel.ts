// The secondary IDE channel of a PIIX-style controller in legacy mode (ports
// 170h-177h, control 376h, IRQ 15) with an ATAPI CD-ROM as master and no
// slave, as QEMU's `pc` board wires -cdrom. PIO only: the task-file
// registers, the ATA commands an ATAPI device answers (IDENTIFY PACKET
// DEVICE, PACKET, DEVICE RESET, SET FEATURES; IDENTIFY DEVICE aborts with
// the ATAPI signature so hosts tell the device kind, ATA8-ACS §4.3), and the
// PACKET protocol: the 12-byte command through the data port, then the data
// in pieces of at most the byte count the host set in LBA mid/high, with the
// interrupt reason (CoD, IO) in the sector count register and IRQ 15 at each
// piece and at the end unless nIEN is set. A slave that is not there reads
// as zeros. Soft reset (SRST) restores the signature.

import type { Device, IoSize, IrqLine, PortHandler } from '../bus';
import { AtapiCdrom } from './atapiCommands';

export const IDE2_BASE = 0x170;
export const IDE2_CONTROL = 0x376;

const ST_ERR = 0x01;
const ST_DRQ = 0x08;
const ST_DSC = 0x10;
const ST_DRDY = 0x40;
const ERR_ABRT = 0x04;
/** Interrupt reason (sector count register during PACKET): CoD, IO. */
const IR_COD = 0x01;
const IR_IO = 0x02;
const CTL_NIEN = 0x02;
const CTL_SRST = 0x04;

export interface IdeChannelState {
  error: number;
  features: number;
  sectorCount: number;
  lbaLow: number;
  lbaMid: number;
  lbaHigh: number;
  device: number;
  status: number;
  control: number;
  irqPending: boolean;
  /** 'packet': the host writes the CDB; 'in': the host reads `buffer`. */
  phase: 'idle' | 'packet' | 'in';
  buffer: number[];
  position: number;
  /** End of the piece being read (PACKET data comes in pieces of the byte count limit). */
  pieceEnd: number;
  byteLimit: number;
  /** The data being read answers a PACKET command (pieces, interrupt reason) rather than IDENTIFY PACKET DEVICE. */
  packetData: boolean;
  sense: { key: number; asc: number };
}

function identifyString(words: Uint16Array, first: number, count: number, text: string): void {
  const padded = text.padEnd(count * 2, ' ');
  for (let i = 0; i < count; i++) words[first + i] = (padded.charCodeAt(2 * i) << 8) | padded.charCodeAt(2 * i + 1);
}

export class IdeChannel implements Device<IdeChannelState>, PortHandler {
  readonly name = 'ide1';
  readonly ports: readonly number[] = [IDE2_BASE, IDE2_BASE + 1, IDE2_BASE + 2, IDE2_BASE + 3, IDE2_BASE + 4, IDE2_BASE + 5, IDE2_BASE + 6, IDE2_BASE + 7, IDE2_CONTROL];
  private s: IdeChannelState = IdeChannel.powerOn();
  private buffer: Uint8Array = new Uint8Array(0);

  constructor(
    private readonly irq: IrqLine,
    readonly drive: AtapiCdrom,
  ) {}

  private static powerOn(): IdeChannelState {
    return {
      error: 0x01, features: 0, sectorCount: 1, lbaLow: 1, lbaMid: 0x14, lbaHigh: 0xeb, device: 0, status: 0, control: 0,
      irqPending: false, phase: 'idle', buffer: [], position: 0, pieceEnd: 0, byteLimit: 0, packetData: false, sense: { key: 0, asc: 0 },
    };
  }

  reset(): void {
    this.s = IdeChannel.powerOn();
    this.buffer = new Uint8Array(0);
    this.drive.sense = { key: 0, asc: 0 };
    this.irq.setLevel(false);
  }

  saveState(): IdeChannelState {
    return { ...this.s, buffer: Array.from(this.buffer), sense: { ...this.drive.sense } };
  }

  loadState(state: IdeChannelState): void {
    this.s = { ...state, buffer: [] };
    this.buffer = Uint8Array.from(state.buffer);
    this.drive.sense = { ...state.sense };
    this.irq.setLevel(state.irqPending && (state.control & CTL_NIEN) === 0);
  }

  private get slaveSelected(): boolean {
    return (this.s.device & 0x10) !== 0;
  }

  private raise(): void {
    this.s.irqPending = true;
    if (!(this.s.control & CTL_NIEN)) this.irq.setLevel(true);
  }

  private signature(): void {
    Object.assign(this.s, { sectorCount: 1, lbaLow: 1, lbaMid: 0x14, lbaHigh: 0xeb });
  }

  private abort(): void {
    this.s.error = ERR_ABRT;
    this.s.status = ST_DRDY | ST_ERR;
    this.s.phase = 'idle';
    this.raise();
  }

  /** Data for the host: PIO in, in pieces of at most `limit` bytes (the whole of it for ATA data). */
  private startIn(data: Uint8Array, limit: number, packet: boolean): void {
    this.buffer = data;
    this.s.position = 0;
    this.s.byteLimit = limit;
    this.s.packetData = packet;
    this.s.phase = 'in';
    this.nextPiece();
  }

  private nextPiece(): void {
    const left = this.buffer.length - this.s.position;
    const piece = Math.min(left, this.s.byteLimit);
    this.s.pieceEnd = this.s.position + piece;
    this.s.status = ST_DRDY | ST_DSC | ST_DRQ;
    if (this.s.packetData) {
      this.s.lbaMid = piece & 0xff;
      this.s.lbaHigh = piece >> 8;
      this.s.sectorCount = (this.s.sectorCount & ~(IR_COD | IR_IO)) | IR_IO;
    }
    this.raise();
  }

  private packetDone(ok: boolean): void {
    this.s.phase = 'idle';
    this.s.sectorCount = (this.s.sectorCount & ~0x07) | IR_IO | IR_COD;
    if (ok) {
      this.s.status = ST_DRDY | ST_DSC;
      this.s.error = 0;
    } else {
      this.s.status = ST_DRDY | ST_ERR;
      this.s.error = (this.drive.sense.key << 4) | ERR_ABRT;
    }
    this.raise();
  }

  private command(code: number): void {
    if (this.slaveSelected) return; // nobody there
    switch (code) {
      case 0xa1: { // IDENTIFY PACKET DEVICE
        const w = new Uint16Array(256);
        w[0] = 0x85c0; // ATAPI, CD-ROM, removable, 12-byte packets
        identifyString(w, 10, 10, 'VMEXIT0001');
        identifyString(w, 23, 4, '1.0');
        identifyString(w, 27, 20, 'VMEXIT ATAPI CD-ROM');
        w[49] = 0x0200; // LBA; no DMA
        w[53] = 0x0002; // words 64-70 valid
        w[64] = 0x0003; // PIO modes 3 and 4
        w[80] = 0x0070; // ATA/ATAPI-4 to -6
        this.s.error = 0;
        this.startIn(new Uint8Array(w.buffer), 512, false);
        return;
      }
      case 0xa0: // PACKET: the CDB comes next
        if (this.s.features & 0x01) return this.abort(); // no DMA
        this.s.byteLimit = ((this.s.lbaHigh << 8) | this.s.lbaMid) & 0xfffe || 0xfffe;
        this.buffer = new Uint8Array(12);
        this.s.position = 0;
        this.s.phase = 'packet';
        this.s.status = ST_DRDY | ST_DSC | ST_DRQ;
        this.s.sectorCount = (this.s.sectorCount & ~0x07) | IR_COD;
        return;
      case 0x08: // DEVICE RESET
        this.signature();
        this.s.error = 0x01;
        this.s.status = 0;
        this.s.phase = 'idle';
        return;
      case 0xef: // SET FEATURES: accepted
        this.s.status = ST_DRDY | ST_DSC;
        this.raise();
        return;
      case 0xec: // IDENTIFY DEVICE: an ATAPI device aborts and shows its signature
        this.signature();
        this.abort();
        return;
      default:
        this.abort();
    }
  }

  ioRead(port: number, size: IoSize): number {
    if (port === IDE2_BASE) return this.readData(size);
    if (this.slaveSelected && port !== IDE2_BASE + 6) return 0;
    const s = this.s;
    switch (port) {
      case IDE2_BASE + 1: return s.error;
      case IDE2_BASE + 2: return s.sectorCount;
      case IDE2_BASE + 3: return s.lbaLow;
      case IDE2_BASE + 4: return s.lbaMid;
      case IDE2_BASE + 5: return s.lbaHigh;
      case IDE2_BASE + 6: return s.device | 0xa0;
      case IDE2_BASE + 7:
        // Reading the status acknowledges the interrupt.
        s.irqPending = false;
        this.irq.setLevel(false);
        return s.status;
      case IDE2_CONTROL: return this.slaveSelected ? 0 : s.status;
      default: return 0xff;
    }
  }

  private readData(size: IoSize): number {
    if (this.s.phase !== 'in' || this.slaveSelected) return 0;
    let value = 0;
    for (let i = 0; i < size; i++) value |= (this.buffer[this.s.position + i] ?? 0) << (8 * i);
    this.s.position = Math.min(this.s.position + size, this.s.pieceEnd);
    if (this.s.position >= this.s.pieceEnd) {
      if (this.s.position < this.buffer.length) this.nextPiece();
      else if (this.s.packetData) this.packetDone(true);
      else {
        // ATA PIO data (IDENTIFY PACKET DEVICE): done, no completion interrupt.
        this.s.phase = 'idle';
        this.s.status = ST_DRDY | ST_DSC;
      }
    }
    return value >>> 0;
  }

  ioWrite(port: number, size: IoSize, value: number): void {
    const s = this.s;
    const b = value & 0xff;
    switch (port) {
      case IDE2_BASE: return this.writeData(size, value);
      case IDE2_BASE + 1: s.features = b; return;
      case IDE2_BASE + 2: s.sectorCount = b; return;
      case IDE2_BASE + 3: s.lbaLow = b; return;
      case IDE2_BASE + 4: s.lbaMid = b; return;
      case IDE2_BASE + 5: s.lbaHigh = b; return;
      case IDE2_BASE + 6: s.device = b; return;
      case IDE2_BASE + 7: return this.command(b);
      case IDE2_CONTROL: {
        const wasReset = (s.control & CTL_SRST) !== 0;
        s.control = b;
        if (wasReset && !(b & CTL_SRST)) {
          // The end of a soft reset: the signature, no command in progress.
          this.signature();
          s.error = 0x01;
          s.status = 0;
          s.phase = 'idle';
          s.device = 0;
        }
        this.irq.setLevel(s.irqPending && !(b & CTL_NIEN));
        return;
      }
    }
  }

  private writeData(size: IoSize, value: number): void {
    if (this.s.phase !== 'packet' || this.slaveSelected) return;
    for (let i = 0; i < size && this.s.position < 12; i++) this.buffer[this.s.position++] = (value >>> (8 * i)) & 0xff;
    if (this.s.position < 12) return;
    const result = this.drive.execute(this.buffer);
    if (!result.ok) return this.packetDone(false);
    if (result.data.length === 0) return this.packetDone(true);
    this.startIn(result.data, this.s.byteLimit, true);
  }
}
