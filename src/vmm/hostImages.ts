// The user's files for a PcMachine, as the CLI and the debug adapter both
// open them: disk images read once (the guest's writes stay in each
// DiskImage's overlay), how an image is classified (floppy by size, a small
// raw program padded to a 1.44M floppy, else a hard disk), a BIOS ROM image,
// a kernel with its initrd or modules (src/devices/loaders), and writing the changed sectors back for --persist / `persist`. Bad input
// is a HostFileError with a one-line message; each front end words the
// sources its own way (`ImageLabels`) and turns the error into its own kind.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { CdImage, CdImageError } from '../devices/cdImage';
import { DiskImage, DiskImageError } from '../devices/disk';
import { hasPartitionTable, isIso9660 } from '../devices/imageKind';
import { DirectBoot, KernelImageError, KernelModule, openKernel } from '../devices/loaders/openKernel';
import { ValueRule, describeValue, inputFileProblem } from './optionRules';

export class HostFileError extends Error {}

/** Standard floppy image sizes in bytes (160K to 2.88M). */
export const FLOPPY_SIZES = new Set([163840, 184320, 327680, 368640, 737280, 1228800, 1474560, 2949120]);

export interface ImageRequest {
  /** Classified by size (see above). */
  image: string | null;
  fda: string | null;
  hda: string | null;
  boot: 'a' | 'c' | 'd' | null;
  /** An ISO 9660 image for the CD-ROM drive. */
  cdrom?: string | null;
  /** 'builtin' or a ROM image file. */
  bios: string;
  /** --kernel: a Multiboot or Linux kernel started by the built-in BIOS instead of a boot sector. */
  kernel: string | null;
  /** --append: the kernel's command line. */
  append: string | null;
  /** --initrd: QEMU's syntax, comma-separated entries (",," for a comma), each a file name and optional words after a space. */
  initrd: string | null;
  /** Guest RAM, for checking that the kernel and its modules fit. */
  memoryBytes: number;
  /** Folder the kernel and initrd names are relative to (default: the process's). */
  cwd?: string;
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
  bootDWithoutCdrom: string;
  twoCdroms: string;
  cdrom: string;
  /** The kernel, command line and initrd options as the front end names them ("--kernel", "'kernel'"). */
  kernel: string;
  append: string;
  initrd: string;
}

export interface OpenedImages {
  floppy: DiskImage | null;
  hardDisk: DiskImage | null;
  cdrom: CdImage | null;
  boot: 'a' | 'c' | 'd';
  bios: Uint8Array | null;
  /** The kernel laid out for the BIOS's boot step (--kernel), or null. */
  kernel: DirectBoot | null;
  /** What the image argument was taken for, when its content (not its size) decided: one line each. */
  notes: string[];
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
    // The disk model's and the kernel loaders' own checks are bad input too.
    if (e instanceof DiskImageError || e instanceof CdImageError || e instanceof KernelImageError) throw new HostFileError(e.message);
    throw e;
  }
}

function openImagesChecked(request: ImageRequest, labels: ImageLabels): OpenedImages {
  const files = new Map<DiskImage, string>();
  let floppy: DiskImage | null = null;
  let hardDisk: DiskImage | null = null;
  let imageDrive: 'a' | 'c' | 'd' | null = null;
  let imageCd: CdImage | null = null;
  const notes: string[] = [];
  if (request.image !== null) {
    const file = request.image;
    const bytes = readHostFile(file, labels.image);
    let disk: DiskImage | null = null;
    if (isIso9660(bytes)) {
      imageCd = new CdImage(bytes, file);
      notes.push(`'${file}' is an ISO 9660 volume: it goes in the CD-ROM drive (boot d)`);
    } else if (hasPartitionTable(bytes) && !FLOPPY_SIZES.has(bytes.length) && bytes.length % 512 === 0) {
      disk = DiskImage.hard(bytes, file);
      if (bytes.length < 1474560) notes.push(`'${file}' has an MBR partition table: it is the first hard disk (boot c), not a floppy`);
    } else if (FLOPPY_SIZES.has(bytes.length)) disk = DiskImage.floppy(bytes, file);
    else if (bytes.length < 1474560) disk = DiskImage.paddedFloppy(bytes, file);
    else if (bytes.length % 512 === 0) disk = DiskImage.hard(bytes, file);
    else {
      throw new HostFileError(
        `${labels.image} '${file}' has an unsupported size (${bytes.length} bytes): not a floppy size and not a whole number of 512-byte sectors`,
      );
    }
    if (disk) {
      imageDrive = disk.kind === 'floppy' ? 'a' : 'c';
      if (imageDrive === 'a') floppy = disk;
      else hardDisk = disk;
      files.set(disk, file);
    } else imageDrive = 'd';
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
  if (imageCd && request.cdrom) throw new HostFileError(labels.twoCdroms);
  const cdrom = imageCd ?? (request.cdrom ? new CdImage(readHostFile(request.cdrom, labels.cdrom), request.cdrom) : null);
  const boot = request.boot ?? imageDrive ?? (floppy ? 'a' : hardDisk || !cdrom ? 'c' : 'd');
  // With a kernel the disks are only attached: the boot order matters only when asked for.
  const bootChecked = request.kernel === null || request.boot !== null;
  if (bootChecked && boot === 'a' && !floppy) throw new HostFileError(labels.bootAWithoutFloppy);
  if (bootChecked && boot === 'c' && !hardDisk) throw new HostFileError(labels.bootCWithoutHardDisk);
  if (bootChecked && boot === 'd' && !cdrom) throw new HostFileError(labels.bootDWithoutCdrom);
  const bios = request.bios === 'builtin' ? null : readBiosImage(request.bios);
  const kernel = openKernelRequest(request, labels);
  return { floppy, hardDisk, cdrom, boot, bios, kernel, notes, files };
}

/** QEMU's -initrd list: entries split at commas (",," is a comma in a name), each a file name and words after a space. */
export function splitInitrd(list: string): { string: string; file: string }[] {
  const entries = list.split(/(?<!,),(?!,)/).map((e) => e.replace(/,,/g, ','));
  return entries.map((entry) => ({ string: entry, file: entry.split(' ')[0] }));
}

/**
 * The rule for an -initrd list (CLI and launch.json alike): at least one
 * entry, none empty, each entry's file readable (resolved against `cwd` when
 * given). The value stays as written: the entries are the modules' strings.
 */
export function initrdList(expects: string, cwd?: string): ValueRule<string> {
  return {
    expects,
    check(v) {
      if (typeof v !== 'string' || v.trim() === '') return { ok: false };
      for (const entry of splitInitrd(v)) {
        if (entry.file === '') return { ok: false, detail: 'an entry is empty' };
        const problem = inputFileProblem(cwd === undefined ? entry.file : path.resolve(cwd, entry.file));
        if (problem !== null) return { ok: false, detail: `${describeValue(entry.file)}: ${problem}` };
      }
      return { ok: true, value: v };
    },
  };
}

function openKernelRequest(request: ImageRequest, labels: ImageLabels): DirectBoot | null {
  const { kernel } = request;
  if (kernel === null) {
    if (request.append !== null) throw new HostFileError(`${labels.append} needs ${labels.kernel}`);
    if (request.initrd !== null) throw new HostFileError(`${labels.initrd} needs ${labels.kernel}`);
    return null;
  }
  if (request.bios !== 'builtin') throw new HostFileError(`${labels.kernel} needs the built-in BIOS (its boot step loads the kernel)`);
  const resolve = (file: string): string => (request.cwd === undefined ? file : path.resolve(request.cwd, file));
  const initrd: KernelModule[] = [];
  for (const entry of request.initrd === null ? [] : splitInitrd(request.initrd)) {
    if (entry.file === '') throw new HostFileError(`${labels.initrd} has an empty entry ('${request.initrd}')`);
    initrd.push({ string: entry.string, path: entry.file, bytes: readHostFile(resolve(entry.file), 'initrd file') });
  }
  return openKernel({
    path: kernel,
    bytes: readHostFile(resolve(kernel), 'kernel'),
    append: request.append ?? '',
    initrd,
    memoryBytes: request.memoryBytes,
  });
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
