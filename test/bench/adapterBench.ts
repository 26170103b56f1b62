// `npm run bench`, the debugger's rows (issue 3): the time from `launch` to
// the first stop and the `pause` latency while the guest runs, measured on
// the adapter as VS Code runs it (`node dist/debugAdapter.js` over stdio,
// driven by DebugClient); and the guest slowdown with 100 armed breakpoints
// and with one armed data breakpoint versus nothing armed, measured on the
// debug runtime in-process (the same slices and event-loop turns as in a
// session) running the same compute loop. Medians of several runs, the
// configurations interleaved so drift hits them alike.

import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { Watchpoint } from '../../src/vmm/debug';
import { parseLaunchArguments } from '../../src/debugAdapter/launchConfig';
import { ExceptionFilters, RuntimeListener, VmexitRuntime } from '../../src/debugAdapter/runtime';
import type { BreakpointRequest } from '../../src/debugAdapter/breakpoints';

const root = path.join(__dirname, '..');
const adapter = path.join(__dirname, 'debugAdapter.js');
const LAUNCH_RUNS = 5;
const PAUSE_RUNS = 10;
const SLOWDOWN_RUNS = 7;
/** Iterations of the 8-instruction compute loop per slowdown run (~40M instructions). */
const LOOP_COUNT = 5_000_000;

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'vmexit-adapter-bench-'));

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function assemble(source: string, name: string, defines: string[] = []): string {
  const out = path.join(work, `${name}.bin`);
  execFileSync('nasm', ['-f', 'bin', ...defines, '-o', out, source]);
  return out;
}

// ---- Over DAP: launch to first stop, pause latency ----------------------------------

async function withClient<T>(body: (dc: DebugClient) => Promise<T>): Promise<T> {
  const dc = new DebugClient('node', adapter, 'vmexit');
  await dc.start();
  try {
    return await body(dc);
  } finally {
    await dc.stop();
  }
}

/** Milliseconds from the launch request to the stopped event (stop at the boot sector), and from process start. */
async function launchToFirstStop(image: string): Promise<{ launch: number; cold: number }> {
  const t0 = performance.now();
  const dc = new DebugClient('node', adapter, 'vmexit');
  await dc.start();
  try {
    await dc.initializeRequest();
    const stopped = dc.waitForEvent('stopped', 20000);
    const t1 = performance.now();
    await Promise.all([dc.launch({ image, stopOnEntry: 'bootsector', serial: 'none' }), dc.configurationDoneRequest()]);
    await stopped;
    const t2 = performance.now();
    return { launch: t2 - t1, cold: t2 - t0 };
  } finally {
    await dc.stop();
  }
}

/** Milliseconds from a pause request to the stopped event, the guest having run ~100 ms each time. */
async function pauseLatencies(image: string): Promise<number[]> {
  return withClient(async (dc) => {
    await Promise.all([dc.configurationSequence(), dc.launch({ image, serial: 'none' })]);
    const out: number[] = [];
    for (let i = 0; i < PAUSE_RUNS; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const t0 = performance.now();
      const [, stopped] = await Promise.all([dc.pauseRequest({ threadId: 1 }), dc.waitForEvent('stopped', 5000)]);
      out.push(performance.now() - t0);
      if ((stopped as DebugProtocol.StoppedEvent).body.reason !== 'pause') throw new Error('the guest stopped for something other than the pause');
      await dc.continueRequest({ threadId: 1 });
    }
    return out;
  });
}

// ---- In-process: guest MIPS with debug features armed ---------------------------------

interface Armed {
  name: string;
  breakpoints: BreakpointRequest[];
  watchpoints: Watchpoint[];
  magic: boolean;
}

const NOTHING: ExceptionFilters = { exceptions: [], softwareInterrupts: [], ioPorts: [], modeChanges: false, magicBreakpoint: false, tripleFault: true };

/** Guest MIPS (instructions retired / wall seconds, boot included) of one run of the loop image to its exit. */
function runArmed(image: string, armed: Armed): Promise<number> {
  return new Promise((resolve, reject) => {
    let t0 = 0;
    const listener: RuntimeListener = {
      stopped: (report) => reject(new Error(`the benchmark guest stopped: ${report.description}`)),
      output: () => {},
      exited: () => {
        const seconds = (performance.now() - t0) / 1000;
        resolve(runtime.machine.vcpu.instructions / seconds / 1e6);
      },
      terminated: () => {},
    };
    const runtime = new VmexitRuntime(parseLaunchArguments({ image, serial: 'none', debugcon: 'none' }), listener);
    runtime.create();
    runtime.setExceptionFilters({ ...NOTHING, magicBreakpoint: armed.magic });
    runtime.setBreakpoints('bench', armed.breakpoints);
    runtime.setDataBreakpoints(armed.watchpoints.map((watch) => ({ watch })));
    t0 = performance.now();
    runtime.start();
  });
}

function breakpointsAt(first: number, step: number): BreakpointRequest[] {
  return Array.from({ length: 100 }, (_, i) => ({ address: first + i * step, space: 'linear' as const }));
}

const CONFIGS: readonly Armed[] = [
  { name: 'nothing armed', breakpoints: [], watchpoints: [], magic: false },
  { name: 'magic breakpoint filter (the default)', breakpoints: [], watchpoints: [], magic: true },
  // Never reached: 100 breakpoints spread over 0x10000-0x1FFFF, pages the loop does not run on.
  { name: '100 breakpoints, other pages', breakpoints: breakpointsAt(0x10000, 0x290), watchpoints: [], magic: false },
  // Never reached either, but on the loop's own 4 KiB page (below the boot sector at 0x7C00).
  { name: "100 breakpoints, on the loop's page", breakpoints: breakpointsAt(0x7000, 0x10), watchpoints: [], magic: false },
  { name: '1 write watchpoint, untouched page', breakpoints: [], watchpoints: [{ address: 0x90000, length: 4, access: 'write' }], magic: false },
];

function table(rows: string[][]): void {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const r of rows) process.stdout.write(`${r.map((cell, c) => cell.padEnd(widths[c])).join('  ')}\n`);
}

async function main(): Promise<void> {
  if (spawnSync('nasm', ['-v']).status !== 0) {
    process.stderr.write('adapter bench: nasm is needed to assemble the guests (apt-get install nasm)\n');
    process.exit(2);
  }
  if (!fs.existsSync(adapter)) {
    process.stderr.write(`adapter bench: ${adapter} is missing; run npm run build first\n`);
    process.exit(2);
  }
  const spin = assemble(path.join(root, 'test', 'debugAdapter', 'guests', 'spin.asm'), 'spin');
  const loop = assemble(path.join(root, 'test', 'bench', 'loops.asm'), 'loop', ['-DLOOP=compute', `-DCOUNT=${LOOP_COUNT}`]);

  const launches: { launch: number; cold: number }[] = [];
  for (let i = 0; i < LAUNCH_RUNS; i++) launches.push(await launchToFirstStop(spin));
  const pauses = await pauseLatencies(spin);

  const mips = new Map<string, number[]>(CONFIGS.map((c) => [c.name, []]));
  for (let i = 0; i < SLOWDOWN_RUNS; i++) {
    for (const c of CONFIGS) mips.get(c.name)?.push(await runArmed(loop, c));
  }
  const base = median(mips.get(CONFIGS[0].name) ?? []);

  const rows: string[][] = [['debugger figure', 'value', 'slowdown', 'goal']];
  rows.push(['launch → first stop (boot sector)', `${median(launches.map((l) => l.launch)).toFixed(1)} ms`, '-', '-']);
  rows.push(['adapter process start → first stop', `${median(launches.map((l) => l.cold)).toFixed(1)} ms`, '-', '-']);
  rows.push(['pause latency while running (median)', `${median(pauses).toFixed(1)} ms`, '-', '< 50 ms']);
  rows.push(['pause latency while running (worst)', `${Math.max(...pauses).toFixed(1)} ms`, '-', '< 50 ms']);
  for (const c of CONFIGS) {
    const m = median(mips.get(c.name) ?? []);
    const goal = c.breakpoints.length ? '< 5%' : c.watchpoints.length ? '< 15%' : '-';
    const pct = ((base - m) / base) * 100;
    const slowdown = c === CONFIGS[0] ? 'baseline' : `${pct >= 0 ? '+' : '-'}${Math.abs(pct).toFixed(1)}%`;
    rows.push([`guest MIPS, ${c.name}`, `${m.toFixed(1)} MIPS`, slowdown, goal]);
  }
  table(rows);
  process.stdout.write(
    `(launch: medians of ${LAUNCH_RUNS}; pause: ${PAUSE_RUNS} pauses after ~100 ms of running; MIPS: medians of ${SLOWDOWN_RUNS} runs of ${LOOP_COUNT * 8} loop instructions through the debug runtime, boot included; a negative slowdown is noise)\n`,
  );
  fs.rmSync(work, { recursive: true, force: true });
}

main().catch((e: unknown) => {
  process.stderr.write(`adapter bench: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  fs.rmSync(work, { recursive: true, force: true });
  process.exit(1);
});
