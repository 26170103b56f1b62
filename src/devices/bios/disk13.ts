// INT 13h, disks: floppies (drives 00h, 01h) and hard disks (80h, 81h, ...)
// backed by DiskImage. CHS calls use the image's geometry (standard floppy
// formats; 16 heads x 63 sectors for hard disks, which AH=08h and AH=48h
// report alike); the EDD extensions (AH=41h-48h) reach every sector by LBA.
// No DMA 64 KiB boundary errors: transfers go straight into guest RAM.
//
// Status codes (AH, also kept at 0040:0041 for floppies and 0040:0074 for
// hard disks, read back by AH=01h): 00h success, 01h bad command or
// parameter, 04h sector not found, 80h timeout (no such drive), AAh drive
// not ready.

import { DS, ES } from '../../cpu/state';
import { Bda, Call } from './call';
import type { BiosEnv } from './env';
import { SECTOR_SIZE, type DiskImage } from '../disk';

export const ST_OK = 0x00;
export const ST_BAD_COMMAND = 0x01;
export const ST_SECTOR_NOT_FOUND = 0x04;
export const ST_TIMEOUT = 0x80;

/** EDD version reported by AH=41h: 3.0. */
const EDD_VERSION = 0x30;
/** AH=41h CX: fixed-disk access subset (42h-44h, 47h, 48h). */
const EDD_FIXED_DISK_ACCESS = 0x0001;

export class DiskService {
  constructor(private readonly env: BiosEnv) {}

  /** The disk image of a BIOS drive number, or null. */
  drive(dl: number): DiskImage | null {
    const host = this.env.host;
    if (dl & 0x80) return host.hardDisks[dl & 0x7f] ?? null;
    return host.floppies[dl] ?? null;
  }

  floppyCount(): number {
    return this.env.host.floppies.filter((f) => f !== null).length;
  }

  private setStatus(dl: number, status: number): void {
    this.env.setBda8(dl & 0x80 ? Bda.HardDiskStatus : Bda.FloppyStatus, status);
  }

  private finish(call: Call, dl: number, status: number): void {
    this.setStatus(dl, status);
    call.ah = status;
    call.carry = status !== ST_OK;
  }

  service(call: Call): void {
    const dl = call.dl;
    const fn = call.ah;
    const disk = this.drive(dl);
    switch (fn) {
      case 0x00: // reset
      case 0x0d: // alternate reset
        this.finish(call, dl, disk ? ST_OK : ST_TIMEOUT);
        return;
      case 0x01: { // status of the last operation
        const status = this.env.bda8(dl & 0x80 ? Bda.HardDiskStatus : Bda.FloppyStatus);
        call.ah = status;
        call.carry = status !== ST_OK;
        this.setStatus(dl, ST_OK);
        return;
      }
      case 0x02:
      case 0x03:
      case 0x04:
        this.chsTransfer(call, disk, fn);
        return;
      case 0x05: // format track: the sectors keep their data
        if (!disk) return this.finish(call, dl, ST_TIMEOUT);
        this.finish(call, dl, ST_OK);
        return;
      case 0x08:
        this.parameters(call, disk);
        return;
      case 0x09: // initialise controller with drive parameters
      case 0x0c: // seek
      case 0x10: // test drive ready
      case 0x11: // recalibrate
      case 0x14: // controller diagnostic
        this.finish(call, dl, disk ? ST_OK : ST_TIMEOUT);
        return;
      case 0x15:
        this.driveType(call, disk);
        return;
      case 0x16: // diskette change line: not changed
        if (dl & 0x80) return this.finish(call, dl, ST_BAD_COMMAND);
        this.finish(call, dl, disk ? ST_OK : ST_TIMEOUT);
        return;
      case 0x17: // set diskette type for format
      case 0x18: // set media type for format
        if (!disk) return this.finish(call, dl, ST_TIMEOUT);
        if (fn === 0x18) {
          call.es = 0xf000;
          call.di = this.env.layout.diskettePpt;
        }
        this.finish(call, dl, ST_OK);
        return;
      case 0x41:
        if (!(dl & 0x80) || !disk || call.bx !== 0x55aa) return this.finish(call, dl, ST_BAD_COMMAND);
        call.bx = 0xaa55;
        call.cx = EDD_FIXED_DISK_ACCESS;
        call.ah = EDD_VERSION;
        call.carry = false;
        return;
      case 0x42:
      case 0x43:
      case 0x44:
        this.lbaTransfer(call, disk, fn);
        return;
      case 0x47: // extended seek
        if (!(dl & 0x80) || !disk) return this.finish(call, dl, disk ? ST_BAD_COMMAND : ST_TIMEOUT);
        this.finish(call, dl, ST_OK);
        return;
      case 0x48:
        this.eddParameters(call, disk);
        return;
      default:
        this.finish(call, dl, ST_BAD_COMMAND);
        return;
    }
  }

  /** AH=02h read, 03h write, 04h verify: AL sectors from CH/CL/DH to or from ES:BX. */
  private chsTransfer(call: Call, disk: DiskImage | null, fn: number): void {
    const dl = call.dl;
    const count = call.al;
    if (!disk) {
      call.al = 0;
      return this.finish(call, dl, ST_TIMEOUT);
    }
    const cylinder = call.ch | ((call.cl & 0xc0) << 2);
    const sector = call.cl & 0x3f;
    const head = call.dh;
    const lba = disk.chsToLba(cylinder, head, sector);
    if (count === 0 || count > 128) {
      call.al = 0;
      return this.finish(call, dl, ST_BAD_COMMAND);
    }
    if (lba < 0 || !disk.inRange(lba, count)) {
      call.al = 0;
      return this.finish(call, dl, ST_SECTOR_NOT_FOUND);
    }
    const buffer = call.linear(ES, call.bx);
    this.transfer(call, disk, fn === 0x02 ? 'read' : fn === 0x03 ? 'write' : 'verify', lba, count, buffer);
    call.al = count;
    this.finish(call, dl, ST_OK);
  }

  private transfer(call: Call, disk: DiskImage, op: 'read' | 'write' | 'verify', lba: number, count: number, linear: number): void {
    if (op === 'read') {
      const data = disk.readSectors(lba, count);
      if (data) call.writeLinear(linear, data);
    } else if (op === 'write') {
      disk.writeSectors(lba, call.readLinear(linear, count * SECTOR_SIZE));
    }
  }

  /** AH=42h read, 43h write, 44h verify through the disk address packet at DS:SI. */
  private lbaTransfer(call: Call, disk: DiskImage | null, fn: number): void {
    const dl = call.dl;
    if (!(dl & 0x80)) return this.finish(call, dl, ST_BAD_COMMAND);
    if (!disk) return this.finish(call, dl, ST_TIMEOUT);
    const packet = call.si;
    const size = call.rd8(DS, packet);
    const count = call.rd16(DS, packet + 2);
    const offset = call.rd16(DS, packet + 4);
    const segment = call.rd16(DS, packet + 6);
    const lbaLow = call.rd32(DS, packet + 8);
    const lbaHigh = call.rd32(DS, packet + 12);
    if (size < 0x10) return this.finish(call, dl, ST_BAD_COMMAND);
    let linear = ((segment << 4) + offset) >>> 0;
    if (size >= 0x18 && offset === 0xffff && segment === 0xffff) {
      // EDD 3.0: a flat 64-bit buffer address at +10h (the low 32 bits are what a PC can reach).
      linear = call.rd32(DS, packet + 0x10);
    }
    const lba = lbaHigh * 0x100000000 + lbaLow;
    if (count === 0) return this.finish(call, dl, ST_OK);
    if (count > 127 || !disk.inRange(lba, count)) {
      call.wr16(DS, packet + 2, 0); // nothing transferred
      return this.finish(call, dl, count > 127 ? ST_BAD_COMMAND : ST_SECTOR_NOT_FOUND);
    }
    this.transfer(call, disk, fn === 0x42 ? 'read' : fn === 0x43 ? 'write' : 'verify', lba, count, linear);
    this.finish(call, dl, ST_OK);
  }

  /** AH=08h: drive parameters. */
  private parameters(call: Call, disk: DiskImage | null): void {
    const dl = call.dl;
    if (!(dl & 0x80)) {
      if (!disk) {
        // Floppies: no such drive.
        return this.finish(call, dl, ST_BAD_COMMAND);
      }
      const g = disk.geometry;
      const maxCyl = g.cylinders - 1;
      call.ax = 0;
      call.bl = disk.format?.driveType ?? 4;
      call.bh = 0;
      call.ch = maxCyl & 0xff;
      call.cl = (g.sectorsPerTrack & 0x3f) | ((maxCyl >> 2) & 0xc0);
      call.dh = g.heads - 1;
      call.dl = this.floppyCount();
      call.es = 0xf000;
      call.di = this.env.layout.diskettePpt;
      this.setStatus(0, ST_OK);
      call.carry = false;
      return;
    }
    if (!disk) {
      call.ah = ST_TIMEOUT;
      this.setStatus(dl, ST_TIMEOUT);
      call.dl = this.env.host.hardDisks.length;
      call.carry = true;
      return;
    }
    const maxCyl = disk.chsCylinders - 1;
    call.ax = 0;
    call.bl = 0;
    call.ch = maxCyl & 0xff;
    call.cl = (disk.geometry.sectorsPerTrack & 0x3f) | ((maxCyl >> 2) & 0xc0);
    call.dh = disk.geometry.heads - 1;
    call.dl = this.env.host.hardDisks.length;
    this.setStatus(dl, ST_OK);
    call.carry = false;
  }

  /** AH=15h: drive type. */
  private driveType(call: Call, disk: DiskImage | null): void {
    const dl = call.dl;
    if (!disk) {
      call.ah = 0x00; // no such drive
      call.carry = false;
      return;
    }
    if (dl & 0x80) {
      call.ah = 0x03; // hard disk; CX:DX = sectors
      call.cx = Math.floor(disk.sectorCount / 0x10000) & 0xffff;
      call.dx = disk.sectorCount & 0xffff;
    } else {
      call.ah = 0x02; // floppy with change-line support
    }
    call.carry = false;
  }

  /** AH=48h: EDD drive parameters into the result buffer at DS:SI (1Ah bytes, 1Eh with the DPTE pointer). */
  private eddParameters(call: Call, disk: DiskImage | null): void {
    const dl = call.dl;
    if (!(dl & 0x80)) return this.finish(call, dl, ST_BAD_COMMAND);
    if (!disk) return this.finish(call, dl, ST_TIMEOUT);
    const buffer = call.si;
    const size = call.rd16(DS, buffer);
    if (size < 0x1a) return this.finish(call, dl, ST_BAD_COMMAND);
    const g = disk.geometry;
    // CHS is valid while the geometry covers the disk within the 16383-cylinder limit of the ATA default.
    const chsValid = g.cylinders <= 16383;
    const out = new Uint8Array(size >= 0x1e ? 0x1e : 0x1a);
    const view = new DataView(out.buffer);
    view.setUint16(0x00, out.length, true);
    view.setUint16(0x02, (chsValid ? 0x0002 : 0) | 0x0001, true); // DMA boundary errors handled; CHS valid
    view.setUint32(0x04, chsValid ? g.cylinders : 16383, true);
    view.setUint32(0x08, g.heads, true);
    view.setUint32(0x0c, g.sectorsPerTrack, true);
    view.setUint32(0x10, disk.sectorCount % 0x100000000, true);
    view.setUint32(0x14, Math.floor(disk.sectorCount / 0x100000000), true);
    view.setUint16(0x18, SECTOR_SIZE, true);
    if (out.length >= 0x1e) view.setUint32(0x1a, 0xffffffff, true); // no device parameter table extension
    call.writeLinear(call.linear(DS, buffer), out);
    this.finish(call, dl, ST_OK);
  }
}
