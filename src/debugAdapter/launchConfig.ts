// The launch arguments (launch.json): checked one by one, each problem
// answered with a message that names the argument, and the image files opened
// with the CLI's rules (floppy sizes, a raw boot sector padded to a 1.44M
// floppy, whole sectors for a hard disk, BIOS ROM sizes). No DAP types here.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { DiskImage, DiskImageError } from '../vmm/pc';

export class LaunchError extends Error {}

export type EntryStop = 'reset' | 'bootsector' | false;

/** Where serial or debugcon output goes besides the debug console's output events. */
export type OutputTarget = { kind: 'console' } | { kind: 'none' } | { kind: 'file'; path: string };

export interface SymbolFileSpec {
  path: string;
  /** Load address (linear) of the file's first byte / section, when it is not linked for its place. */
  address?: number;
  /** Real-mode load segment (address = segment * 16). */
  segment?: number;
}

export interface LaunchSpec {
  image: string | null;
  fda: string | null;
  hda: string | null;
  boot: 'a' | 'c' | null;
  /** 'builtin' or the path of a ROM image. */
  bios: string;
  memoryBytes: number;
  cpus: number;
  symbols: SymbolFileSpec[];
  stopOnEntry: EntryStop;
  serial: OutputTarget;
  debugcon: OutputTarget;
  persist: boolean;
  /** Let hardware interrupts be taken while stepping (off: masked, as QEMU's gdbstub does). */
  stepInterrupts: boolean;
}

export interface OpenedImages {
  floppy: DiskImage | null;
  hardDisk: DiskImage | null;
  boot: 'a' | 'c';
  bios: Uint8Array | null;
  /** Image files by disk, for `persist`. */
  files: Map<DiskImage, string>;
}

const KNOWN = new Set([
  'type', 'request', 'name', 'cwd', 'image', 'fda', 'hda', 'boot', 'bios', 'memory', 'cpus', 'symbols',
  'stopOnEntry', 'serial', 'debugcon', 'persist', 'stepInterrupts', 'noDebug', '__sessionId', '__restart',
  '__configurationTarget', 'presentation', 'internalConsoleOptions', 'preLaunchTask', 'postDebugTask',
  'debugServer', 'trace',
]);

function describe(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'string' ? `'${v}'` : typeof v === 'object' ? 'an object' : String(v);
}

function optionalPath(args: Record<string, unknown>, key: string, cwd: string): string | null {
  const v = args[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || v.trim() === '') throw new LaunchError(`'${key}' must be a file path (a non-empty string), not ${describe(v)}`);
  return path.resolve(cwd, v);
}

function parseMemory(v: unknown): number {
  if (v === undefined) return 32 * 1024 * 1024;
  let mib: number;
  if (typeof v === 'number') mib = v;
  else if (typeof v === 'string') {
    const m = /^\s*(\d+)\s*(k|kib|m|mib|g|gib)?\s*$/i.exec(v);
    if (!m) throw new LaunchError(`'memory' must be a size in MiB (e.g. 32, "64M", "1G"), not ${describe(v)}`);
    const n = Number(m[1]);
    const unit = (m[2] ?? 'm').toLowerCase()[0];
    mib = unit === 'k' ? n / 1024 : unit === 'g' ? n * 1024 : n;
  } else throw new LaunchError(`'memory' must be a size in MiB (e.g. 32, "64M", "1G"), not ${describe(v)}`);
  if (!Number.isInteger(mib) || mib < 1 || mib > 3584) {
    throw new LaunchError(`'memory' must be a whole number of MiB from 1 to 3584, not ${describe(v)}`);
  }
  return mib * 1024 * 1024;
}

function parseTarget(v: unknown, key: string, cwd: string): OutputTarget {
  if (v === undefined || v === null || v === 'console') return { kind: 'console' };
  if (v === 'none' || v === false) return { kind: 'none' };
  if (typeof v === 'string' && v.trim() !== '') return { kind: 'file', path: path.resolve(cwd, v) };
  throw new LaunchError(`'${key}' must be "console", "none" or a file path, not ${describe(v)}`);
}

function parseNumberish(v: unknown, what: string): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  if (typeof v === 'string' && /^\s*(0x[0-9a-f]+|\d+)\s*$/i.test(v)) return Number(v.trim());
  throw new LaunchError(`${what} must be a non-negative integer or a 0x… hex string, not ${describe(v)}`);
}

function parseSymbols(v: unknown, cwd: string): SymbolFileSpec[] {
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  return list.map((item: unknown, i) => {
    const where = `'symbols[${i}]'`;
    if (typeof item === 'string') {
      if (item.trim() === '') throw new LaunchError(`${where} is an empty path`);
      return checkedSymbolFile({ path: path.resolve(cwd, item) }, where);
    }
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw new LaunchError(`${where} must be a path or { "path", "address"?, "segment"? }, not ${describe(item)}`);
    }
    const o = item as Record<string, unknown>;
    if (typeof o.path !== 'string' || o.path.trim() === '') throw new LaunchError(`${where}.path must be a file path`);
    const spec: SymbolFileSpec = { path: path.resolve(cwd, o.path) };
    if (o.address !== undefined) spec.address = parseNumberish(o.address, `${where}.address`);
    if (o.segment !== undefined) {
      spec.segment = parseNumberish(o.segment, `${where}.segment`);
      if (spec.segment > 0xffff) throw new LaunchError(`${where}.segment must be at most 0xFFFF`);
      if (spec.address !== undefined) throw new LaunchError(`${where} gives both an address and a segment; give one`);
    }
    return checkedSymbolFile(spec, where);
  });
}

function checkedSymbolFile(spec: SymbolFileSpec, where: string): SymbolFileSpec {
  let st: fs.Stats;
  try {
    st = fs.statSync(spec.path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new LaunchError(`${where}: symbol file '${spec.path}' ${code === 'ENOENT' ? 'does not exist' : `cannot be opened (${code ?? String(e)})`}`);
  }
  if (!st.isFile()) throw new LaunchError(`${where}: symbol file '${spec.path}' is not a regular file`);
  return spec;
}

/** Check the launch arguments; throws LaunchError naming the first bad one. Does not read images (see openImages). */
export function parseLaunchArguments(raw: unknown): LaunchSpec {
  if (raw === undefined || raw === null) raw = {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new LaunchError('the launch arguments must be an object');
  const args = raw as Record<string, unknown>;
  for (const key of Object.keys(args)) {
    if (!KNOWN.has(key)) {
      throw new LaunchError(
        `unknown launch argument '${key}' (known: image, fda, hda, boot, bios, memory, cpus, symbols, stopOnEntry, serial, debugcon, persist, stepInterrupts, cwd)`,
      );
    }
  }
  const cwdArg = args.cwd;
  if (cwdArg !== undefined && (typeof cwdArg !== 'string' || cwdArg === '')) throw new LaunchError(`'cwd' must be a directory path, not ${describe(cwdArg)}`);
  const cwd = typeof cwdArg === 'string' ? path.resolve(cwdArg) : process.cwd();
  const image = optionalPath(args, 'image', cwd);
  const fda = optionalPath(args, 'fda', cwd);
  const hda = optionalPath(args, 'hda', cwd);
  if (image === null && fda === null && hda === null) {
    throw new LaunchError("nothing to boot: give 'image' (a boot sector, floppy or disk image), 'fda' or 'hda'");
  }
  const bootArg = args.boot;
  if (bootArg !== undefined && bootArg !== 'a' && bootArg !== 'c') throw new LaunchError(`'boot' must be "a" or "c", not ${describe(bootArg)}`);
  const biosArg = args.bios;
  let bios = 'builtin';
  if (biosArg !== undefined && biosArg !== 'builtin') {
    if (typeof biosArg !== 'string' || biosArg.trim() === '') throw new LaunchError(`'bios' must be "builtin" or a ROM file path, not ${describe(biosArg)}`);
    bios = path.resolve(cwd, biosArg);
  }
  const cpusArg = args.cpus ?? 1;
  if (typeof cpusArg !== 'number' || !Number.isInteger(cpusArg) || cpusArg < 1 || cpusArg > 64) {
    throw new LaunchError(`'cpus' must be a whole number from 1 to 64, not ${describe(cpusArg)}`);
  }
  if (cpusArg > 1) throw new LaunchError(`'cpus': ${cpusArg} vCPUs requested, but this version of vmexit runs one vCPU; use "cpus": 1`);
  const stop = args.stopOnEntry;
  let stopOnEntry: EntryStop;
  if (stop === undefined || stop === false) stopOnEntry = false;
  else if (stop === true || stop === 'bootsector') stopOnEntry = 'bootsector';
  else if (stop === 'reset') stopOnEntry = 'reset';
  else throw new LaunchError(`'stopOnEntry' must be "reset", "bootsector" or false, not ${describe(stop)}`);
  for (const key of ['persist', 'stepInterrupts', 'noDebug'] as const) {
    if (args[key] !== undefined && typeof args[key] !== 'boolean') throw new LaunchError(`'${key}' must be true or false, not ${describe(args[key])}`);
  }
  return {
    image,
    fda,
    hda,
    boot: bootArg ?? null,
    bios,
    memoryBytes: parseMemory(args.memory),
    cpus: cpusArg,
    symbols: parseSymbols(args.symbols, cwd),
    stopOnEntry,
    serial: parseTarget(args.serial, 'serial', cwd),
    debugcon: parseTarget(args.debugcon, 'debugcon', cwd),
    persist: args.persist === true,
    stepInterrupts: args.stepInterrupts === true,
  };
}

/** Standard floppy image sizes in bytes (160K to 2.88M). */
const FLOPPY_SIZES = new Set([163840, 184320, 327680, 368640, 737280, 1228800, 1474560, 2949120]);

function readImage(file: string, what: string): Uint8Array {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new LaunchError(code === 'ENOENT' ? `${what} '${file}' does not exist` : `cannot open ${what} '${file}': ${code ?? String(e)}`);
  }
  if (!st.isFile()) throw new LaunchError(`${what} '${file}' is not a regular file`);
  if (st.size === 0) throw new LaunchError(`${what} '${file}' is empty`);
  if (st.size > 2 ** 31) throw new LaunchError(`${what} '${file}' is too large (${st.size} bytes; at most 2 GiB)`);
  try {
    return new Uint8Array(fs.readFileSync(file));
  } catch (e) {
    throw new LaunchError(`cannot read ${what} '${file}': ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

function readBios(file: string): Uint8Array {
  const data = readImage(file, 'BIOS image');
  if (data.length > 256 * 1024 || data.length % 2048 !== 0) {
    throw new LaunchError(`BIOS image '${file}' has an unsupported size (${data.length} bytes): expected a multiple of 2 KiB up to 256 KiB`);
  }
  return data;
}

/** Open the images the spec names (again on restart: a cold start reads the files anew). */
export function openImages(spec: LaunchSpec): OpenedImages {
  try {
    return openImagesChecked(spec);
  } catch (e) {
    if (e instanceof DiskImageError) throw new LaunchError(e.message);
    throw e;
  }
}

function openImagesChecked(spec: LaunchSpec): OpenedImages {
  const files = new Map<DiskImage, string>();
  let floppy: DiskImage | null = null;
  let hardDisk: DiskImage | null = null;
  let imageDrive: 'a' | 'c' | null = null;
  if (spec.image !== null) {
    const bytes = readImage(spec.image, "'image'");
    let disk: DiskImage;
    if (FLOPPY_SIZES.has(bytes.length)) disk = DiskImage.floppy(bytes, spec.image);
    else if (bytes.length < 1474560) disk = DiskImage.paddedFloppy(bytes, spec.image);
    else if (bytes.length % 512 === 0) disk = DiskImage.hard(bytes, spec.image);
    else {
      throw new LaunchError(
        `'image' '${spec.image}' has an unsupported size (${bytes.length} bytes): not a floppy size and not a whole number of 512-byte sectors`,
      );
    }
    imageDrive = disk.kind === 'floppy' ? 'a' : 'c';
    if (imageDrive === 'a') floppy = disk;
    else hardDisk = disk;
    files.set(disk, spec.image);
  }
  if (spec.fda !== null) {
    if (floppy) throw new LaunchError("two floppy images given ('image' and 'fda')");
    const bytes = readImage(spec.fda, "floppy image 'fda'");
    if (!FLOPPY_SIZES.has(bytes.length)) {
      throw new LaunchError(
        `floppy image '${spec.fda}' has an unsupported size (${bytes.length} bytes): expected 160K, 180K, 320K, 360K, 720K, 1.2M, 1.44M or 2.88M`,
      );
    }
    floppy = DiskImage.floppy(bytes, spec.fda);
    files.set(floppy, spec.fda);
  }
  if (spec.hda !== null) {
    if (hardDisk) throw new LaunchError("two hard-disk images given ('image' and 'hda')");
    const bytes = readImage(spec.hda, "hard-disk image 'hda'");
    if (bytes.length % 512 !== 0) {
      throw new LaunchError(`hard-disk image '${spec.hda}' has an unsupported size (${bytes.length} bytes): not a whole number of 512-byte sectors`);
    }
    hardDisk = DiskImage.hard(bytes, spec.hda);
    files.set(hardDisk, spec.hda);
  }
  const boot = spec.boot ?? imageDrive ?? (floppy ? 'a' : 'c');
  if (boot === 'a' && !floppy) throw new LaunchError("'boot' is \"a\" but there is no floppy image");
  if (boot === 'c' && !hardDisk) throw new LaunchError("'boot' is \"c\" but there is no hard-disk image");
  const bios = spec.bios === 'builtin' ? null : readBios(spec.bios);
  return { floppy, hardDisk, boot, bios, files };
}

/** `persist`: write the sectors the guest changed back into each image file (a padded boot sector keeps its length). */
export function persistImages(images: OpenedImages): void {
  for (const [disk, file] of images.files) {
    const dirty = disk.dirtySectors();
    if (dirty.length === 0) continue;
    const fd = fs.openSync(file, 'r+');
    try {
      const size = fs.fstatSync(fd).size;
      for (const { lba, data } of dirty) {
        const offset = lba * 512;
        if (offset >= size) continue;
        fs.writeSync(fd, data, 0, Math.min(data.length, size - offset), offset);
      }
    } finally {
      fs.closeSync(fd);
    }
  }
}
