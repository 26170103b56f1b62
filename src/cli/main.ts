// `vmexit run`: boots a guest headless in a terminal, serial on stdio, exit
// status from the guest. The same PcMachine the debug adapter drives. The
// guest's outputs and what ends a run when they fail are in output.ts.

import {
  EXIT_BAD_INPUT, EXIT_INTERNAL_ERROR, EXIT_OUTPUT_CLOSED, EXIT_OUTPUT_ERROR, EXIT_TIMEOUT, EXIT_TRIPLE_FAULT, EXIT_UNWAKEABLE, OutputTarget, RunOptions, USAGE, UserError,
  parseRunArgs,
} from './args';
import { openDisks, persistDisks } from './images';
import { Tracer } from './trace';
import { GuestOutput, StandardOutput, describeFailure } from './output';
import { MachineEvent, PcMachine, hex } from '../vmm/pc';
import { assertNever } from '../vmm/exit';
import { oneLine } from '../vmm/optionRules';

const VERSION = '0.1.0';
/** Instructions per slice between looks at the wall clock, stdin and --until (~10 ms of guest code). */
const SLICE = 1_000_000;
/** With --trace, outputs are written once this much has collected (a write per instruction would crawl). */
const TRACE_FLUSH_BYTES = 1 << 16;

/** The run's outputs on standard output share its failure and its back-pressure. */
const stdout = new StandardOutput();
/** When the process gives up waiting for a stalled standard output at the end (ms since the epoch): --timeout plus a grace second. */
let stdoutDeadline = Infinity;

function openOutput(target: OutputTarget, name: string): GuestOutput | null {
  switch (target.kind) {
    case 'none':
      return null;
    case 'stdio':
      return new GuestOutput(name, { kind: 'stdout', stdout });
    case 'file':
      try {
        return new GuestOutput(name, { kind: 'file', path: target.path });
      } catch (e) {
        throw new UserError(`cannot open ${name} '${target.path}': ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
      }
  }
}

/** The VGA text screen for --screen: framed, trailing blank rows left out. */
function formatScreen(rows: string[]): string {
  let last = rows.length;
  while (last > 0 && rows[last - 1] === '') last--;
  const rule = '-'.repeat(80);
  return `\n${rule}\n${rows.slice(0, last).join('\n')}${last > 0 ? '\n' : ''}${rule}\n`;
}

/** Resolves after `ms` of wall time. */
function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function run(options: RunOptions): Promise<number> {
  const disks = openDisks(options);
  for (const note of disks.notes) process.stderr.write(`vmexit: ${note}\n`);
  const serial = openOutput(options.serial, 'serial output');
  const debugcon = openOutput(options.debugcon, 'debugcon output');
  const until = options.until;
  let serialText = '';
  let untilSeen = false;

  const machine = new PcMachine({
    memoryBytes: options.memoryMiB * 1024 * 1024,
    cpus: options.cpus,
    bios: disks.bios,
    floppy: disks.floppy,
    hardDisk: disks.hardDisk,
    boot: disks.boot,
    kernel: disks.kernel,
    cdrom: disks.cdrom,
    realtime: options.realtime,
    hostTime: options.hostTime,
    onSerialOutput: (b) => {
      serial?.push(b);
      if (until !== null && !untilSeen) {
        serialText = (serialText + String.fromCharCode(b)).slice(-until.length * 2 - 64);
        if (serialText.includes(until)) {
          untilSeen = true;
          machine.requestStop();
        }
      }
    },
    onDebugconOutput: (b) => debugcon?.push(b),
    onFirmwareMessage: (text) => process.stderr.write(`vmexit: ${text}\n`),
  });

  // Standard input feeds COM1 (with --serial stdio) or the PS/2 keyboard (--keyboard stdio).
  const readStdin = options.serial.kind === 'stdio' || options.keyboardStdin;
  const onStdin = (chunk: Buffer) => {
    if (options.keyboardStdin) machine.typeText(chunk.toString('latin1').replace(/\r\n?/g, '\n'));
    else machine.serialInput(chunk);
  };
  if (readStdin && !process.stdin.isTTY) {
    process.stdin.on('data', onStdin);
    process.stdin.on('error', () => {});
  } else if (readStdin && process.stdin.isTTY) {
    process.stdin.setRawMode(true);
    process.stdin.on('data', (chunk: Buffer) => {
      // Ctrl-] leaves, as in telnet; everything else goes to the guest.
      if (chunk.includes(0x1d)) machine.requestStop('user');
      else onStdin(chunk);
    });
  }

  const tracer = options.trace ? new Tracer(options.trace, machine) : null;
  const outputs = [serial, debugcon, tracer?.output ?? null].filter((o): o is GuestOutput => o !== null);
  const deadline = options.timeoutSeconds === null ? Infinity : Date.now() + options.timeoutSeconds * 1000;
  stdoutDeadline = deadline + 1000;
  let status: number;
  try {
    status = await loop();
  } finally {
    tracer?.close();
    if (readStdin) {
      if (process.stdin.isTTY) process.stdin.setRawMode(false);
      process.stdin.pause();
      process.stdin.removeAllListeners('data');
    }
    for (const o of outputs) o.close();
  }
  if (options.screen) stdout.write(formatScreen(machine.textScreen()));
  if (options.persist) persistDisks(disks);
  return outputEnd() ?? status;

  /** The status for an output that failed (one line on stderr) or closed (quietly), or null. */
  function outputEnd(): number | null {
    const failure = outputs.map((o) => o.failure).find((f) => f !== null) ?? stdout.failure;
    if (!failure) return null;
    if (failure.kind === 'closed') return EXIT_OUTPUT_CLOSED;
    process.stderr.write(`vmexit: ${describeFailure(failure)}\n`);
    return EXIT_OUTPUT_ERROR;
  }

  async function loop(): Promise<number> {
    for (;;) {
      const event: MachineEvent = tracer ? tracer.step() : machine.run(SLICE);
      // Traced, each step is one instruction: write in larger pieces.
      for (const o of outputs) o.flush(tracer ? TRACE_FLUSH_BYTES : 0);
      // A closed or failed output ends the run (the status is decided once the outputs are closed).
      if (outputs.some((o) => o.failure !== null)) return 0;
      switch (event.kind) {
        case 'exit':
          return event.status;
        case 'stop':
          if (untilSeen) return 0;
          if (event.reason === 'user') {
            process.stderr.write('vmexit: stopped by the user\n');
            return 0;
          }
          break;
        case 'shutdown':
          process.stderr.write(`vmexit: triple fault (${event.reason}) at ${event.where}: the guest shut the CPU down\n`);
          return EXIT_TRIPLE_FAULT;
        case 'internal-error':
          process.stderr.write(
            `vmexit: internal error: ${event.message}: bytes ${event.bytes.map((b) => hex(b, 2)).join(' ')} at ${hex(event.cs, 4)}:${hex(event.eip, 4)} (linear ${hex(event.linear, 8)})\n`,
          );
          return EXIT_INTERNAL_ERROR;
        case 'halted':
          process.stderr.write(`vmexit: the guest halted with interrupts disabled at ${event.where}\n`);
          return 0;
        case 'unwakeable':
          process.stderr.write(`vmexit: the guest halted at ${event.where} and nothing can wake it: ${event.why}\n`);
          return EXIT_UNWAKEABLE;
        case 'idle':
          // Waiting for input (HLT with interrupts on and no timer armed): let stdin in.
          await pause(5);
          break;
        case 'budget':
          break;
        case 'debug':
          break;
        default:
          assertNever(event);
      }
      if (Date.now() >= deadline) {
        process.stderr.write(`vmexit: timeout after ${options.timeoutSeconds} s\n`);
        return EXIT_TIMEOUT;
      }
      // Back-pressure: a pipe that does not keep up holds the guest (its time is virtual: it sees nothing).
      if (stdout.full) await stdout.drained(deadline);
      // Let stdin and timers in between slices.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  try {
    if (argv.length === 0 || argv[0] === '-h' || argv[0] === '--help' || argv[0] === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return argv.length === 0 ? EXIT_BAD_INPUT : 0;
    }
    if (argv[0] === '--version') {
      process.stdout.write(`vmexit ${VERSION}\n`);
      return 0;
    }
    if (argv[0] !== 'run') throw new UserError(`unknown command '${argv[0]}' (try: vmexit run <image>)`);
    if (argv.includes('-h') || argv.includes('--help')) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    return await run(parseRunArgs(argv.slice(1)));
  } catch (e) {
    if (e instanceof UserError) {
      process.stderr.write(`vmexit: ${oneLine(e.message)}\n`);
      return EXIT_BAD_INPUT;
    }
    throw e;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    async (status) => {
      // Let a pipe take what is queued (a stalled one no longer than --timeout allows), then leave.
      await stdout.drained(stdoutDeadline);
      process.exit(status);
    },
    (e: unknown) => {
      process.stderr.write(`vmexit: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(EXIT_INTERNAL_ERROR);
    },
  );
}
