// The launch arguments (launch.json): checked one by one, each problem
// answered with a message that names the argument, and the image files opened
// with the rules the CLI shares (src/vmm/hostImages.ts: floppy sizes, a raw
// boot sector padded to a 1.44M floppy, whole sectors for a hard disk, BIOS
// ROM sizes), and the values checked by the rules the CLI shares
// (src/vmm/optionRules.ts: memory, cpus, boot, output files), worded alike.
// No DAP types here.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { HostFileError, ImageLabels, OpenedImages, initrdList, openImages as openHostImages, persistImages } from '../vmm/hostImages';
import {
  BOOT_DRIVE, CPU_COUNT, MEMORY_MIB, ValueRule, describeValue, inputFile, nonEmptyText, outputFile, refusal,
} from '../vmm/optionRules';

export type { OpenedImages };
export { persistImages };

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
  /** A NASM listing's main source file, when it is not found beside the listing (or one folder up) under the listing's name. */
  source?: string;
}

export interface LaunchSpec {
  image: string | null;
  fda: string | null;
  hda: string | null;
  boot: 'a' | 'c' | 'd' | null;
  /** An ISO 9660 image for the CD-ROM drive. */
  cdrom: string | null;
  /** 'builtin' or the path of a ROM image. */
  bios: string;
  /** A Multiboot kernel started by the built-in BIOS (QEMU's -kernel), as given: relative to `cwd`. */
  kernel: string | null;
  /** The kernel's command line (QEMU's -append). */
  append: string | null;
  /** Multiboot modules, comma-separated as in QEMU's -initrd, relative to `cwd`. */
  initrd: string | null;
  /** The folder relative paths are resolved against. */
  cwd: string;
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

const KNOWN = new Set([
  'type', 'request', 'name', 'cwd', 'image', 'fda', 'hda', 'cdrom', 'boot', 'bios', 'kernel', 'append', 'initrd', 'memory', 'cpus', 'symbols',
  'stopOnEntry', 'serial', 'debugcon', 'persist', 'stepInterrupts', 'noDebug', '__sessionId', '__restart',
  '__configurationTarget', 'presentation', 'internalConsoleOptions', 'preLaunchTask', 'postDebugTask',
  'debugServer', 'trace',
]);

function optionalPath(args: Record<string, unknown>, key: string, cwd: string): string | null {
  const v = args[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || v.trim() === '') throw new LaunchError(`'${key}' must be a file path (a non-empty string), not ${describeValue(v)}`);
  return path.resolve(cwd, v);
}

/** A launch argument checked by a rule shared with the CLI (src/vmm/optionRules.ts), refused with the same wording. */
function checked<T>(args: Record<string, unknown>, key: string, rule: ValueRule<T>): T {
  const result = rule.check(args[key]);
  if (!result.ok) throw new LaunchError(refusal(`'${key}'`, rule, args[key], result.detail));
  return result.value;
}

function parseTarget(args: Record<string, unknown>, key: string, cwd: string): OutputTarget {
  const v = args[key];
  if (v === undefined || v === null || v === 'console') return { kind: 'console' };
  if (v === 'none' || v === false) return { kind: 'none' };
  return { kind: 'file', path: checked(args, key, outputFile('"console", "none" or a writable file path', cwd)) };
}

function parseNumberish(v: unknown, what: string): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  if (typeof v === 'string' && /^\s*(0x[0-9a-f]+|\d+)\s*$/i.test(v)) return Number(v.trim());
  throw new LaunchError(`${what} must be a non-negative integer or a 0x… hex string, not ${describeValue(v)}`);
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
      throw new LaunchError(`${where} must be a path or { "path", "address"?, "segment"?, "source"? }, not ${describeValue(item)}`);
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
    if (o.source !== undefined) {
      if (typeof o.source !== 'string' || o.source.trim() === '') throw new LaunchError(`${where}.source must be a file path`);
      spec.source = path.resolve(cwd, o.source);
      if (!fs.existsSync(spec.source)) throw new LaunchError(`${where}.source: ${spec.source} does not exist`);
    }
    return checkedSymbolFile(spec, where);
  });
}

/** An ELF kernel carries its own symbols: without a 'symbols' argument, they are the kernel's. */
function kernelSymbols(file: string): SymbolFileSpec[] {
  const magic = new Uint8Array(4);
  let fd: number | null = null;
  try {
    fd = fs.openSync(file, 'r');
    fs.readSync(fd, magic, 0, 4, 0);
  } catch {
    return []; // the kernel's own check reports an unreadable file
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
  return magic[0] === 0x7f && magic[1] === 0x45 && magic[2] === 0x4c && magic[3] === 0x46 ? [{ path: file }] : [];
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
        `unknown launch argument '${key}' (known: image, fda, hda, cdrom, boot, bios, kernel, append, initrd, memory, cpus, symbols, stopOnEntry, serial, debugcon, persist, stepInterrupts, cwd)`,
      );
    }
  }
  const cwdArg = args.cwd;
  if (cwdArg !== undefined && (typeof cwdArg !== 'string' || cwdArg === '')) throw new LaunchError(`'cwd' must be a directory path, not ${describeValue(cwdArg)}`);
  const cwd = typeof cwdArg === 'string' ? path.resolve(cwdArg) : process.cwd();
  const image = optionalPath(args, 'image', cwd);
  const fda = optionalPath(args, 'fda', cwd);
  const hda = optionalPath(args, 'hda', cwd);
  const cdrom = optionalPath(args, 'cdrom', cwd);
  // The kernel's and modules' names stay as written (the guest sees them); files are resolved against cwd.
  const kernel = args.kernel === undefined ? null : (checked(args, 'kernel', inputFile('a readable kernel file', cwd)), args.kernel as string);
  const append = args.append === undefined ? null : checked(args, 'append', nonEmptyText('a non-empty command line'));
  const initrd = args.initrd === undefined ? null : checked(args, 'initrd', initrdList('readable files, comma-separated', cwd));
  if (image === null && fda === null && hda === null && cdrom === null && kernel === null) {
    throw new LaunchError("nothing to boot: give 'image' (a boot sector, floppy or disk image), 'fda', 'hda', 'cdrom' or 'kernel'");
  }
  if (kernel === null && append !== null) throw new LaunchError("'append' needs 'kernel'");
  if (kernel === null && initrd !== null) throw new LaunchError("'initrd' needs 'kernel'");
  const boot = args.boot === undefined ? null : checked(args, 'boot', BOOT_DRIVE);
  const biosArg = args.bios;
  let bios = 'builtin';
  if (biosArg !== undefined && biosArg !== 'builtin') {
    if (typeof biosArg !== 'string' || biosArg.trim() === '') throw new LaunchError(`'bios' must be "builtin" or a ROM file path, not ${describeValue(biosArg)}`);
    bios = path.resolve(cwd, biosArg);
  }
  const cpus = args.cpus === undefined ? 1 : checked(args, 'cpus', CPU_COUNT);
  const stop = args.stopOnEntry;
  let stopOnEntry: EntryStop;
  if (stop === undefined || stop === false) stopOnEntry = false;
  else if (stop === true || stop === 'bootsector') stopOnEntry = 'bootsector';
  else if (stop === 'reset') stopOnEntry = 'reset';
  else throw new LaunchError(`'stopOnEntry' must be "reset", "bootsector" or false, not ${describeValue(stop)}`);
  for (const key of ['persist', 'stepInterrupts', 'noDebug'] as const) {
    if (args[key] !== undefined && typeof args[key] !== 'boolean') throw new LaunchError(`'${key}' must be true or false, not ${describeValue(args[key])}`);
  }
  return {
    image,
    fda,
    hda,
    cdrom,
    boot,
    bios,
    kernel,
    append,
    initrd,
    cwd,
    memoryBytes: (args.memory === undefined ? 32 : checked(args, 'memory', MEMORY_MIB)) * 1024 * 1024,
    cpus,
    symbols: args.symbols === undefined && kernel !== null ? kernelSymbols(path.resolve(cwd, kernel)) : parseSymbols(args.symbols, cwd),
    stopOnEntry,
    serial: parseTarget(args, 'serial', cwd),
    debugcon: parseTarget(args, 'debugcon', cwd),
    persist: args.persist === true,
    stepInterrupts: args.stepInterrupts === true,
  };
}

const LAUNCH_LABELS: ImageLabels = {
  image: "'image'",
  fda: "floppy image 'fda'",
  hda: "hard-disk image 'hda'",
  twoFloppies: "two floppy images given ('image' and 'fda')",
  twoHardDisks: "two hard-disk images given ('image' and 'hda')",
  bootAWithoutFloppy: "'boot' is \"a\" but there is no floppy image",
  bootCWithoutHardDisk: "'boot' is \"c\" but there is no hard-disk image",
  bootDWithoutCdrom: "'boot' is \"d\" but there is no CD-ROM image ('cdrom')",
  cdrom: "CD-ROM image 'cdrom'",
  twoCdroms: "two CD-ROM images given ('image', an ISO, and 'cdrom')",
  kernel: "'kernel'",
  append: "'append'",
  initrd: "'initrd'",
};

/** Open the images the spec names (again on restart: a cold start reads the files anew). */
export function openImages(spec: LaunchSpec): OpenedImages {
  try {
    return openHostImages(spec, LAUNCH_LABELS);
  } catch (e) {
    if (e instanceof HostFileError) throw new LaunchError(e.message);
    throw e;
  }
}
