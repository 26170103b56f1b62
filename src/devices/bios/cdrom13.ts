// INT 13h for the CD-ROM drive (E0h, as SeaBIOS numbers it) after an El
// Torito no-emulation boot: the EDD calls a boot loader uses on a CD (AH=41h
// extensions present, AH=42h extended read of 2048-byte blocks, AH=48h drive
// parameters, AH=47h seek, AH=44h verify), AH=4Bh (terminate disk emulation
// / return boot status with the specification packet), reset and status.
// Writes fail with 03h (write-protected); the CHS calls are not for CDs.

import { DS } from '../../cpu/state';
import { CD_BLOCK, type CdImage } from '../cdImage';
import type { Call } from './call';
import type { ElToritoBoot } from './elTorito';

/** The CD-ROM's BIOS drive number. */
export const CDROM_DRIVE = 0xe0;

const ST_OK = 0x00;
const ST_BAD_COMMAND = 0x01;
const ST_WRITE_PROTECTED = 0x03;
const ST_SECTOR_NOT_FOUND = 0x04;

export class CdromService {
  private status = ST_OK;

  constructor(
    private readonly cd: CdImage,
    /** What the boot loaded (AH=4Bh reports it); null when the CD was not booted. */
    private readonly booted: () => ElToritoBoot | null,
  ) {}

  reset(): void {
    this.status = ST_OK;
  }

  private finish(call: Call, status: number): void {
    this.status = status;
    call.ah = status;
    call.carry = status !== ST_OK;
  }

  service(call: Call): void {
    switch (call.ah) {
      case 0x00: // reset
      case 0x47: // extended seek
        return this.finish(call, ST_OK);
      case 0x01:
        call.ah = this.status;
        call.carry = this.status !== ST_OK;
        this.status = ST_OK;
        return;
      case 0x41:
        if (call.bx !== 0x55aa) return this.finish(call, ST_BAD_COMMAND);
        call.bx = 0xaa55;
        call.cx = 0x0001; // fixed-disk access subset
        call.ah = 0x30; // EDD 3.0
        call.carry = false;
        return;
      case 0x42:
      case 0x44:
        return this.read(call, call.ah === 0x42);
      case 0x43:
        return this.finish(call, ST_WRITE_PROTECTED);
      case 0x48:
        return this.parameters(call);
      case 0x4b:
        return this.bootStatus(call);
      default:
        return this.finish(call, ST_BAD_COMMAND);
    }
  }

  /** AH=42h (read) / 44h (verify): the disk address packet at DS:SI counts 2048-byte blocks. */
  private read(call: Call, copy: boolean): void {
    const packet = call.si;
    const size = call.rd8(DS, packet);
    const count = call.rd16(DS, packet + 2);
    const offset = call.rd16(DS, packet + 4);
    const segment = call.rd16(DS, packet + 6);
    const lba = call.rd32(DS, packet + 12) * 0x100000000 + call.rd32(DS, packet + 8);
    let linear = ((segment << 4) + offset) >>> 0;
    if (size >= 0x18 && offset === 0xffff && segment === 0xffff) linear = call.rd32(DS, packet + 0x10);
    if (size < 0x10) return this.finish(call, ST_BAD_COMMAND);
    if (count === 0) return this.finish(call, ST_OK);
    const data = count > 127 ? null : this.cd.readBlocks(lba, count);
    if (!data) {
      call.wr16(DS, packet + 2, 0);
      return this.finish(call, count > 127 ? ST_BAD_COMMAND : ST_SECTOR_NOT_FOUND);
    }
    if (copy) call.writeLinear(linear, data);
    this.finish(call, ST_OK);
  }

  /** AH=48h: removable, 2048-byte blocks, no CHS geometry. */
  private parameters(call: Call): void {
    const buffer = call.si;
    const size = call.rd16(DS, buffer);
    if (size < 0x1a) return this.finish(call, ST_BAD_COMMAND);
    const out = new Uint8Array(size >= 0x1e ? 0x1e : 0x1a);
    const v = new DataView(out.buffer);
    v.setUint16(0x00, out.length, true);
    v.setUint16(0x02, 0x0074, true); // removable, change-line support, lockable; CHS not valid
    v.setUint32(0x04, 0xffffffff, true);
    v.setUint32(0x08, 0xffffffff, true);
    v.setUint32(0x0c, 0xffffffff, true);
    v.setUint32(0x10, this.cd.blockCount, true);
    v.setUint32(0x14, 0, true);
    v.setUint16(0x18, CD_BLOCK, true);
    if (out.length >= 0x1e) v.setUint32(0x1a, 0xffffffff, true);
    call.writeLinear(call.linear(DS, buffer), out);
    this.finish(call, ST_OK);
  }

  /** AH=4Bh AL=00h/01h: the El Torito specification packet (13h bytes) at DS:SI. */
  private bootStatus(call: Call): void {
    const boot = this.booted();
    if ((call.al !== 0x00 && call.al !== 0x01) || !boot) return this.finish(call, ST_BAD_COMMAND);
    const p = new Uint8Array(0x13);
    const v = new DataView(p.buffer);
    p[0] = 0x13;
    p[1] = 0x00; // no emulation
    p[2] = CDROM_DRIVE;
    p[3] = 0; // controller index
    v.setUint32(4, boot.lba, true);
    v.setUint16(8, 0, true); // device specification: master
    v.setUint16(0x0a, 0, true); // user buffer segment
    v.setUint16(0x0c, boot.loadSegment, true);
    v.setUint16(0x0e, boot.sectorCount, true);
    call.writeLinear(call.linear(DS, call.si), p);
    this.finish(call, ST_OK);
  }
}
