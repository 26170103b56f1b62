// vmexit's built-in BIOS: a ROM of real x86 entry stubs (./rom.ts) whose
// services run in TypeScript. A stub's `OUT BIOS_TRAP_PORT, AL` reaches
// this device's ioWrite, which asks the board to run the service at the
// instruction boundary after the OUT; the service tells which stub trapped
// from CS:IP, works on the stopped CPU's registers and memory, and lets the
// stub's IRET return to the caller.
//
// POST (also a trap, from the reset vector's far jump) sets up the IVT, the
// BDA and EBDA, programs the PICs, PIT, RTC, COM1 and VGA through the port
// bus as firmware does, and runs INT 19h, which boots a disk or starts a
// kernel given with --kernel (./kernelHandover.ts).

import type { Cpu } from '../../cpu/cpu';
import { CS, DS, ES, IF, SS } from '../../cpu/state';
import { CD_BLOCK, type CdImage } from '../cdImage';
import type { Device, IoSize, PortHandler } from '../bus';
import { Bda, Call } from './call';
import { CDROM_DRIVE, CdromService } from './cdrom13';
import { DiskService } from './disk13';
import { ElToritoBoot, findElToritoBoot } from './elTorito';
import { BiosEnv } from './env';
import type { BiosHost } from './host';
import { KBD_FLAGS3_POWER_ON, KeyboardService } from './keyboard';
import { BIOS_SEGMENT, BIOS_TRAP_PORT, ROM_BASE, buildRom, type RomLayout, type TrapName } from './rom';
import { startKernel } from './kernelHandover';
import { BOOT_STACK_TOP, EBDA_BASE, EBDA_SEGMENT, SystemService } from './system';
import { Video } from './video';
import { FloppyType } from '../cmos';

export { BIOS_TRAP_PORT };

export interface BiosState {
  /** Why the last INT 19h found nothing to boot, for INT 18h's message. */
  bootFailure: string | null;
  /** The CD's El Torito boot image when INT 19h booted it (INT 13h AH=4Bh reports it). */
  cdBoot?: ElToritoBoot | null;
  /** Services run, a figure of merit. */
  traps: number;
}


export class Bios implements Device<BiosState>, PortHandler {
  readonly name = 'bios';
  readonly ports: readonly number[] = [BIOS_TRAP_PORT];
  /** The 64 KiB ROM image for F0000-FFFFF (and the alias at FFFF0000). */
  readonly rom: Uint8Array;
  readonly layout: RomLayout;
  private readonly traps: Map<number, TrapName>;
  private readonly env: BiosEnv;
  private readonly video: Video;
  private readonly disk: DiskService;
  private readonly keyboard: KeyboardService;
  private readonly system: SystemService;
  private readonly cdrom: CdromService | null;
  private state: BiosState = { bootFailure: null, traps: 0, cdBoot: null };

  constructor(private readonly host: BiosHost) {
    const built = buildRom(host.hardDisks, host.cpus);
    this.rom = built.image;
    this.layout = built.layout;
    this.traps = built.traps;
    this.env = new BiosEnv(host, this.layout);
    this.video = new Video(this.env);
    this.disk = new DiskService(this.env);
    this.keyboard = new KeyboardService(this.env);
    this.system = new SystemService(this.env);
    this.cdrom = host.cdrom ? new CdromService(host.cdrom, () => this.state.cdBoot ?? null) : null;
  }

  reset(): void {
    this.state = { bootFailure: null, traps: 0, cdBoot: null };
    this.cdrom?.reset();
  }

  saveState(): BiosState {
    return { ...this.state, cdBoot: this.state.cdBoot ? { ...this.state.cdBoot } : null };
  }

  loadState(state: BiosState): void {
    this.state = { ...state, cdBoot: state.cdBoot ? { ...state.cdBoot } : null };
  }

  ioRead(_port: number, _size: IoSize): number {
    return 0xff;
  }

  ioWrite(_port: number, _size: IoSize, _value: number): void {
    this.host.atBoundary((cpu) => this.service(cpu));
  }

  /** Which service a CPU stopped just after a trap OUT is asking for (null: the OUT did not come from a stub). */
  trapAt(cpu: Cpu): TrapName | null {
    if ((cpu.segBase[CS] >>> 0) !== ROM_BASE) return null;
    return this.traps.get(cpu.eip) ?? null;
  }

  /** Run the service of the stub that trapped. */
  service(cpu: Cpu): void {
    const name = this.trapAt(cpu);
    if (name === null) return; // an OUT to the trap port from outside the ROM: nothing is there
    this.state.traps++;
    const call = new Call(cpu, this.env.mem);
    const l = this.layout;
    switch (name) {
      case 'post':
        this.post(call);
        return;
      case 'int09':
        this.keyboard.scanCode(call.al);
        return;
      case 'int10':
        this.video.service(call);
        return;
      case 'int13':
        if (this.cdrom && call.dl === CDROM_DRIVE) this.cdrom.service(call);
        else this.disk.service(call);
        return;
      case 'int14':
        this.system.int14(call);
        return;
      case 'int15':
        if (this.system.int15(call) === 'wait') call.ip = l.int15Wait;
        return;
      case 'int15wait':
        if (this.system.waitCheck(call) === 'wait') call.ip = l.int15Wait;
        return;
      case 'int16':
        if (this.keyboard.service(call)) call.ip = l.int16Wait;
        return;
      case 'int17':
        this.system.int17(call);
        return;
      case 'int18':
        this.noBootableDevice();
        return;
      case 'int19':
        this.boot(call);
        return;
      case 'int1a':
        this.system.int1a(call);
        return;
      case 'int70':
        this.system.rtcInterrupt();
        return;
    }
  }

  // ---- POST. ----

  private post(call: Call): void {
    const env = this.env;
    const host = this.host;
    const mem = env.mem;
    const l = this.layout;

    // Interrupt vector table and BIOS data area.
    mem.fill(0, 0x500, 0);
    const vectors = new Array<number>(256).fill(l.dummyIret);
    vectors[0x05] = l.int05;
    vectors[0x08] = l.int08;
    vectors[0x09] = l.int09;
    for (const v of [0x0a, 0x0b, 0x0c, 0x0d, 0x0f]) vectors[v] = l.eoiMaster;
    vectors[0x0e] = l.int0e;
    vectors[0x10] = l.int10;
    vectors[0x11] = l.int11;
    vectors[0x12] = l.int12;
    vectors[0x13] = l.int13;
    vectors[0x14] = l.int14;
    vectors[0x15] = l.int15;
    vectors[0x16] = l.int16;
    vectors[0x17] = l.int17;
    vectors[0x18] = l.int18;
    vectors[0x19] = l.int19;
    vectors[0x1a] = l.int1a;
    vectors[0x1d] = l.videoParams;
    vectors[0x1e] = l.diskettePpt;
    vectors[0x1f] = l.font8x8High;
    vectors[0x40] = l.int40;
    vectors[0x41] = l.hardDiskParams[0];
    vectors[0x43] = l.font8x8;
    vectors[0x46] = l.hardDiskParams[1];
    vectors[0x70] = l.int70;
    for (let v = 0x71; v <= 0x77; v++) vectors[v] = l.eoiSlave;
    for (let v = 0; v < 256; v++) {
      mem.wr16(v * 4, vectors[v]);
      mem.wr16(v * 4 + 2, BIOS_SEGMENT);
    }
    // INT 60h-67h belong to user programs: empty.
    for (let v = 0x60; v <= 0x67; v++) mem.wr32(v * 4, 0);

    const floppies = host.floppies.filter((f) => f !== null).length;
    env.setBda16(Bda.Com1, 0x3f8);
    env.setBda16(Bda.EbdaSegment, EBDA_SEGMENT);
    // Equipment: floppy drives, the math coprocessor (bit 1: the CPU's x87), 80x25 colour display, one serial port.
    env.setBda16(Bda.Equipment, (floppies > 0 ? 0x0001 | ((floppies - 1) << 6) : 0) | 0x0002 | 0x0020 | (1 << 9));
    env.setBda16(Bda.MemoryKiB, EBDA_BASE >> 10);
    env.setBda16(Bda.KbdHead, Bda.KbdBuffer);
    env.setBda16(Bda.KbdTail, Bda.KbdBuffer);
    env.setBda16(Bda.KbdBufferStart, Bda.KbdBuffer);
    env.setBda16(Bda.KbdBufferEnd, Bda.KbdBuffer + 32);
    env.setBda8(Bda.KbdFlags3, KBD_FLAGS3_POWER_ON);
    env.setBda8(Bda.HardDiskCount, host.hardDisks.length);
    // EBDA: its size in KiB in the first byte.
    mem.fill(EBDA_BASE, 0xa0000 - EBDA_BASE, 0);
    mem.wr8(EBDA_BASE, 1);

    // 8259 pair: ICW1 (edge, cascade, ICW4), ICW2 vectors 08h/70h, ICW3 slave on IRQ2, ICW4 8086 mode.
    env.outb(0x20, 0x11);
    env.outb(0xa0, 0x11);
    env.outb(0x21, 0x08);
    env.outb(0xa1, 0x70);
    env.outb(0x21, 0x04);
    env.outb(0xa1, 0x02);
    env.outb(0x21, 0x01);
    env.outb(0xa1, 0x01);
    // Unmask the timer, keyboard and cascade on the master, the RTC on the slave.
    env.outb(0x21, 0xf8);
    env.outb(0xa1, 0xfe);

    // 8254 channel 0: mode 3, count 65536 (18.2 Hz).
    env.outb(0x43, 0x36);
    env.outb(0x40, 0x00);
    env.outb(0x40, 0x00);

    // RTC: 32.768 kHz base, 1024 Hz periodic rate; BCD, 24-hour, no interrupts; clear pending flags.
    env.cmosWrite(0x0a, 0x26);
    env.cmosWrite(0x0b, 0x02);
    env.cmosRead(0x0c);
    env.cmosRead(0x0d);
    // CMOS configuration: floppy types, hard disks, equipment, memory sizes, checksum.
    const type = (i: number): number => host.floppies[i]?.format?.driveType ?? FloppyType.None;
    env.cmosWrite(0x10, (type(0) << 4) | type(1));
    env.cmosWrite(0x12, (host.hardDisks[0] ? 0xf0 : 0) | (host.hardDisks[1] ? 0x0f : 0));
    env.cmosWrite(0x19, host.hardDisks[0] ? 47 : 0);
    env.cmosWrite(0x1a, host.hardDisks[1] ? 47 : 0);
    env.cmosWrite(0x14, (floppies > 0 ? 0x01 | ((floppies - 1) << 6) : 0) | 0x00);
    const baseKiB = 640;
    const extKiB = Math.min(0xffff, Math.floor(Math.max(0, host.memoryBytes - 0x100000) / 1024));
    const highBlocks = Math.min(0xffff, Math.floor(Math.max(0, Math.min(host.memoryBytes, 0xfffc0000) - 0x1000000) / 0x10000));
    env.cmosWrite(0x15, baseKiB & 0xff);
    env.cmosWrite(0x16, baseKiB >> 8);
    env.cmosWrite(0x17, extKiB & 0xff);
    env.cmosWrite(0x18, extKiB >> 8);
    env.cmosWrite(0x30, extKiB & 0xff);
    env.cmosWrite(0x31, extKiB >> 8);
    env.cmosWrite(0x34, highBlocks & 0xff);
    env.cmosWrite(0x35, highBlocks >> 8);
    let sum = 0;
    for (let i = 0x10; i <= 0x2d; i++) sum += env.cmosRead(i);
    env.cmosWrite(0x2e, sum >> 8);
    env.cmosWrite(0x2f, sum & 0xff);
    env.cmosWrite(0x0f, 0x00); // shutdown status: normal

    // COM1: 9600 baud (divisor 12), 8N1, no interrupts, FIFOs off, DTR and RTS.
    env.outb(0x3f8 + 3, 0x80);
    env.outb(0x3f8 + 0, 12);
    env.outb(0x3f8 + 1, 0);
    env.outb(0x3f8 + 3, 0x03);
    env.outb(0x3f8 + 1, 0x00);
    env.outb(0x3f8 + 2, 0x00);
    env.outb(0x3f8 + 4, 0x03);

    // Video: mode 03h, cleared.
    this.video.setMode(0x03);

    // The POST code continues with INT 19h on a stack below the boot sector.
    call.cpu.loadSegmentReal(SS, 0);
    call.sp = BOOT_STACK_TOP;
    call.cpu.loadSegmentReal(DS, 0);
    call.cpu.loadSegmentReal(ES, 0);
  }

  // ---- INT 19h / INT 18h. ----

  /**
   * INT 19h: a kernel given with --kernel when there is one (./kernelHandover.ts); otherwise the first bootable drive in the boot order. Its sector 0 goes to
   * 0000:7C00; a hard disk needs the 55AAh signature at offset 510. A floppy
   * only needs a sector that is not blank (all one byte value, as a freshly
   * formatted or empty image is): boot sectors of DOS 1.x-era diskettes carry
   * no signature, and PC BIOSes of that era did not check for one. On
   * success the stub jumps to 0000:7C00 with DL = drive, DS = ES = SS = 0 and
   * SP = 7C00h; otherwise it continues at INT 18h.
   */
  private boot(call: Call): void {
    const host = this.host;
    if (host.directBoot) {
      startKernel(this.env, call.cpu, host.directBoot);
      this.state.bootFailure = null;
      return;
    }
    const reasons: string[] = [];
    for (const kind of host.bootOrder) {
      if (kind === 'cdrom') {
        if (!host.cdrom) continue;
        const found = findElToritoBoot(host.cdrom);
        if (typeof found === 'string') {
          reasons.push(`CD-ROM: ${found}`);
          continue;
        }
        this.bootCd(call, host.cdrom, found);
        return;
      }
      const drives: { dl: number; label: string }[] =
        kind === 'floppy'
          ? host.floppies.flatMap((f, i) => (f ? [{ dl: i, label: `floppy ${String.fromCharCode(65 + i)}` }] : []))
          : host.hardDisks.map((_, i) => ({ dl: 0x80 + i, label: `hard disk ${(0x80 + i).toString(16)}h` }));
      for (const { dl, label } of drives) {
        const disk = this.disk.drive(dl);
        const sector = disk?.readSectors(0, 1);
        if (!disk || !sector) {
          reasons.push(`${label}: cannot read sector 0`);
          continue;
        }
        if (kind === 'hard' && (sector[510] !== 0x55 || sector[511] !== 0xaa)) {
          reasons.push(`${label}: no boot signature (55AAh) in sector 0`);
          continue;
        }
        if (kind === 'floppy' && sector.every((b) => b === sector[0])) {
          reasons.push(`${label}: sector 0 is blank`);
          continue;
        }
        this.env.mem.write(0x7c00, sector);
        this.bootRegisters(call, dl);
        return;
      }
    }
    if (host.bootOrder.length === 0 || reasons.length === 0) reasons.push('no disk images');
    this.state.bootFailure = reasons.join('; ');
    call.ip = this.layout.int19NoBoot;
  }

  /**
   * El Torito no-emulation boot: the boot image's virtual sectors go to its
   * load segment, which the CPU enters at offset 0 (as SeaBIOS does) with
   * DL = E0h, interrupts on, DS = ES = SS = 0 and SP = 7C00h.
   */
  private bootCd(call: Call, cd: CdImage, boot: ElToritoBoot): void {
    const image = cd.readBytes(boot.lba * CD_BLOCK, boot.sectorCount * 512);
    if (image) this.env.mem.write(boot.loadSegment << 4, image);
    this.bootRegisters(call, CDROM_DRIVE);
    const cpu = call.cpu;
    cpu.loadSegmentReal(CS, boot.loadSegment);
    call.ip = 0;
    cpu.setFlags(cpu.getFlags() | IF);
    this.state.cdBoot = boot;
  }

  /** What boot code starts with: the boot drive in DL, other registers zero, DS = ES = SS = 0, SP = 7C00h. */
  private bootRegisters(call: Call, dl: number): void {
    const cpu = call.cpu;
    cpu.reg32.fill(0);
    call.dl = dl;
    cpu.loadSegmentReal(DS, 0);
    cpu.loadSegmentReal(ES, 0);
    cpu.loadSegmentReal(SS, 0);
    call.sp = BOOT_STACK_TOP;
    this.state.bootFailure = null;
  }

  /** INT 18h: nothing to boot. The message goes to the user and the screen; the stub halts. */
  private noBootableDevice(): void {
    const detail = this.state.bootFailure ? ` (${this.state.bootFailure})` : '';
    this.host.message(`vmexit BIOS: no bootable device${detail}`);
    for (const ch of 'No bootable device.\r\n') this.video.teletype(ch.charCodeAt(0), 0, 0x07);
  }
}
