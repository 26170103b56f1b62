// A CD-ROM image as the firmware sees it: an ISO 9660 file read in 2048-byte
// blocks by LBA, read-only (a CD cannot be written). The user's bytes are
// never changed.

export const CD_BLOCK = 2048;

export class CdImageError extends Error {}

export class CdImage {
  readonly blockCount: number;

  constructor(
    private readonly bytes: Uint8Array,
    /** The file name, for messages. */
    readonly name: string,
  ) {
    if (bytes.length < 17 * CD_BLOCK || bytes.length % CD_BLOCK !== 0) {
      throw new CdImageError(`CD-ROM image '${name}' has an unsupported size (${bytes.length} bytes): not a whole number of 2048-byte blocks past the ISO 9660 system area`);
    }
    this.blockCount = bytes.length / CD_BLOCK;
  }

  inRange(lba: number, count: number): boolean {
    return Number.isInteger(lba) && lba >= 0 && count >= 0 && lba + count <= this.blockCount;
  }

  /** `count` blocks from `lba` (a view of the image), or null past the end. */
  readBlocks(lba: number, count: number): Uint8Array | null {
    if (!this.inRange(lba, count)) return null;
    return this.bytes.subarray(lba * CD_BLOCK, (lba + count) * CD_BLOCK);
  }

  /** Bytes at a byte offset (El Torito boot images are counted in 512-byte "virtual sectors"). */
  readBytes(offset: number, length: number): Uint8Array | null {
    if (offset < 0 || offset + length > this.bytes.length) return null;
    return this.bytes.subarray(offset, offset + length);
  }
}
