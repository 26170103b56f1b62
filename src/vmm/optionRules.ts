// The rules a machine's settings must meet, shared by the two front ends that
// take them from users: the CLI's options (src/cli/args.ts) and launch.json's
// attributes (src/debugAdapter/launchConfig.ts). A rule checks one raw value
// and says what it expects; each front end names the setting its own way and
// words the refusal the same way (`refusal`), so `--memory 1.0001` and
// `"memory": "1.0001"` are refused alike. Rules never throw: a front end turns
// a failed check into its own one-line error.

import * as fs from 'node:fs';
import * as path from 'node:path';

/** A check's outcome: the parsed value, or a failure with an optional detail ("it does not exist"). */
export type Checked<T> = { ok: true; value: T } | { ok: false; detail?: string };

export interface ValueRule<T> {
  /** What a good value is, for messages: "<name> must be <expects>, not <value>". */
  readonly expects: string;
  check(value: unknown): Checked<T>;
}

const fail = (detail?: string): { ok: false; detail?: string } => (detail === undefined ? { ok: false } : { ok: false, detail });

/** Longest quoted value in a message; the rest is elided. */
const QUOTE_LIMIT = 60;

/**
 * A value as a message shows it: strings quoted, control characters escaped
 * (a value with a newline keeps the message on one line), long ones shortened.
 */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v !== 'string') return String(v);
  const shown = v.length > QUOTE_LIMIT ? `${v.slice(0, QUOTE_LIMIT)}… (${v.length} characters)` : v;
  return `'${oneLine(shown)}'`;
}

/** Control characters escaped (\n, \x00 ...), so a message stays one line. */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return text.replace(/[\x00-\x1f\x7f\u2028\u2029]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}

/** The one-line refusal both front ends print: "<name> must be <expects>, not <value> (<detail>)". */
export function refusal<T>(name: string, rule: ValueRule<T>, value: unknown, detail?: string): string {
  return `${name} must be ${rule.expects}, not ${describeValue(value)}${detail ? ` (${detail})` : ''}`;
}

/** A whole number from min to max, given as a number or as decimal digits. */
export function wholeNumber(min: number, max: number, expects = `a whole number from ${min} to ${max}`): ValueRule<number> {
  return {
    expects,
    check(v) {
      const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d{1,15}\s*$/.test(v) ? Number(v) : NaN;
      return Number.isInteger(n) && n >= min && n <= max ? { ok: true, value: n } : fail();
    },
  };
}

/** A non-negative decimal number (digits, an optional fraction) from min to max. */
export function decimalNumber(min: number, max: number, expects: string): ValueRule<number> {
  return {
    expects,
    check(v) {
      const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d{1,15}(\.\d{1,9})?\s*$/.test(v) ? Number(v) : NaN;
      return Number.isFinite(n) && n >= min && n <= max ? { ok: true, value: n } : fail();
    },
  };
}

/** One of a fixed set of words. */
export function oneOf<T extends string>(...words: T[]): ValueRule<T> {
  const expects = words.length === 1 ? words[0] : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
  return {
    expects,
    check: (v) => (typeof v === 'string' && (words as string[]).includes(v) ? { ok: true, value: v as T } : fail()),
  };
}

/** Any non-empty string. */
export function nonEmptyText(expects: string): ValueRule<string> {
  return { expects, check: (v) => (typeof v === 'string' && v !== '' ? { ok: true, value: v } : fail()) };
}

/** Guest RAM limits, MiB: the first 3.5 GiB (the rest of the 4 GiB space is the PCI/ROM hole). */
export const MEMORY_MIN_MIB = 1;
export const MEMORY_MAX_MIB = 3584;

/**
 * Guest RAM in MiB: a whole number of MiB, or a size with a unit (K/KiB, M/MiB,
 * G/GiB) that comes to a whole number of MiB, from 1 MiB to 3584 MiB.
 */
export const MEMORY_MIB: ValueRule<number> = {
  expects: `a whole number of MiB from ${MEMORY_MIN_MIB} to ${MEMORY_MAX_MIB}, or a size such as 64M or 1G`,
  check(v) {
    let mib: number;
    if (typeof v === 'number') mib = v;
    else if (typeof v === 'string') {
      const m = /^\s*(\d{1,15})\s*(k|kib|m|mib|g|gib)?\s*$/i.exec(v);
      if (!m) return fail();
      const n = Number(m[1]);
      const unit = (m[2] ?? 'm').toLowerCase()[0];
      mib = unit === 'k' ? n / 1024 : unit === 'g' ? n * 1024 : n;
    } else return fail();
    if (!Number.isInteger(mib)) return fail('not a whole number of MiB');
    if (mib < MEMORY_MIN_MIB || mib > MEMORY_MAX_MIB) return fail(`${mib} MiB is out of range`);
    return { ok: true, value: mib };
  },
};

/** vCPUs: as many as the MP table and the APIC IDs the board hands out allow. */
export const CPU_COUNT = wholeNumber(1, 64);

/** The boot drive, QEMU's letters: a floppy, c hard disk, d CD-ROM. */
export const BOOT_DRIVE = oneOf('a', 'c', 'd');

function errnoOf(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));
}

/**
 * Why a file the user names cannot be read, or null when it can: missing, a
 * directory, not a regular file (a device, a pipe), or refused by the host.
 * `file` is resolved by the caller (against cwd for launch.json).
 */
export function inputFileProblem(file: string): string | null {
  if (file.includes('\0')) return 'a file name cannot contain a NUL character';
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    const code = errnoOf(e);
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'it does not exist' : `it cannot be opened: ${code}`;
  }
  if (st.isDirectory()) return 'it is a directory';
  if (!st.isFile()) return 'it is not a regular file';
  try {
    fs.accessSync(file, fs.constants.R_OK);
  } catch (e) {
    return `it is not readable: ${errnoOf(e)}`;
  }
  return null;
}

/**
 * Why a file cannot be written (created or truncated), or null when it can:
 * a directory, a folder that does not exist, or refused by the host. Devices
 * (/dev/null, a terminal) are fine; a write error later is the run's to report.
 */
export function outputFileProblem(file: string): string | null {
  if (file.includes('\0')) return 'a file name cannot contain a NUL character';
  let st: fs.Stats | null = null;
  try {
    st = fs.statSync(file);
  } catch (e) {
    const code = errnoOf(e);
    if (code !== 'ENOENT') return code === 'ENOTDIR' ? 'its folder does not exist' : `it cannot be opened: ${code}`;
  }
  if (st?.isDirectory()) return 'it is a directory';
  const target = st === null ? path.dirname(path.resolve(file)) : file;
  if (st === null) {
    let dir: fs.Stats;
    try {
      dir = fs.statSync(target);
    } catch {
      return 'its folder does not exist';
    }
    if (!dir.isDirectory()) return 'its folder does not exist';
  }
  try {
    fs.accessSync(target, fs.constants.W_OK);
  } catch (e) {
    return `it is not writable: ${errnoOf(e)}`;
  }
  return null;
}

/** A file name the user gives, checked by `problemOf`; resolved against `cwd` when one is given, else kept as written. */
function fileRule(expects: string, problemOf: (file: string) => string | null, cwd?: string): ValueRule<string> {
  return {
    expects,
    check(v) {
      if (typeof v !== 'string' || v.trim() === '') return fail();
      const file = cwd === undefined ? v : path.resolve(cwd, v);
      const problem = problemOf(file);
      return problem === null ? { ok: true, value: file } : fail(problem);
    },
  };
}

/** A readable regular file. */
export const inputFile = (expects: string, cwd?: string): ValueRule<string> => fileRule(expects, inputFileProblem, cwd);

/** A file that can be written. */
export const outputFile = (expects: string, cwd?: string): ValueRule<string> => fileRule(expects, outputFileProblem, cwd);

/** A word from a set, or else a value another rule checks ("stdio", "none" or a writable file). */
export function wordOr<W extends string, T>(words: readonly W[], other: ValueRule<T>, expects: string): ValueRule<W | T> {
  return {
    expects,
    check(v) {
      if (typeof v === 'string' && (words as readonly string[]).includes(v)) return { ok: true, value: v as W };
      return other.check(v);
    },
  };
}
