// What a disk image is, by its content: an ISO 9660 volume (a CD), or a disk
// with an MBR partition table (a hard disk). Sizes alone mislead: a small
// partitioned disk image is not a floppy, and an ISO can have any size.

import { CD_BLOCK } from './cdImage';
import { SECTOR_SIZE } from './disk';

/** The ISO 9660 primary volume descriptor's "CD001" at block 16. */
export function isIso9660(bytes: Uint8Array): boolean {
  const at = 16 * CD_BLOCK;
  return bytes.length >= at + CD_BLOCK && bytes[at + 1] === 0x43 && bytes[at + 2] === 0x44 && bytes[at + 3] === 0x30 && bytes[at + 4] === 0x30 && bytes[at + 5] === 0x31;
}

/**
 * An MBR partition table: the 55AAh signature, every entry's status 00h or
 * 80h, and at least one partition whose first sector lies after the MBR and
 * inside the image. (A floppy's boot code at 1BEh fails these checks.)
 */
export function hasPartitionTable(bytes: Uint8Array): boolean {
  if (bytes.length < SECTOR_SIZE || bytes[510] !== 0x55 || bytes[511] !== 0xaa) return false;
  const v = new DataView(bytes.buffer, bytes.byteOffset, SECTOR_SIZE);
  const sectors = Math.ceil(bytes.length / SECTOR_SIZE);
  let partitions = 0;
  for (let i = 0; i < 4; i++) {
    const e = 0x1be + i * 16;
    const status = bytes[e];
    const type = bytes[e + 4];
    if (status !== 0x00 && status !== 0x80) return false;
    if (type === 0) continue;
    const start = v.getUint32(e + 8, true);
    const count = v.getUint32(e + 12, true);
    if (start === 0 || count === 0 || start >= sectors) return false;
    partitions++;
  }
  return partitions > 0;
}
