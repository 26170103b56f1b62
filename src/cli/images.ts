// Opening the user's disk images. They are read once into memory; the guest's
// writes stay in a copy-on-write overlay and reach the file only with --persist.

import * as fs from 'node:fs';
import { RunOptions, UserError } from './args';
import { DiskImage, DiskImageError } from '../vmm/pc';

export interface OpenDisks {
  floppy: DiskImage | null;
  hardDisk: DiskImage | null;
  boot: 'a' | 'c';
  /** Image files by disk, for --persist. */
  files: Map<DiskImage, string>;
}

/** Standard floppy image sizes in bytes (160K to 2.88M). */
const FLOPPY_SIZES = new Set([163840, 184320, 327680, 368640, 737280, 1228800, 1474560, 2949120]);

function readImage(path: string): Uint8Array {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? `image '${path}' does not exist` : `cannot open image '${path}': ${code ?? String(e)}`);
  }
  if (!stat.isFile()) throw new UserError(`image '${path}' is not a regular file`);
  if (stat.size === 0) throw new UserError(`image '${path}' is empty`);
  if (stat.size > 2 ** 31) throw new UserError(`image '${path}' is too large (${stat.size} bytes; at most 2 GiB)`);
  try {
    return new Uint8Array(fs.readFileSync(path));
  } catch (e) {
    throw new UserError(`cannot read image '${path}': ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

function openFloppy(path: string): DiskImage {
  const bytes = readImage(path);
  if (!FLOPPY_SIZES.has(bytes.length)) {
    throw new UserError(
      `floppy image '${path}' has an unsupported size (${bytes.length} bytes): expected 160K, 180K, 320K, 360K, 720K, 1.2M, 1.44M or 2.88M`,
    );
  }
  return DiskImage.floppy(bytes, path);
}

function openHardDisk(path: string): DiskImage {
  const bytes = readImage(path);
  if (bytes.length % 512 !== 0) {
    throw new UserError(`hard-disk image '${path}' has an unsupported size (${bytes.length} bytes): not a whole number of 512-byte sectors`);
  }
  return DiskImage.hard(bytes, path);
}

/**
 * The positional image: a floppy when it has a floppy's size, a raw boot
 * sector or small program (under 1.44M, padded to a 1.44M floppy), else a
 * hard disk.
 */
function openPositional(path: string): { disk: DiskImage; drive: 'a' | 'c' } {
  const bytes = readImage(path);
  if (FLOPPY_SIZES.has(bytes.length)) return { disk: DiskImage.floppy(bytes, path), drive: 'a' };
  if (bytes.length < 1474560) return { disk: DiskImage.paddedFloppy(bytes, path), drive: 'a' };
  if (bytes.length % 512 !== 0) {
    throw new UserError(`image '${path}' has an unsupported size (${bytes.length} bytes): not a floppy size and not a whole number of 512-byte sectors`);
  }
  return { disk: DiskImage.hard(bytes, path), drive: 'c' };
}

/** Image checks the disk model makes itself (geometry) become user errors too. */
function asUserError<T>(make: () => T): T {
  try {
    return make();
  } catch (e) {
    if (e instanceof DiskImageError) throw new UserError(e.message);
    throw e;
  }
}

export function openDisks(options: RunOptions): OpenDisks {
  return asUserError(() => openDisksChecked(options));
}

function openDisksChecked(options: RunOptions): OpenDisks {
  const files = new Map<DiskImage, string>();
  let floppy: DiskImage | null = null;
  let hardDisk: DiskImage | null = null;
  let positionalDrive: 'a' | 'c' | null = null;
  if (options.image !== null) {
    const { disk, drive } = openPositional(options.image);
    files.set(disk, options.image);
    positionalDrive = drive;
    if (drive === 'a') floppy = disk;
    else hardDisk = disk;
  }
  if (options.fda !== null) {
    if (floppy) throw new UserError('two floppy images given (the image argument and --fda)');
    floppy = openFloppy(options.fda);
    files.set(floppy, options.fda);
  }
  if (options.hda !== null) {
    if (hardDisk) throw new UserError('two hard-disk images given (the image argument and --hda)');
    hardDisk = openHardDisk(options.hda);
    files.set(hardDisk, options.hda);
  }
  const boot = options.boot ?? positionalDrive ?? (floppy ? 'a' : 'c');
  if (boot === 'a' && !floppy) throw new UserError('--boot a but there is no floppy image');
  if (boot === 'c' && !hardDisk) throw new UserError('--boot c but there is no hard-disk image');
  return { floppy, hardDisk, boot, files };
}

/** --persist: write the sectors the guest changed back into each image file (a padded boot sector keeps its length). */
export function persistDisks(disks: OpenDisks): void {
  for (const [disk, path] of disks.files) {
    const dirty = disk.dirtySectors();
    if (dirty.length === 0) continue;
    const fd = fs.openSync(path, 'r+');
    try {
      const fileSize = fs.fstatSync(fd).size;
      for (const { lba, data } of dirty) {
        const offset = lba * 512;
        if (offset >= fileSize) continue; // beyond a padded boot sector's real length
        fs.writeSync(fd, data, 0, Math.min(data.length, fileSize - offset), offset);
      }
    } finally {
      fs.closeSync(fd);
    }
  }
}
