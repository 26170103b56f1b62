// The user's files for a PcMachine, as the CLI and the debug adapter both
// open them: disk images read once (the guest's writes stay in each
// DiskImage's overlay), how an image is classified (floppy by size, a small
// raw program padded to a 1.44M floppy, else a hard disk), a BIOS ROM image,
// and writing the changed sectors back for --persist / `persist`. Bad input
// is a HostFileError with a one-line message; each front end words the
// sources its own way (`ImageLabels`) and turns the error into its own kind.

import * as fs from 'node:fs';
import { DiskImage, DiskImageError } from '../devices/disk';

export class HostFileError extends Error {}

/** Standard floppy image sizes in bytes (160K to 2.88M). */
export const FLOPPY_SIZES = new Set([163840, 184320, 327680, 368640, 737280, 1228800, 1474560, 2949120]);

export interface ImageRequest {
  /** Classified by size (see above). */
  image: string | null;
  fda: string | null;
  hda: string | null;
  boot: 'a' | 'c' | null;
  /** 'builtin' or a ROM image file. */
  bios: string;
}

/** How a front end names things in its messages (a CLI option, a launch argument). */
export interface ImageLabels {
  image: string;
  fda: string;
  hda: string;
  twoFloppies: string;
  twoHardDisks: string;
  bootAWithoutFloppy: string;
  bootCWithoutHardDisk: string;
}

export interface OpenedImages {
  floppy: DiskImage | null;
  hardDisk: DiskImage | null;
  boot: 'a' | 'c';
  bios: Uint8Array | null;
  /** Image files by disk, for persisting. */
  files: Map<DiskImage, string>;
}

/** Read a whole file the user named; `what` names it in messages ("image", "BIOS image" ...). */
export function readHostFile(file: string, what: string): Uint8Array {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new HostFileError(code === 'ENOENT' ? `${what} '${file}' does not exist` : `cannot open ${what} '${file}': ${code ?? String(e)}`);
  }
  if (!st.isFile()) throw new HostFileError(`${what} '${file}' is not a regular file`);
  if (st.size === 0) throw new HostFileError(`${what} '${file}' is empty`);
  if (st.size > 2 ** 31) throw new HostFileError(`${what} '${file}' is too large (${st.size} bytes; at most 2 GiB)`);
  try {
    return new Uint8Array(fs.readFileSync(file));
  } catch (e) {
    throw new HostFileError(`cannot read ${what} '${file}': ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

/** A BIOS ROM image: a multiple of 2 KiB, at most 256 KiB. */
export function readBiosImage(file: string): Uint8Array {
  const data = readHostFile(file, 'BIOS image');
  if (data.length > 256 * 1024 || data.length % 2048 !== 0) {
    throw new HostFileError(`BIOS image '${file}' has an unsupported size (${data.length} bytes): expected a multiple of 2 KiB up to 256 KiB`);
  }
  return data;
}

/** Open every file the request names (again on a cold restart: the files are read anew). */
export function openImages(request: ImageRequest, labels: ImageLabels): OpenedImages {
  try {
    return openImagesChecked(request, labels);
  } catch (e) {
    // The disk model's own checks (geometry) are bad input too.
    if (e instanceof DiskImageError) throw new HostFileError(e.message);
    throw e;
  }
}

function openImagesChecked(request: ImageRequest, labels: ImageLabels): OpenedImages {
  const files = new Map<DiskImage, string>();
  let floppy: DiskImage | null = null;
  let hardDisk: DiskImage | null = null;
  let imageDrive: 'a' | 'c' | null = null;
  if (request.image !== null) {
    const file = request.image;
    const bytes = readHostFile(file, labels.image);
    let disk: DiskImage;
    if (FLOPPY_SIZES.has(bytes.length)) disk = DiskImage.floppy(bytes, file);
    else if (bytes.length < 1474560) disk = DiskImage.paddedFloppy(bytes, file);
    else if (bytes.length % 512 === 0) disk = DiskImage.hard(bytes, file);
    else {
      throw new HostFileError(
        `${labels.image} '${file}' has an unsupported size (${bytes.length} bytes): not a floppy size and not a whole number of 512-byte sectors`,
      );
    }
    imageDrive = disk.kind === 'floppy' ? 'a' : 'c';
    if (imageDrive === 'a') floppy = disk;
    else hardDisk = disk;
    files.set(disk, file);
  }
  if (request.fda !== null) {
    if (floppy) throw new HostFileError(labels.twoFloppies);
    const bytes = readHostFile(request.fda, labels.fda);
    if (!FLOPPY_SIZES.has(bytes.length)) {
      throw new HostFileError(
        `floppy image '${request.fda}' has an unsupported size (${bytes.length} bytes): expected 160K, 180K, 320K, 360K, 720K, 1.2M, 1.44M or 2.88M`,
      );
    }
    floppy = DiskImage.floppy(bytes, request.fda);
    files.set(floppy, request.fda);
  }
  if (request.hda !== null) {
    if (hardDisk) throw new HostFileError(labels.twoHardDisks);
    const bytes = readHostFile(request.hda, labels.hda);
    if (bytes.length % 512 !== 0) {
      throw new HostFileError(
        `hard-disk image '${request.hda}' has an unsupported size (${bytes.length} bytes): not a whole number of 512-byte sectors`,
      );
    }
    hardDisk = DiskImage.hard(bytes, request.hda);
    files.set(hardDisk, request.hda);
  }
  const boot = request.boot ?? imageDrive ?? (floppy ? 'a' : 'c');
  if (boot === 'a' && !floppy) throw new HostFileError(labels.bootAWithoutFloppy);
  if (boot === 'c' && !hardDisk) throw new HostFileError(labels.bootCWithoutHardDisk);
  const bios = request.bios === 'builtin' ? null : readBiosImage(request.bios);
  return { floppy, hardDisk, boot, bios, files };
}

/** Write the sectors the guest changed back into each image file (a padded boot sector keeps its length). */
export function persistImages(images: OpenedImages): void {
  for (const [disk, file] of images.files) {
    const dirty = disk.dirtySectors();
    if (dirty.length === 0) continue;
    const fd = fs.openSync(file, 'r+');
    try {
      const size = fs.fstatSync(fd).size;
      for (const { lba, data } of dirty) {
        const offset = lba * 512;
        if (offset >= size) continue; // beyond a padded boot sector's real length
        fs.writeSync(fd, data, 0, Math.min(data.length, size - offset), offset);
      }
    } finally {
      fs.closeSync(fd);
    }
  }
}
