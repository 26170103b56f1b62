// INT 15h (system services), INT 1Ah (time of day and the RTC), INT 70h
// (the RTC interrupt, which times INT 15h AH=83h/86h waits), INT 14h
// (serial ports) and INT 17h (printer).

import { ES } from '../../cpu/state';
import { Bda, Call } from './call';
import type { BiosEnv } from './env';

/** 'SMAP', the E820 signature. */
export const SMAP = 0x534d4150;

export const E820_USABLE = 1;
export const E820_RESERVED = 2;

export interface E820Entry {
  base: number;
  length: number;
  type: number;
}

/** Where INT 19h (and a --kernel hand-over) leaves the stack: just below the boot sector. */
export const BOOT_STACK_TOP = 0x7c00;

/** Where the 1 KiB extended BIOS data area lives (the top of conventional memory). */
export const EBDA_BASE = 0x9fc00;
export const EBDA_SEGMENT = EBDA_BASE >> 4;

/** The memory map INT 15h E820h reports for `memoryBytes` of RAM. */
export function e820Map(memoryBytes: number): E820Entry[] {
  const map: E820Entry[] = [
    { base: 0, length: EBDA_BASE, type: E820_USABLE },
    { base: EBDA_BASE, length: 0xa0000 - EBDA_BASE, type: E820_RESERVED },
    { base: 0xf0000, length: 0x10000, type: E820_RESERVED }, // this BIOS
  ];
  const top = Math.min(memoryBytes, 0xfffc0000);
  if (top > 0x100000) map.push({ base: 0x100000, length: top - 0x100000, type: E820_USABLE });
  map.push({ base: 0xfffc0000, length: 0x40000, type: E820_RESERVED }); // the BIOS alias below 4 GiB
  return map;
}

const RTC_PERIOD_US = 976; // 1024 Hz, as the AT BIOS counts it
const REG_B_PIE = 0x40;

/** Unsupported function: CF set, AH = 86h. */
function unsupported(call: Call): void {
  call.fail(0x86);
}

export class SystemService {
  constructor(private readonly env: BiosEnv) {}

  // ---- INT 15h. ----

  /** Returns 'wait' when the caller must halt until the RTC has counted the wait down. */
  int15(call: Call): 'done' | 'wait' {
    const env = this.env;
    const ah = call.ah;
    switch (ah) {
      case 0x24:
        this.a20(call);
        return 'done';
      case 0x4f: // keyboard intercept: keep the scan code (CF stays set)
        call.carry = true;
        return 'done';
      case 0x83:
        this.eventWait(call);
        return 'done';
      case 0x85: // SysReq key
      case 0x90: // device busy
      case 0x91: // interrupt complete
        call.ah = 0;
        call.carry = false;
        return 'done';
      case 0x86:
        return this.wait(call);
      case 0x87:
        this.moveBlock(call);
        return 'done';
      case 0x88: {
        const kib = Math.floor(Math.max(0, env.host.memoryBytes - 0x100000) / 1024);
        call.ax = Math.min(kib, 0xffff);
        call.carry = false;
        return 'done';
      }
      case 0xc0:
        call.es = 0xf000;
        call.bx = env.layout.configTable;
        call.ah = 0;
        call.carry = false;
        return 'done';
      case 0xc1:
        call.es = env.bda16(Bda.EbdaSegment);
        call.carry = false;
        return 'done';
      case 0xe8:
        if (call.al === 0x01) {
          this.e801(call);
          return 'done';
        }
        if (call.al === 0x20) {
          this.e820(call);
          return 'done';
        }
        unsupported(call);
        return 'done';
      default:
        unsupported(call);
        return 'done';
    }
  }

  /** AX=2400h-2403h: the A20 gate through port 92h. */
  private a20(call: Call): void {
    const env = this.env;
    switch (call.al) {
      case 0x00:
      case 0x01: {
        const v = env.inb(0x92) & ~0x01; // never the reset bit
        env.outb(0x92, call.al === 0x01 ? v | 0x02 : v & ~0x02);
        call.ah = 0;
        call.carry = false;
        return;
      }
      case 0x02:
        call.al = (env.inb(0x92) >> 1) & 1;
        call.ah = 0;
        call.cx = 0;
        call.carry = false;
        return;
      case 0x03:
        call.bx = 0x0003; // keyboard controller and port 92h
        call.ah = 0;
        call.carry = false;
        return;
      default:
        unsupported(call);
    }
  }

  /** AX=E801h: KiB from 1 MiB to 16 MiB (AX = CX), 64 KiB blocks above 16 MiB (BX = DX). */
  private e801(call: Call): void {
    const mem = Math.min(this.env.host.memoryBytes, 0xfffc0000);
    const low = Math.min(15 * 1024, Math.floor(Math.max(0, mem - 0x100000) / 1024));
    const high = Math.min(0xffff, Math.floor(Math.max(0, mem - 0x1000000) / 0x10000));
    call.ax = call.cx = low;
    call.bx = call.dx = high;
    call.carry = false;
  }

  /** EAX=E820h: one 20-byte memory map entry per call; EBX = continuation (0 after the last). */
  private e820(call: Call): void {
    if (call.edx !== SMAP || call.ecx < 20) return unsupported(call);
    const map = e820Map(this.env.host.memoryBytes);
    const index = call.ebx;
    const entry = map[index];
    if (!entry) return unsupported(call);
    const out = new Uint8Array(20);
    const view = new DataView(out.buffer);
    view.setUint32(0, entry.base % 0x100000000, true);
    view.setUint32(4, Math.floor(entry.base / 0x100000000), true);
    view.setUint32(8, entry.length % 0x100000000, true);
    view.setUint32(12, Math.floor(entry.length / 0x100000000), true);
    view.setUint32(16, entry.type, true);
    call.writeLinear(call.linear(ES, call.di), out);
    call.eax = SMAP;
    call.ecx = 20;
    call.ebx = index + 1 < map.length ? index + 1 : 0;
    call.carry = false;
  }

  /** AH=87h: copy CX words between the source (GDT+10h) and destination (GDT+18h) descriptors of the table at ES:SI. */
  private moveBlock(call: Call): void {
    const gdt = call.si;
    const base = (off: number): number =>
      (call.rd8(ES, gdt + off + 2) | (call.rd8(ES, gdt + off + 3) << 8) | (call.rd8(ES, gdt + off + 4) << 16) |
        (call.rd8(ES, gdt + off + 7) << 24)) >>> 0;
    const bytes = call.cx * 2;
    const src = base(0x10);
    const dst = base(0x18);
    if (bytes > 0) this.env.mem.write(dst, this.env.mem.read(src, bytes));
    call.ah = 0;
    call.carry = false;
    call.zero = true;
  }

  private setPeriodicInterrupt(on: boolean): void {
    const env = this.env;
    const b = env.cmosRead(0x0b);
    env.cmosWrite(0x0b, on ? b | REG_B_PIE : b & ~REG_B_PIE);
    if (on) env.cmosRead(0x0c); // a stale flag would end the wait early
  }

  private startWait(flagSegment: number, flagOffset: number, us: number): void {
    const env = this.env;
    env.setBda16(Bda.WaitFlagPointer, flagOffset);
    env.setBda16(Bda.WaitFlagPointer + 2, flagSegment);
    env.setBda32(Bda.WaitCount, us);
    env.setBda8(Bda.WaitActive, 0x01);
    this.setPeriodicInterrupt(true);
  }

  /** AH=86h: wait CX:DX microseconds of guest time (the RTC's 1024 Hz interrupt counts them down). */
  private wait(call: Call): 'done' | 'wait' {
    const env = this.env;
    if (env.bda8(Bda.WaitActive) & 0x01) {
      call.fail(0x83); // a wait is already in progress
      return 'done';
    }
    const us = ((call.cx << 16) | call.dx) >>> 0;
    call.carry = false;
    call.ah = 0;
    if (us === 0) return 'done';
    // The flag the RTC handler posts is 0040:00A0 itself.
    this.startWait(0x0040, Bda.WaitActive, us);
    return 'wait';
  }

  /** The INT 15h wait loop woke up: 'done' once the RTC has posted the end of the wait. */
  waitCheck(call: Call): 'done' | 'wait' {
    const env = this.env;
    if (!(env.bda8(Bda.WaitActive) & 0x80)) return 'wait';
    env.setBda8(Bda.WaitActive, 0);
    call.ah = 0;
    call.carry = false;
    return 'done';
  }

  /** AH=83h: AL=00h post bit 7 of the byte at ES:BX after CX:DX microseconds; AL=01h cancel. */
  private eventWait(call: Call): void {
    const env = this.env;
    if (call.al === 0x01) {
      env.setBda8(Bda.WaitActive, 0);
      this.setPeriodicInterrupt(false);
      call.carry = false;
      return;
    }
    if (env.bda8(Bda.WaitActive) & 0x01) {
      call.fail(0x83);
      return;
    }
    this.startWait(call.es, call.bx, ((call.cx << 16) | call.dx) >>> 0);
    call.carry = false;
  }

  // ---- INT 70h: the RTC interrupt. ----

  rtcInterrupt(): void {
    const env = this.env;
    const c = env.cmosRead(0x0c); // reading register C acknowledges the RTC
    if (!(c & 0x40)) return;
    const active = env.bda8(Bda.WaitActive);
    if (!(active & 0x01) || active & 0x80) return;
    const left = env.bda32(Bda.WaitCount) - RTC_PERIOD_US;
    if (left > 0) {
      env.setBda32(Bda.WaitCount, left);
      return;
    }
    env.setBda32(Bda.WaitCount, 0);
    const offset = env.bda16(Bda.WaitFlagPointer);
    const segment = env.bda16(Bda.WaitFlagPointer + 2);
    const flag = segment * 16 + offset;
    env.mem.wr8(flag, env.mem.rd8(flag) | 0x80);
    if (flag !== 0x400 + Bda.WaitActive) env.setBda8(Bda.WaitActive, 0); // AH=83h: the wait is over
    else env.setBda8(Bda.WaitActive, env.bda8(Bda.WaitActive) | 0x80);
    this.setPeriodicInterrupt(false);
  }

  // ---- INT 1Ah. ----

  private bcd(v: number, binary: boolean): number {
    return binary ? ((Math.floor(v / 10) << 4) | v % 10) & 0xff : v;
  }

  private fromBcd(v: number, binary: boolean): number {
    return binary ? (v >> 4) * 10 + (v & 0x0f) : v;
  }

  int1a(call: Call): void {
    const env = this.env;
    const regB = env.cmosRead(0x0b);
    const binary = (regB & 0x04) !== 0; // the RTC counts in binary: convert to the BCD this call returns
    const read = (index: number): number => this.bcd(env.cmosRead(index), binary);
    const write = (index: number, v: number): void => env.cmosWrite(index, this.fromBcd(v, binary));
    switch (call.ah) {
      case 0x00:
        call.cx = env.bda16(Bda.Ticks + 2);
        call.dx = env.bda16(Bda.Ticks);
        call.al = env.bda8(Bda.Midnight);
        env.setBda8(Bda.Midnight, 0);
        call.carry = false;
        return;
      case 0x01:
        env.setBda16(Bda.Ticks + 2, call.cx);
        env.setBda16(Bda.Ticks, call.dx);
        env.setBda8(Bda.Midnight, 0);
        call.carry = false;
        return;
      case 0x02:
        // The RTC computes its registers when read, so there is no torn read to wait out (UIP ignored).
        call.ch = read(0x04);
        call.cl = read(0x02);
        call.dh = read(0x00);
        call.dl = regB & 0x01;
        call.carry = false;
        return;
      case 0x03:
        env.cmosWrite(0x0b, regB | 0x80); // SET: stop updates while writing
        write(0x04, call.ch);
        write(0x02, call.cl);
        write(0x00, call.dh);
        env.cmosWrite(0x0b, (regB & ~0x81) | (call.dl & 0x01));
        call.carry = false;
        return;
      case 0x04:
        call.ch = read(0x32);
        call.cl = read(0x09);
        call.dh = read(0x08);
        call.dl = read(0x07);
        call.carry = false;
        return;
      case 0x05:
        env.cmosWrite(0x0b, regB | 0x80);
        write(0x32, call.ch);
        write(0x09, call.cl);
        write(0x08, call.dh);
        write(0x07, call.dl);
        env.cmosWrite(0x0b, regB & ~0x80);
        call.carry = false;
        return;
      case 0x07: // cancel the alarm
        env.cmosWrite(0x0b, regB & ~0x20);
        call.carry = false;
        return;
      default:
        // 06h (alarm: INT 4Ah is not called by this BIOS), B1xxh (no PCI BIOS), others.
        call.carry = true;
        return;
    }
  }

  // ---- INT 14h: serial ports (no waiting: a receive with no data times out at once). ----

  int14(call: Call): void {
    const env = this.env;
    const base = call.dx < 4 ? env.bda16(Bda.Com1 + 2 * call.dx) : 0;
    if (!base) {
      call.ah = 0x80;
      return;
    }
    const status = (): void => {
      call.ah = env.inb(base + 5);
      call.al = env.inb(base + 6);
    };
    switch (call.ah) {
      case 0x00: {
        const baud = [110, 150, 300, 600, 1200, 2400, 4800, 9600][call.al >> 5];
        const divisor = Math.round(115200 / baud);
        env.outb(base + 3, 0x80);
        env.outb(base, divisor & 0xff);
        env.outb(base + 1, divisor >> 8);
        env.outb(base + 3, call.al & 0x1f);
        env.outb(base + 1, 0);
        status();
        return;
      }
      case 0x01: {
        const al = call.al;
        if (env.inb(base + 5) & 0x20) {
          env.outb(base, al);
          call.ah = env.inb(base + 5);
        } else call.ah = env.inb(base + 5) | 0x80;
        call.al = al;
        return;
      }
      case 0x02: {
        const lsr = env.inb(base + 5);
        if (lsr & 0x01) {
          call.al = env.inb(base);
          call.ah = lsr & 0x1e;
        } else call.ah = lsr | 0x80;
        return;
      }
      case 0x03:
        status();
        return;
      default:
        return;
    }
  }

  /** INT 17h: no printer ports; every call reports a time-out. */
  int17(call: Call): void {
    call.ah = 0x01;
  }
}
