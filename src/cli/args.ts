// Command-line parsing for `vmexit run`. Bad input is a UserError: one clear
// line, a distinct exit status, never a stack trace. Every option is one entry
// of RUN_OPTIONS with the rule its value must meet; the rules are shared with
// launch.json (src/vmm/optionRules.ts), so both refuse a value alike.

import {
  BOOT_DRIVE, CPU_COUNT, MEMORY_MIB, ValueRule, decimalNumber, describeValue, inputFile, nonEmptyText, oneOf, outputFile,
  refusal, wordOr,
} from '../vmm/optionRules';
import { initrdList } from '../vmm/hostImages';

export const EXIT_BAD_INPUT = 2;
/** HLT with interrupts enabled, but every interrupt source is masked: the guest can never wake. */
export const EXIT_UNWAKEABLE = 4;
/** An output's reader went away (EPIPE: `vmexit run … | head`): the run ends quietly. */
export const EXIT_OUTPUT_CLOSED = 6;
/** Writing an output failed (a full disk, an I/O error): one line names the output and the file. */
export const EXIT_OUTPUT_ERROR = 8;
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
  boot: 'a' | 'c' | 'd' | null;
  /** --cdrom: an ISO 9660 image in the CD-ROM drive. */
  cdrom: string | null;
  /** --kernel: a Multiboot or Linux kernel the built-in BIOS starts instead of a boot sector. */
  kernel: string | null;
  /** --append: the kernel's command line. */
  append: string | null;
  /** --initrd: a Linux initrd or comma-separated Multiboot modules (QEMU's syntax). */
  initrd: string | null;
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
       vmexit run [options] --kernel <file> [--append <text>] [--initrd <files>]

Boots an x86 PC guest headless: a floppy image (160K to 2.88M), a hard-disk
image, or a raw boot sector (padded to a 1.44M floppy); or a kernel loaded
straight into memory, as QEMU's -kernel does.

options:
  --memory <size>         guest RAM in MiB, or with a unit: 64M, 1G (default 32,
                          1 to 3584 MiB)
  --cpus <n>              vCPUs, 1 to 64 (default 1); the APs wait for a
                          Start-up IPI, the BIOS lists them in an MP table
  --bios builtin|<file>   firmware: the built-in BIOS (default) or a ROM image
  --fda <file>            floppy image in drive A:
  --hda <file>            hard-disk image as the first hard disk
  --cdrom <file>          ISO 9660 image in the CD-ROM drive (INT 13h drive E0h)
  --boot a|c|d            boot from the floppy (a), the hard disk (c) or the
                          CD-ROM (d, El Torito no-emulation)
  --kernel <file>         start a Multiboot 1 (ELF32, a.out kludge) or
                          Multiboot 2 (ELF32, ELF64) kernel or a Linux bzImage
                          instead of a boot sector; disks stay attached
  --append <text>         the kernel's command line (Multiboot 1: the kernel's
                          path, a space, then this text, as QEMU gives it)
  --initrd <files>        a Linux initrd, or Multiboot modules comma-separated
                          (",," for a comma in a name), each "file words"
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
0 on --until or when the guest halts with interrupts disabled; 2 bad input;
4 the guest halted with interrupts enabled but every interrupt source is
masked (nothing can wake it); 6 an output's reader went away (a closed
pipe); 8 an output could not be written (a full disk); 124 on timeout; 125 internal error (an
instruction vmexit does not implement); 126 triple fault.`;

/** One option of `vmexit run`: a flag, or an option whose value a rule of src/vmm/optionRules.ts checks. */
export interface OptionSpec {
  readonly name: string;
  readonly takesValue: boolean;
  /** Check `raw` and store it; a bad value is a UserError worded by `refusal`. */
  apply(o: RunOptions, raw: string): void;
}

/** An option with a value: the rule checks it, `set` stores what the rule parsed. */
function valued<T>(name: string, rule: ValueRule<T>, set: (o: RunOptions, value: T) => void): OptionSpec {
  return {
    name,
    takesValue: true,
    apply(o, raw) {
      const checked = rule.check(raw);
      if (!checked.ok) throw new UserError(refusal(name, rule, raw, checked.detail));
      set(o, checked.value);
    },
  };
}

function flag(name: string, set: (o: RunOptions) => void): OptionSpec {
  return { name, takesValue: false, apply: (o) => set(o) };
}

function target(value: string): OutputTarget {
  return value === 'stdio' ? { kind: 'stdio' } : value === 'none' ? { kind: 'none' } : { kind: 'file', path: value };
}

const OUTPUT_TARGET = wordOr(['stdio', 'none'], outputFile(''), 'stdio, none or a writable file');

/**
 * Every option of `vmexit run`. A new option is one line here with its rule:
 * parsing, the refusal of a bad value (one line, status 2) and the hostile-value
 * test (test/cli/cliOptions.test.ts walks this table) come with it.
 */
export const RUN_OPTIONS: readonly OptionSpec[] = [
  valued('--memory', MEMORY_MIB, (o, v) => (o.memoryMiB = v)),
  valued('--cpus', CPU_COUNT, (o, v) => (o.cpus = v)),
  valued('--bios', wordOr(['builtin'], inputFile(''), 'builtin or a readable ROM file'), (o, v) => (o.bios = v)),
  valued('--fda', inputFile('a readable floppy image file'), (o, v) => (o.fda = v)),
  valued('--hda', inputFile('a readable hard-disk image file'), (o, v) => (o.hda = v)),
  valued('--cdrom', inputFile('a readable ISO image file'), (o, v) => (o.cdrom = v)),
  valued('--boot', BOOT_DRIVE, (o, v) => (o.boot = v)),
  valued('--kernel', inputFile('a readable kernel file'), (o, v) => (o.kernel = v)),
  valued('--append', nonEmptyText('a non-empty command line'), (o, v) => (o.append = v)),
  valued('--initrd', initrdList('readable files, comma-separated'), (o, v) => (o.initrd = v)),
  valued('--serial', OUTPUT_TARGET, (o, v) => (o.serial = target(v))),
  valued('--debugcon', OUTPUT_TARGET, (o, v) => (o.debugcon = target(v))),
  valued('--keyboard', oneOf('stdio'), (o) => (o.keyboardStdin = true)),
  flag('--screen', (o) => (o.screen = true)),
  valued('--timeout', decimalNumber(0, 1e9, 'a number of seconds (e.g. 10 or 0.5)'), (o, v) => (o.timeoutSeconds = v)),
  valued('--until', nonEmptyText('a non-empty string'), (o, v) => (o.until = v)),
  valued('--trace', outputFile('a writable file'), (o, v) => (o.trace = v)),
  flag('--persist', (o) => (o.persist = true)),
  flag('--realtime', (o) => (o.realtime = true)),
  flag('--host-time', (o) => (o.hostTime = true)),
];

const BY_NAME = new Map(RUN_OPTIONS.map((spec) => [spec.name, spec]));

/** The image argument: a readable file (its size and kind are checked when it is opened). */
const IMAGE = inputFile('a readable image file');

/** Parse the arguments after `run`. */
export function parseRunArgs(argv: readonly string[]): RunOptions {
  const o: RunOptions = {
    image: null, fda: null, hda: null, boot: null, cdrom: null, kernel: null, append: null, initrd: null, memoryMiB: 32, cpus: 1, bios: 'builtin',
    serial: { kind: 'stdio' }, debugcon: { kind: 'none' }, screen: false,
    timeoutSeconds: null, until: null, trace: null, persist: false, realtime: false, hostTime: false, keyboardStdin: false,
  };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let value: string | undefined;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const spec = BY_NAME.get(arg);
    if (spec === undefined) {
      if (arg.startsWith('-') && arg !== '-') throw new UserError(`unknown option ${describeValue(arg)} (see vmexit --help)`);
      if (o.image !== null) throw new UserError(`more than one image given (${describeValue(o.image)} and ${describeValue(arg)})`);
      const checked = IMAGE.check(arg);
      if (!checked.ok) throw new UserError(refusal('the image', IMAGE, arg, checked.detail));
      o.image = checked.value;
      continue;
    }
    if (!spec.takesValue) {
      if (value !== undefined) throw new UserError(`${arg} takes no value`);
      spec.apply(o, '');
      continue;
    }
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new UserError(`${arg} needs a value`);
      value = argv[++i];
    }
    spec.apply(o, value);
  }
  if (o.kernel === null && o.append !== null) throw new UserError('--append needs --kernel');
  if (o.kernel === null && o.initrd !== null) throw new UserError('--initrd needs --kernel');
  if (o.image === null && o.fda === null && o.hda === null && o.cdrom === null && o.kernel === null) throw new UserError('no image, --cdrom or --kernel given (see vmexit --help)');
  if (o.boot === 'a' && o.fda === null && o.image === null) throw new UserError('--boot a but no floppy image');
  if (o.boot === 'c' && o.hda === null && o.image === null) throw new UserError('--boot c but no hard-disk image');
  if (o.boot === 'd' && o.cdrom === null && o.image === null) throw new UserError('--boot d but no CD-ROM image (--cdrom)');
  // The tracer steps one vCPU; interleaving several in one trace is not implemented.
  if (o.trace !== null && o.cpus > 1) throw new UserError(`--trace follows a single vCPU: use it with --cpus 1 (got --cpus ${o.cpus})`);
  return o;
}
