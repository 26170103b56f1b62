// What a BIOS service sees of the machine while it runs: the caller's
// registers, the FLAGS image its INT pushed, guest memory by segment:offset
// and by physical address, and the BIOS Data Area.

import type { Cpu } from '../../cpu/cpu';
import { CF, CS, DS, ES, SS, ZF } from '../../cpu/state';
import type { GuestRam } from '../bus';

/** Physical memory with little-endian helpers (the IVT, the BDA, frame buffers). */
export class PhysMem {
  constructor(readonly ram: GuestRam) {}

  read(address: number, length: number): Uint8Array {
    const bytes = this.ram.readPhysical(address, length);
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = bytes[i] ?? 0xff;
    return out;
  }

  write(address: number, data: Uint8Array): void {
    this.ram.writePhysical(address, data);
  }

  rd8(address: number): number {
    return this.ram.readPhysical(address, 1)[0] ?? 0xff;
  }

  rd16(address: number): number {
    return this.rd8(address) | (this.rd8(address + 1) << 8);
  }

  rd32(address: number): number {
    return (this.rd16(address) | (this.rd16(address + 2) << 16)) >>> 0;
  }

  wr8(address: number, value: number): void {
    this.ram.writePhysical(address, Uint8Array.of(value & 0xff));
  }

  wr16(address: number, value: number): void {
    this.ram.writePhysical(address, Uint8Array.of(value & 0xff, (value >> 8) & 0xff));
  }

  wr32(address: number, value: number): void {
    this.wr16(address, value & 0xffff);
    this.wr16(address + 2, value >>> 16);
  }

  fill(address: number, length: number, value: number): void {
    this.ram.writePhysical(address, new Uint8Array(length).fill(value));
  }
}

/** The BIOS Data Area at 0040:0000. */
export const BDA = 0x400;

/** BDA offsets (from 0040:0000) the BIOS keeps. */
export const enum Bda {
  Com1 = 0x00,
  Lpt1 = 0x08,
  EbdaSegment = 0x0e,
  Equipment = 0x10,
  MemoryKiB = 0x13,
  KbdFlags1 = 0x17,
  KbdFlags2 = 0x18,
  KbdAltKeypad = 0x19,
  KbdHead = 0x1a,
  KbdTail = 0x1c,
  KbdBuffer = 0x1e,
  FloppyRecalibrate = 0x3e,
  FloppyMotor = 0x3f,
  FloppyMotorCount = 0x40,
  FloppyStatus = 0x41,
  VideoMode = 0x49,
  VideoColumns = 0x4a,
  VideoPageSize = 0x4c,
  VideoPageOffset = 0x4e,
  CursorPos = 0x50,
  CursorEnd = 0x60,
  CursorStart = 0x61,
  VideoPage = 0x62,
  CrtcBase = 0x63,
  VideoModeControl = 0x65,
  VideoPalette = 0x66,
  Ticks = 0x6c,
  Midnight = 0x70,
  BreakFlag = 0x71,
  ResetFlag = 0x72,
  HardDiskStatus = 0x74,
  HardDiskCount = 0x75,
  KbdBufferStart = 0x80,
  KbdBufferEnd = 0x82,
  VideoRows = 0x84,
  CharHeight = 0x85,
  VideoControl = 0x87,
  VideoSwitches = 0x88,
  VgaFlags = 0x89,
  DccIndex = 0x8a,
  KbdFlags3 = 0x96,
  KbdFlags4 = 0x97,
  WaitFlagPointer = 0x98,
  WaitCount = 0x9c,
  WaitActive = 0xa0,
}

/** One BIOS call in progress: the CPU stopped just after the stub's OUT. */
export class Call {
  constructor(
    readonly cpu: Cpu,
    readonly mem: PhysMem,
  ) {}

  // ---- Registers. ----
  get ax(): number { return this.cpu.reg16[0]; }
  set ax(v: number) { this.cpu.reg16[0] = v; }
  get cx(): number { return this.cpu.reg16[2]; }
  set cx(v: number) { this.cpu.reg16[2] = v; }
  get dx(): number { return this.cpu.reg16[4]; }
  set dx(v: number) { this.cpu.reg16[4] = v; }
  get bx(): number { return this.cpu.reg16[6]; }
  set bx(v: number) { this.cpu.reg16[6] = v; }
  get sp(): number { return this.cpu.reg16[8]; }
  set sp(v: number) { this.cpu.reg16[8] = v; }
  get bp(): number { return this.cpu.reg16[10]; }
  set bp(v: number) { this.cpu.reg16[10] = v; }
  get si(): number { return this.cpu.reg16[12]; }
  set si(v: number) { this.cpu.reg16[12] = v; }
  get di(): number { return this.cpu.reg16[14]; }
  set di(v: number) { this.cpu.reg16[14] = v; }

  get al(): number { return this.cpu.reg8[0]; }
  set al(v: number) { this.cpu.reg8[0] = v; }
  get ah(): number { return this.cpu.reg8[1]; }
  set ah(v: number) { this.cpu.reg8[1] = v; }
  get cl(): number { return this.cpu.reg8[4]; }
  set cl(v: number) { this.cpu.reg8[4] = v; }
  get ch(): number { return this.cpu.reg8[5]; }
  set ch(v: number) { this.cpu.reg8[5] = v; }
  get dl(): number { return this.cpu.reg8[8]; }
  set dl(v: number) { this.cpu.reg8[8] = v; }
  get dh(): number { return this.cpu.reg8[9]; }
  set dh(v: number) { this.cpu.reg8[9] = v; }
  get bl(): number { return this.cpu.reg8[12]; }
  set bl(v: number) { this.cpu.reg8[12] = v; }
  get bh(): number { return this.cpu.reg8[13]; }
  set bh(v: number) { this.cpu.reg8[13] = v; }

  get eax(): number { return this.cpu.reg32[0] >>> 0; }
  set eax(v: number) { this.cpu.reg32[0] = v; }
  get ecx(): number { return this.cpu.reg32[1] >>> 0; }
  set ecx(v: number) { this.cpu.reg32[1] = v; }
  get edx(): number { return this.cpu.reg32[2] >>> 0; }
  set edx(v: number) { this.cpu.reg32[2] = v; }
  get ebx(): number { return this.cpu.reg32[3] >>> 0; }
  set ebx(v: number) { this.cpu.reg32[3] = v; }

  get es(): number { return this.cpu.segSel[ES]; }
  get ds(): number { return this.cpu.segSel[DS]; }
  set es(v: number) { this.cpu.loadSegmentReal(ES, v); }
  set ds(v: number) { this.cpu.loadSegmentReal(DS, v); }
  /** The IP just after the trap OUT. */
  get ip(): number { return this.cpu.eip; }
  set ip(v: number) { this.cpu.eip = v; }
  get cs(): number { return this.cpu.segSel[CS]; }

  // ---- Guest memory through the CPU's segments (real mode and big real mode alike). ----

  /** Linear address of seg:off (16-bit offset). */
  linear(seg: number, offset: number): number {
    return (this.cpu.segBase[seg] + (offset & 0xffff)) >>> 0;
  }

  /** Physical address of a linear one (A20 applied). */
  physical(linear: number): number {
    return (this.cpu.translate(linear | 0) & this.cpu.a20Mask) >>> 0;
  }

  readLinear(linear: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const lin = (linear + done) >>> 0;
      const chunk = Math.min(length - done, 0x1000 - (lin & 0xfff));
      out.set(this.mem.read(this.physical(lin), chunk), done);
      done += chunk;
    }
    return out;
  }

  writeLinear(linear: number, data: Uint8Array): void {
    let done = 0;
    while (done < data.length) {
      const lin = (linear + done) >>> 0;
      const chunk = Math.min(data.length - done, 0x1000 - (lin & 0xfff));
      this.mem.write(this.physical(lin), data.subarray(done, done + chunk));
      done += chunk;
    }
  }

  rd8(seg: number, off: number): number { return this.readLinear(this.linear(seg, off), 1)[0]; }
  rd16(seg: number, off: number): number { const b = this.readLinear(this.linear(seg, off), 2); return b[0] | (b[1] << 8); }
  rd32(seg: number, off: number): number {
    const b = this.readLinear(this.linear(seg, off), 4);
    return (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
  }
  wr8(seg: number, off: number, v: number): void { this.writeLinear(this.linear(seg, off), Uint8Array.of(v)); }
  wr16(seg: number, off: number, v: number): void { this.writeLinear(this.linear(seg, off), Uint8Array.of(v, v >> 8)); }
  wr32(seg: number, off: number, v: number): void {
    this.writeLinear(this.linear(seg, off), Uint8Array.of(v, v >> 8, v >> 16, v >>> 24));
  }

  // ---- The FLAGS image the caller's INT pushed (SS:SP+4, the stub has pushed nothing). ----

  private get flagsImageLinear(): number {
    return this.linear(SS, this.sp + 4);
  }

  setStackedFlag(mask: number, on: boolean): void {
    const lin = this.flagsImageLinear;
    const b = this.readLinear(lin, 2);
    let f = b[0] | (b[1] << 8);
    f = on ? f | mask : f & ~mask;
    this.writeLinear(lin, Uint8Array.of(f, f >> 8));
  }

  set carry(on: boolean) { this.setStackedFlag(CF, on); }
  set zero(on: boolean) { this.setStackedFlag(ZF, on); }

  /** Success: CF clear (AH untouched). */
  ok(): void {
    this.carry = false;
  }

  /** Failure with status `ah`: AH = status, CF set. */
  fail(ah: number): void {
    this.ah = ah;
    this.carry = true;
  }

  // ---- The BDA. ----
  bda8(off: number): number { return this.mem.rd8(0x400 + off); }
  bda16(off: number): number { return this.mem.rd16(0x400 + off); }
  bda32(off: number): number { return this.mem.rd32(0x400 + off); }
  setBda8(off: number, v: number): void { this.mem.wr8(0x400 + off, v); }
  setBda16(off: number, v: number): void { this.mem.wr16(0x400 + off, v); }
  setBda32(off: number, v: number): void { this.mem.wr32(0x400 + off, v); }
}
