// The CPU fuzzer's main side: hands streams (./cpuStream.ts) to a worker
// thread, watches its heartbeat (a run that does not come back within
// `hangMs` of wall time is a hang: the worker is ended and the stream
// reported), shrinks each crashed stream to one instruction, and sums the
// streams into a report per mode.

import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Crash, Reproducer, StreamOptions, StreamStats } from './cpuStream';
import type { FuzzMode } from './machine';

export type WorkerRequest =
  | { type: 'streams'; options: Omit<StreamOptions, 'stream'>; streams: number[] }
  | { type: 'shrink'; options: StreamOptions };

export type WorkerReply =
  | { type: 'start'; stream: number }
  | { type: 'stream'; stream: number; stats: StreamStats; crash: Crash | null }
  | { type: 'idle' }
  | { type: 'step'; reproducer: Reproducer }
  | { type: 'shrunk'; crash: Crash | null };

export interface FuzzOptions {
  modes: readonly FuzzMode[];
  seed: number;
  /** Instructions per mode. */
  instructions: number;
  /** Instructions per stream. */
  streamInstructions: number;
  /** Replay only this stream. */
  stream?: number;
  /** Wall time without a heartbeat that counts as a hang. */
  hangMs: number;
  /** Harness self-test only: every stream hangs at this run call (see StreamOptions.hangAtRun). */
  hangAtRun?: number;
  /** Progress lines (per finished stream batch); none when absent. */
  progress?: (line: string) => void;
}

export interface ModeReport {
  mode: FuzzMode;
  streams: number;
  instructions: number;
  snapshots: number;
  exits: Record<string, number>;
  vectors: number[];
  internalErrors: Record<string, number>;
  internalMessages: Record<string, string>;
  crashes: Crash[];
  ms: number;
}

/** A worker running the stream code under tsx (the fuzzer runs from TypeScript sources). */
function startWorker(heartbeat: SharedArrayBuffer): Worker {
  const tsx = require.resolve('tsx/cjs');
  const entry = resolve(__dirname, 'worker.ts');
  return new Worker(`require(${JSON.stringify(tsx)}); require(${JSON.stringify(entry)});`, { eval: true, workerData: { heartbeat } });
}

/**
 * Sends `request` to a fresh worker and feeds its replies to `onReply` until
 * it answers `done` (true from onReply); resolves false if the heartbeat
 * stopped for `hangMs` (the worker is ended).
 */
function converse(request: WorkerRequest, hangMs: number, onReply: (m: WorkerReply) => boolean): Promise<boolean> {
  const heartbeat = new SharedArrayBuffer(4);
  const beats = new Int32Array(heartbeat);
  const worker = startWorker(heartbeat);
  return new Promise((resolvePromise, reject) => {
    let last = -1;
    let lastChange = Date.now();
    const timer = setInterval(() => {
      const now = Atomics.load(beats, 0);
      if (now !== last) {
        last = now;
        lastChange = Date.now();
      } else if (Date.now() - lastChange > hangMs) {
        clearInterval(timer);
        void worker.terminate();
        resolvePromise(false);
      }
    }, Math.min(500, hangMs / 4));
    worker.on('message', (m: WorkerReply) => {
      lastChange = Date.now();
      if (onReply(m)) {
        clearInterval(timer);
        void worker.terminate();
        resolvePromise(true);
      }
    });
    worker.on('error', (e) => {
      clearInterval(timer);
      reject(e);
    });
    worker.postMessage(request);
  });
}

function addStats(into: ModeReport, s: StreamStats): void {
  into.instructions += s.instructions;
  into.snapshots += s.snapshots;
  for (const [k, n] of Object.entries(s.exits)) into.exits[k] = (into.exits[k] ?? 0) + n;
  s.vectors.forEach((n, v) => (into.vectors[v] += n));
  for (const [k, n] of Object.entries(s.internalErrors)) into.internalErrors[k] = (into.internalErrors[k] ?? 0) + n;
  for (const [k, m] of Object.entries(s.internalMessages)) into.internalMessages[k] ??= m;
}

/** Shrinks a crashed (or hung) stream; the crash with its reproducer, or the crash as it was. */
async function shrink(crash: Crash, o: FuzzOptions): Promise<Crash> {
  let lastStep: Reproducer | undefined;
  let shrunk: Crash | null = null;
  const options: StreamOptions = {
    mode: crash.mode, seed: crash.seed, stream: crash.stream, instructions: o.streamInstructions, hangAtRun: o.hangAtRun,
  };
  const finished = await converse({ type: 'shrink', options }, o.hangMs, (m) => {
    if (m.type === 'step') lastStep = m.reproducer;
    if (m.type === 'shrunk') shrunk = m.crash;
    return m.type === 'shrunk';
  });
  if (!finished) return { ...crash, reproducer: lastStep };
  return shrunk ?? crash;
}

/** Runs the fuzzer over `o.modes`; one report per mode. */
export async function fuzzCpu(o: FuzzOptions): Promise<ModeReport[]> {
  const reports: ModeReport[] = [];
  for (const mode of o.modes) {
    const started = Date.now();
    const report: ModeReport = {
      mode, streams: 0, instructions: 0, snapshots: 0, exits: {}, vectors: new Array<number>(256).fill(0), internalErrors: {}, internalMessages: {}, crashes: [], ms: 0,
    };
    const count = Math.max(1, Math.ceil(o.instructions / o.streamInstructions));
    let pending = o.stream !== undefined ? [o.stream] : Array.from({ length: count }, (_, i) => i);
    const total = pending.length;
    while (pending.length > 0) {
      let current = -1;
      const done = new Set<number>();
      const finished = await converse(
        { type: 'streams', options: { mode, seed: o.seed, instructions: o.streamInstructions, hangAtRun: o.hangAtRun }, streams: pending },
        o.hangMs,
        (m) => {
          if (m.type === 'start') current = m.stream;
          if (m.type === 'stream') {
            done.add(m.stream);
            report.streams++;
            addStats(report, m.stats);
            if (m.crash) {
              report.crashes.push(m.crash);
              o.progress?.(`${mode}: ${m.crash.kind} in stream ${m.stream}: ${m.crash.message.split('\n')[0]}`);
            }
            if (report.streams % 20 === 0) o.progress?.(`${mode}: ${report.streams}/${total} streams, ${report.instructions} instructions, ${report.crashes.length} crashes`);
          }
          return m.type === 'idle';
        },
      );
      pending = pending.filter((s) => !done.has(s));
      if (!finished) {
        report.crashes.push({
          kind: 'hang', mode, seed: o.seed, stream: current,
          message: `no Vcpu.run call returned for ${o.hangMs} ms of wall time (a run is at most a few thousand instructions)`,
        });
        report.streams++;
        pending = pending.filter((s) => s !== current);
      }
    }
    for (let i = 0; i < report.crashes.length; i++) report.crashes[i] = await shrink(report.crashes[i], o);
    report.ms = Date.now() - started;
    reports.push(report);
  }
  return reports;
}

const hex2 = (b: number) => b.toString(16).padStart(2, '0');

/** The crash as a reader needs it: what, where to replay it, and the one-instruction reproducer. */
export function formatCrash(c: Crash): string {
  const lines = [
    `${c.kind} in ${c.mode} mode, stream ${c.stream} (replay: npm run fuzz -- --mode ${c.mode} --seed ${c.seed} --stream ${c.stream})`,
    `  ${c.message.split('\n').slice(0, 8).join('\n  ')}`,
  ];
  const r = c.reproducer;
  if (!r) lines.push('  (not shrunk: replayed one instruction per run call the stream did not crash; replay the stream)');
  if (r) {
    const regs = Object.entries(r.regs).map(([k, v]) => `${k}=${(v >>> 0).toString(16)}`).join(' ');
    const seg = (n: string, s: { selector: number; base: number; limit: number; attributes: number }) =>
      `${n}=${s.selector.toString(16)}(base ${s.base.toString(16)} limit ${s.limit.toString(16)} attr ${s.attributes.toString(16)})`;
    const sr = r.sregs;
    lines.push(
      `  reproducer (${r.verified ? 'verified: this one instruction from this state crashes a fresh VM the same way' : 'the last instruction before it; not verified alone'}):`,
      `    bytes at CS:EIP: ${r.bytes.map(hex2).join(' ')}`,
      `    ${regs}`,
      `    ${[seg('cs', sr.cs), seg('ss', sr.ss), seg('ds', sr.ds), seg('es', sr.es)].join(' ')}`,
      `    ${[seg('fs', sr.fs), seg('gs', sr.gs)].join(' ')} cr0=${sr.cr0.toString(16)} cr3=${sr.cr3.toString(16)} cr4=${sr.cr4.toString(16)}`,
    );
  }
  return lines.join('\n');
}

/** The per-mode table: instructions, speed, crashes, internal errors with their top opcodes, faults taken. */
export function formatReport(reports: readonly ModeReport[]): string {
  const out: string[] = [];
  for (const r of reports) {
    const ie = Object.entries(r.internalErrors).sort((a, b) => b[1] - a[1]);
    const ieTotal = ie.reduce((a, [, n]) => a + n, 0);
    const vectors = r.vectors.map((n, v) => [v, n]).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]).slice(0, 8);
    const hangs = r.crashes.filter((c) => c.kind === 'hang').length;
    out.push(
      `${r.mode}: ${r.instructions} instructions in ${r.streams} streams, ${(r.ms / 1000).toFixed(1)} s ` +
        `(${Math.round(r.instructions / Math.max(1, r.ms / 1000))} per second); crashes ${r.crashes.length - hangs}, hangs ${hangs}; ` +
        `snapshot round trips ${r.snapshots}`,
      `  internal errors: ${ieTotal}${ie.length ? ` (${ie.slice(0, 12).map(([k, n]) => `${k}: ${n}`).join(', ')})` : ''}`,
      ...ie.slice(0, 12).map(([k]) => `    ${k}: ${r.internalMessages[k] ?? ''}`),
      `  exits: ${Object.entries(r.exits).map(([k, n]) => `${k} ${n}`).join(', ')}`,
      `  faults and interrupts taken: ${vectors.map(([v, n]) => `#${v}: ${n}`).join(', ')}`,
    );
    for (const c of r.crashes) out.push(formatCrash(c).replace(/^/gm, '  '));
  }
  return out.join('\n');
}
