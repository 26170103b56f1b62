// The SCSI/MMC packet commands of an ATAPI CD-ROM drive (the 12-byte CDBs a
// host sends with the ATA PACKET command), answered from a CD image: what
// booting and a CD driver use first — TEST UNIT READY, REQUEST SENSE,
// INQUIRY, READ CAPACITY, READ(10)/(12), READ TOC (format 0), MODE SENSE(10)
// (capabilities page 2Ah), START STOP UNIT, PREVENT ALLOW MEDIUM REMOVAL,
// GET CONFIGURATION (the current profile: CD-ROM), GET EVENT STATUS
// NOTIFICATION (no event). Anything else fails with ILLEGAL REQUEST /
// INVALID COMMAND OPERATION CODE, as MMC says, and REQUEST SENSE reports it.

import { CD_BLOCK, type CdImage } from '../cdImage';

/** Sense keys and additional sense codes (SPC-3 §4.5.6). */
const SENSE_NONE = 0x00;
const SENSE_ILLEGAL_REQUEST = 0x05;
const ASC_INVALID_OPCODE = 0x20;
const ASC_LBA_OUT_OF_RANGE = 0x21;
const ASC_INVALID_FIELD = 0x24;

/** A packet command's outcome: data for the host (possibly empty), or a check condition. */
export type PacketResult = { ok: true; data: Uint8Array } | { ok: false };

export interface AtapiSense {
  key: number;
  asc: number;
}

function be16(b: Uint8Array, at: number, v: number): void {
  b[at] = (v >>> 8) & 0xff;
  b[at + 1] = v & 0xff;
}

function be32(b: Uint8Array, at: number, v: number): void {
  be16(b, at, v >>> 16);
  be16(b, at + 2, v & 0xffff);
}

function ascii(b: Uint8Array, at: number, text: string, length: number): void {
  for (let i = 0; i < length; i++) b[at + i] = i < text.length ? text.charCodeAt(i) : 0x20;
}

/** The drive's packet command set over one CD image; keeps the sense of the last command. */
export class AtapiCdrom {
  sense: AtapiSense = { key: SENSE_NONE, asc: 0 };

  constructor(readonly cd: CdImage) {}

  private fail(asc: number): PacketResult {
    this.sense = { key: SENSE_ILLEGAL_REQUEST, asc };
    return { ok: false };
  }

  private done(data: Uint8Array, allocation: number): PacketResult {
    this.sense = { key: SENSE_NONE, asc: 0 };
    return { ok: true, data: data.length > allocation ? data.subarray(0, allocation) : data };
  }

  /** Run one CDB. */
  execute(cdb: Uint8Array): PacketResult {
    const u16 = (at: number): number => (cdb[at] << 8) | cdb[at + 1];
    const u32 = (at: number): number => ((cdb[at] << 24) | (cdb[at + 1] << 16) | (cdb[at + 2] << 8) | cdb[at + 3]) >>> 0;
    switch (cdb[0]) {
      case 0x00: // TEST UNIT READY
      case 0x1b: // START STOP UNIT
      case 0x1e: // PREVENT ALLOW MEDIUM REMOVAL
        return this.done(new Uint8Array(0), 0);
      case 0x03: { // REQUEST SENSE: fixed format, then the sense is cleared
        const s = new Uint8Array(18);
        s[0] = 0x70;
        s[2] = this.sense.key;
        s[7] = 10;
        s[12] = this.sense.asc;
        const result = this.done(s, cdb[4]);
        return result;
      }
      case 0x12: { // INQUIRY: a removable CD/DVD device, SPC-3
        if (cdb[1] & 0x01) return this.fail(ASC_INVALID_FIELD); // no vital product data pages
        const q = new Uint8Array(36);
        q[0] = 0x05;
        q[1] = 0x80;
        q[2] = 0x05;
        q[3] = 0x02;
        q[4] = 31;
        ascii(q, 8, 'VMEXIT', 8);
        ascii(q, 16, 'ATAPI CD-ROM', 16);
        ascii(q, 32, '1.0', 4);
        return this.done(q, cdb[4]);
      }
      case 0x25: { // READ CAPACITY: the last block and the block size
        const c = new Uint8Array(8);
        be32(c, 0, this.cd.blockCount - 1);
        be32(c, 4, CD_BLOCK);
        return this.done(c, 8);
      }
      case 0x28: // READ(10)
      case 0xa8: { // READ(12)
        const lba = u32(2);
        const count = cdb[0] === 0x28 ? u16(7) : u32(6);
        const data = this.cd.readBlocks(lba, count);
        if (!data) return this.fail(ASC_LBA_OUT_OF_RANGE);
        return this.done(data, data.length);
      }
      case 0x43: return this.readToc(cdb, u16(7));
      case 0x5a: { // MODE SENSE(10): the CD capabilities page (2Ah)
        const page = cdb[2] & 0x3f;
        if (page !== 0x2a && page !== 0x3f) return this.fail(ASC_INVALID_FIELD);
        const m = new Uint8Array(8 + 28);
        be16(m, 0, m.length - 2);
        m[2] = 0x70; // medium type: door closed, no disc information
        m[8] = 0x2a;
        m[9] = 26;
        m[10] = 0x03; // reads CD-R and CD-RW
        m[14] = 0x29; // eject, lock, tray
        be16(m, 16, 706); // maximum read speed, KB/s
        be16(m, 20, 2048); // buffer size, KB
        be16(m, 22, 706); // current read speed
        return this.done(m, u16(7));
      }
      case 0x46: { // GET CONFIGURATION: the feature header with the current profile
        const g = new Uint8Array(8);
        be32(g, 0, 4);
        be16(g, 6, 0x0008); // profile CD-ROM
        return this.done(g, u16(7));
      }
      case 0x4a: { // GET EVENT STATUS NOTIFICATION (polled): no event of the supported media class
        if (!(cdb[1] & 0x01)) return this.fail(ASC_INVALID_FIELD);
        const e = new Uint8Array(8);
        be16(e, 0, 6);
        e[2] = 0x04; // media class
        e[3] = 0x10; // supported: media
        e[5] = 0x02; // media present
        return this.done(e, u16(7));
      }
      default:
        return this.fail(ASC_INVALID_OPCODE);
    }
  }

  /** READ TOC format 0: one data track and the lead-out (LBA or MSF addresses). */
  private readToc(cdb: Uint8Array, allocation: number): PacketResult {
    const format = cdb[9] >> 6 || (cdb[2] & 0x0f);
    if (format !== 0) return this.fail(ASC_INVALID_FIELD);
    const msf = (cdb[1] & 0x02) !== 0;
    const t = new Uint8Array(4 + 2 * 8);
    be16(t, 0, t.length - 2);
    t[2] = 1;
    t[3] = 1;
    const entry = (at: number, track: number, lba: number): void => {
      t[at + 1] = 0x14; // ADR 1, control: data track
      t[at + 2] = track;
      if (msf) {
        const frames = lba + 150;
        t[at + 5] = Math.floor(frames / (75 * 60));
        t[at + 6] = Math.floor(frames / 75) % 60;
        t[at + 7] = frames % 75;
      } else be32(t, at + 4, lba);
    };
    entry(4, 1, 0);
    entry(12, 0xaa, this.cd.blockCount);
    return this.done(t, allocation);
  }
}
