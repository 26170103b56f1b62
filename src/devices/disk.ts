// Disk images as the firmware sees them: 512-byte sectors addressed by LBA,
// with a CHS geometry for the BIOS's cylinder/head/sector calls.
//
// The user's bytes are never changed. A guest's writes land in a
// copy-on-write overlay (one buffer per written sector); `dirtySectors()`
// lists them so the CLI can write them back when asked to (`--persist`).
//
// Geometry:
// - floppies by image size, the standard PC formats (160K to 2.88M);
// - hard disks as BIOSes have translated them since the 1990s: 16 heads and
//   63 sectors per track, cylinders = ceil(sectors / 1008). CHS calls can
//   reach at most 1024 cylinders (about 504 MiB); the EDD extensions reach
//   the rest by LBA.

export const SECTOR_SIZE = 512;

export interface ChsGeometry {
  cylinders: number;
  heads: number;
  sectorsPerTrack: number;
}

/** A standard floppy format: its size, geometry and the BIOS drive type (INT 13h AH=08h BL, CMOS 10h nibble). */
export interface FloppyFormat {
  bytes: number;
  label: string;
  geometry: ChsGeometry;
  /** Drive type that reads this medium: 1 = 360K, 2 = 1.2M, 3 = 720K, 4 = 1.44M, 5 = 2.88M. */
  driveType: number;
}

export const FLOPPY_FORMATS: readonly FloppyFormat[] = [
  { bytes: 163840, label: '160K', geometry: { cylinders: 40, heads: 1, sectorsPerTrack: 8 }, driveType: 1 },
  { bytes: 184320, label: '180K', geometry: { cylinders: 40, heads: 1, sectorsPerTrack: 9 }, driveType: 1 },
  { bytes: 327680, label: '320K', geometry: { cylinders: 40, heads: 2, sectorsPerTrack: 8 }, driveType: 1 },
  { bytes: 368640, label: '360K', geometry: { cylinders: 40, heads: 2, sectorsPerTrack: 9 }, driveType: 1 },
  { bytes: 737280, label: '720K', geometry: { cylinders: 80, heads: 2, sectorsPerTrack: 9 }, driveType: 3 },
  { bytes: 1228800, label: '1.2M', geometry: { cylinders: 80, heads: 2, sectorsPerTrack: 15 }, driveType: 2 },
  { bytes: 1474560, label: '1.44M', geometry: { cylinders: 80, heads: 2, sectorsPerTrack: 18 }, driveType: 4 },
  { bytes: 2949120, label: '2.88M', geometry: { cylinders: 80, heads: 2, sectorsPerTrack: 36 }, driveType: 5 },
];

export const FLOPPY_1440K_BYTES = 1474560;

/** Hard-disk translation used by the BIOS: heads and sectors per track. */
export const HARD_DISK_HEADS = 16;
export const HARD_DISK_SECTORS_PER_TRACK = 63;
/** The most cylinders INT 13h's CHS calls can address (10-bit cylinder number). */
export const CHS_MAX_CYLINDERS = 1024;

export class DiskImageError extends Error {}

export class DiskImage {
  private readonly overlay = new Map<number, Uint8Array>();
  readonly sectorCount: number;
  readonly geometry: ChsGeometry;
  /** Floppy format, for floppies. */
  readonly format: FloppyFormat | null;

  private constructor(
    private readonly bytes: Uint8Array,
    readonly kind: 'floppy' | 'hard',
    /** The file name, for messages. */
    readonly name: string,
    format: FloppyFormat | null,
  ) {
    this.sectorCount = Math.floor(bytes.length / SECTOR_SIZE);
    this.format = format;
    if (format) this.geometry = { ...format.geometry };
    else {
      const perCylinder = HARD_DISK_HEADS * HARD_DISK_SECTORS_PER_TRACK;
      this.geometry = {
        cylinders: Math.max(1, Math.ceil(this.sectorCount / perCylinder)),
        heads: HARD_DISK_HEADS,
        sectorsPerTrack: HARD_DISK_SECTORS_PER_TRACK,
      };
    }
  }

  /** A floppy image of one of the standard sizes (160K, 180K, 320K, 360K, 720K, 1.2M, 1.44M, 2.88M). */
  static floppy(bytes: Uint8Array, name: string): DiskImage {
    const format = FLOPPY_FORMATS.find((f) => f.bytes === bytes.length);
    if (!format) {
      throw new DiskImageError(
        `floppy image '${name}' has an unsupported size (${bytes.length} bytes): expected ` +
          FLOPPY_FORMATS.map((f) => `${f.label} (${f.bytes})`).join(', '),
      );
    }
    return new DiskImage(bytes, 'floppy', name, format);
  }

  /** A hard-disk image: a whole number of 512-byte sectors, at least one. */
  static hard(bytes: Uint8Array, name: string): DiskImage {
    if (bytes.length === 0 || bytes.length % SECTOR_SIZE !== 0) {
      throw new DiskImageError(
        `hard-disk image '${name}' has an unsupported size (${bytes.length} bytes): not a whole number of 512-byte sectors`,
      );
    }
    return new DiskImage(bytes, 'hard', name, null);
  }

  /**
   * A raw boot sector or small program (smaller than a 1.44M floppy) as a
   * 1.44M floppy: the bytes at the start, zeros after. The padding is the
   * image's own (a copy): the caller's array is not changed.
   */
  static paddedFloppy(bytes: Uint8Array, name: string): DiskImage {
    if (bytes.length > FLOPPY_1440K_BYTES) {
      throw new DiskImageError(`'${name}' is too large to pad to a 1.44M floppy (${bytes.length} bytes)`);
    }
    const padded = new Uint8Array(FLOPPY_1440K_BYTES);
    padded.set(bytes);
    return DiskImage.floppy(padded, name);
  }

  /** `count` sectors from `lba`, or null if any of them is past the end of the disk. */
  readSectors(lba: number, count: number): Uint8Array | null {
    if (!this.inRange(lba, count)) return null;
    const out = new Uint8Array(count * SECTOR_SIZE);
    for (let i = 0; i < count; i++) out.set(this.sector(lba + i), i * SECTOR_SIZE);
    return out;
  }

  /** Write whole sectors from `lba` into the overlay; false (nothing written) if any is past the end. */
  writeSectors(lba: number, data: Uint8Array): boolean {
    const count = Math.ceil(data.length / SECTOR_SIZE);
    if (!this.inRange(lba, count)) return false;
    for (let i = 0; i < count; i++) {
      const sector = new Uint8Array(SECTOR_SIZE);
      sector.set(data.subarray(i * SECTOR_SIZE, (i + 1) * SECTOR_SIZE));
      this.overlay.set(lba + i, sector);
    }
    return true;
  }

  /** Whether sectors lba..lba+count-1 exist. */
  inRange(lba: number, count: number): boolean {
    return Number.isInteger(lba) && Number.isInteger(count) && lba >= 0 && count >= 0 && lba + count <= this.sectorCount;
  }

  /** The sectors the guest has written, in LBA order, with their current contents (for --persist). */
  dirtySectors(): { lba: number; data: Uint8Array }[] {
    return [...this.overlay.keys()].sort((a, b) => a - b).map((lba) => ({ lba, data: this.sector(lba) }));
  }

  /** Forget the guest's writes (the image as it was opened). */
  discardWrites(): void {
    this.overlay.clear();
  }

  /** LBA of a CHS address in this disk's geometry (sector numbers from 1), or -1 outside the geometry. */
  chsToLba(cylinder: number, head: number, sector: number): number {
    const g = this.geometry;
    if (sector < 1 || sector > g.sectorsPerTrack || head >= g.heads || cylinder >= g.cylinders) return -1;
    return (cylinder * g.heads + head) * g.sectorsPerTrack + sector - 1;
  }

  /**
   * Cylinders the BIOS's CHS calls report (INT 13h AH=08h): only whole
   * cylinders that exist on the image, at most 1024, so every CHS address
   * AH=08h describes can be read.
   */
  get chsCylinders(): number {
    const g = this.geometry;
    if (this.kind === 'floppy') return g.cylinders;
    const whole = Math.floor(this.sectorCount / (g.heads * g.sectorsPerTrack));
    return Math.max(1, Math.min(CHS_MAX_CYLINDERS, whole));
  }

  private sector(lba: number): Uint8Array {
    const written = this.overlay.get(lba);
    if (written) return written;
    return this.bytes.subarray(lba * SECTOR_SIZE, (lba + 1) * SECTOR_SIZE);
  }
}
