// Command-line parsing for `vmexit run`. Bad input is a UserError: one clear
// line, a distinct exit status, never a stack trace.

export const EXIT_BAD_INPUT = 2;
export const EXIT_TIMEOUT = 124;
export const EXIT_INTERNAL_ERROR = 125;
export const EXIT_TRIPLE_FAULT = 126;

/** An error the user can fix: printed as one line, exit status EXIT_BAD_INPUT. */
export class UserError extends Error {}

export type OutputTarget = { kind: 'stdio' } | { kind: 'none' } | { kind: 'file'; path: string };

export interface RunOptions {
  image: string | null;
  fda: string | null;
  hda: string | null;
  boot: 'a' | 'c' | null;
  memoryMiB: number;
  /** vCPUs (1 to 64). */
  cpus: number;
  bios: string; // 'builtin' or a file
  serial: OutputTarget;
  debugcon: OutputTarget;
  screen: boolean;
  timeoutSeconds: number | null;
  until: string | null;
  trace: string | null;
  persist: boolean;
  realtime: boolean;
  hostTime: boolean;
  /** Standard input types on the PS/2 keyboard instead of feeding COM1. */
  keyboardStdin: boolean;
}

export const USAGE = `usage: vmexit run [options] <image>

Boots an x86 PC guest headless: a floppy image (160K to 2.88M), a hard-disk
image, or a raw boot sector (padded to a 1.44M floppy).

options:
  --memory <MiB>          guest RAM (default 32, 1 to 3584)
  --cpus <n>              vCPUs, 1 to 64 (default 1); the APs wait for a
                          Start-up IPI, the BIOS lists them in an MP table
  --bios builtin|<file>   firmware: the built-in BIOS (default) or a ROM image
  --fda <file>            floppy image in drive A:
  --hda <file>            hard-disk image as the first hard disk
  --boot a|c              boot from the floppy (a) or the hard disk (c)
  --serial stdio|none|<file>
                          where COM1 goes (default stdio; stdin feeds COM1)
  --debugcon stdio|<file> where port E9h output goes (default: discarded)
  --keyboard stdio        standard input types on the PS/2 keyboard (for
                          guests that read INT 16h) instead of feeding COM1
  --screen                print the VGA text screen when the run ends
  --timeout <seconds>     stop after this many seconds of wall time (status 124)
  --until <string>        stop with status 0 once the serial output contains it
  --trace <file>          write an instruction trace: CS:IP, bytes, disassembly,
                          changed registers (slow)
  --persist               write disk changes back to the image files
                          (otherwise writes stay in memory)
  --realtime              tie guest time to the wall clock while the guest
                          idles (default: virtual time, deterministic runs)
  --host-time             start the RTC at the host's time (default: a
                          fixed date, 2026-01-01 00:00:00 UTC)
  -h, --help              this text
  --version               the version

exit status: the guest's isa-debug-exit status ((value << 1) | 1, port F4h);
0 on --until or when the guest halts for good; 124 on timeout;
125 internal error (an instruction vmexit does not implement);
126 triple fault; 2 bad input.`;

function parseTarget(value: string, option: string, allowNone: boolean): OutputTarget {
  if (value === 'stdio') return { kind: 'stdio' };
  if (value === 'none') {
    if (!allowNone) throw new UserError(`${option} takes stdio or a file name`);
    return { kind: 'none' };
  }
  if (value === '') throw new UserError(`${option} needs a value`);
  return { kind: 'file', path: value };
}

function parseNumber(value: string, option: string, min: number, max: number): number {
  if (!/^\d+(\.\d+)?$/.test(value)) throw new UserError(`${option} expects a number, got '${value}'`);
  const n = Number(value);
  if (n < min || n > max) throw new UserError(`${option} must be between ${min} and ${max}, got ${value}`);
  return n;
}

/** Parse the arguments after `run`. */
export function parseRunArgs(argv: readonly string[]): RunOptions {
  const o: RunOptions = {
    image: null, fda: null, hda: null, boot: null, memoryMiB: 32, cpus: 1, bios: 'builtin',
    serial: { kind: 'stdio' }, debugcon: { kind: 'none' }, screen: false,
    timeoutSeconds: null, until: null, trace: null, persist: false, realtime: false, hostTime: false, keyboardStdin: false,
  };
  const takesValue = new Set(['--memory', '--cpus', '--bios', '--fda', '--hda', '--boot', '--serial', '--debugcon', '--keyboard', '--timeout', '--until', '--trace']);
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let value: string | undefined;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    if (takesValue.has(arg) && value === undefined) {
      if (i + 1 >= argv.length) throw new UserError(`${arg} needs a value`);
      value = argv[++i];
    }
    const v = value ?? '';
    switch (arg) {
      case '--memory': o.memoryMiB = parseNumber(v, arg, 1, 3584); break;
      case '--cpus':
        o.cpus = parseNumber(v, arg, 1, 64);
        if (!Number.isInteger(o.cpus)) throw new UserError(`--cpus takes a whole number from 1 to 64, got '${v}'`);
        break;
      case '--bios': if (v === '') throw new UserError('--bios needs a value'); o.bios = v; break;
      case '--fda': o.fda = v; break;
      case '--hda': o.hda = v; break;
      case '--boot':
        if (v !== 'a' && v !== 'c') throw new UserError(`--boot takes a or c, got '${v}'`);
        o.boot = v;
        break;
      case '--serial': o.serial = parseTarget(v, arg, true); break;
      case '--debugcon': o.debugcon = parseTarget(v, arg, true); break;
      case '--keyboard':
        if (v !== 'stdio') throw new UserError(`--keyboard takes stdio, got '${v}'`);
        o.keyboardStdin = true;
        break;
      case '--screen': o.screen = true; break;
      case '--timeout': o.timeoutSeconds = parseNumber(v, arg, 0, 1e9); break;
      case '--until': if (v === '') throw new UserError('--until needs a non-empty string'); o.until = v; break;
      case '--trace': o.trace = v; break;
      case '--persist': o.persist = true; break;
      case '--realtime': o.realtime = true; break;
      case '--host-time': o.hostTime = true; break;
      default:
        if (arg.startsWith('-')) throw new UserError(`unknown option '${arg}' (see vmexit --help)`);
        if (o.image !== null) throw new UserError(`more than one image given ('${o.image}' and '${arg}')`);
        o.image = arg;
    }
    if (value !== undefined && !takesValue.has(arg)) throw new UserError(`${arg} takes no value`);
  }
  if (o.image === null && o.fda === null && o.hda === null) throw new UserError('no image given (see vmexit --help)');
  if (o.boot === 'a' && o.fda === null && o.image === null) throw new UserError('--boot a but no floppy image');
  if (o.boot === 'c' && o.hda === null && o.image === null) throw new UserError('--boot c but no hard-disk image');
  // The tracer steps one vCPU; interleaving several in one trace is not implemented.
  if (o.trace !== null && o.cpus > 1) throw new UserError(`--trace follows a single vCPU: use it with --cpus 1 (got --cpus ${o.cpus})`);
  return o;
}
