// El Torito ("El Torito" Bootable CD-ROM Format Specification 1.0): the boot
// record volume descriptor at block 17 points at the boot catalog, whose
// validation entry (header ID 01h, key 55h AAh, words summing to zero) is
// followed by the initial/default entry: bootable (88h), the media type
// (0 = no emulation), the load segment (0 = 07C0h), the count of 512-byte
// virtual sectors to load and the image's first block.

import { CD_BLOCK, type CdImage } from '../cdImage';

export interface ElToritoBoot {
  loadSegment: number;
  /** 512-byte virtual sectors to load. */
  sectorCount: number;
  /** The boot image's first 2048-byte block. */
  lba: number;
  /** Block of the boot catalog (reported by INT 13h AH=4Bh). */
  catalogLba: number;
}

const BOOT_RECORD_BLOCK = 17;
const EL_TORITO_ID = 'EL TORITO SPECIFICATION';

/** The no-emulation boot image of a CD, or a one-line reason why there is none. */
export function findElToritoBoot(cd: CdImage): ElToritoBoot | string {
  const brvd = cd.readBlocks(BOOT_RECORD_BLOCK, 1);
  const text = (b: Uint8Array, from: number, n: number): string => String.fromCharCode(...b.subarray(from, from + n));
  if (!brvd || brvd[0] !== 0 || text(brvd, 1, 5) !== 'CD001' || !text(brvd, 7, 32).startsWith(EL_TORITO_ID)) {
    return 'no El Torito boot record at block 17';
  }
  const catalogLba = new DataView(brvd.buffer, brvd.byteOffset).getUint32(0x47, true);
  const catalog = cd.readBlocks(catalogLba, 1);
  if (!catalog) return `the boot catalog's block ${catalogLba} lies past the end of the image`;
  const v = new DataView(catalog.buffer, catalog.byteOffset, CD_BLOCK);
  let sum = 0;
  for (let i = 0; i < 32; i += 2) sum += v.getUint16(i, true);
  if (catalog[0] !== 0x01 || catalog[30] !== 0x55 || catalog[31] !== 0xaa || (sum & 0xffff) !== 0) return 'the boot catalog has no valid validation entry';
  const entry = 32;
  if (catalog[entry] !== 0x88) return 'the boot catalog\'s default entry is not bootable';
  const media = catalog[entry + 1] & 0x0f;
  if (media !== 0) return `the default boot image uses ${['', '1.2M floppy', '1.44M floppy', '2.88M floppy', 'hard-disk'][media] ?? 'unknown'} emulation; vmexit boots no-emulation images only`;
  const lba = v.getUint32(entry + 8, true);
  const sectorCount = v.getUint16(entry + 6, true) || 1;
  if (!cd.readBytes(lba * CD_BLOCK, sectorCount * 512)) return 'the boot image lies past the end of the image';
  return { loadSegment: v.getUint16(entry + 2, true) || 0x07c0, sectorCount, lba, catalogLba };
}
