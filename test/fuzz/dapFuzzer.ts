// The DAP fuzzer: drives the real debug adapter (`node dist/debugAdapter.js`
// through @vscode/debugadapter-testsupport's DebugClient, as VS Code runs
// it) with the random and hostile requests of ./dapRequests.ts, in sessions:
// requests before launch, launch of a test guest (NASM-assembled, with its
// listing), a run of random requests, a sanity check, terminate, requests
// after terminate. Every request must be answered within ANSWER_BOUND_MS,
// with success or one clean message: JavaScript's own error text ("Cannot
// read properties", "Maximum call stack" …), vmexit's internal-error line or
// a stray NaN/undefined is a failure, and so is an adapter that stops
// serving (the sanity check: pause, threads, stackTrace and evaluate must
// work) and the process must live. Seeded: the same seed sends the same requests. A failure is
// replayed alone in a fresh session to find whether that one request is
// the reproducer; otherwise the session's requests are reported.

import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { adapterPath, assemble, Guest, prepare } from '../debugAdapter/dapHarness';
import { FuzzRequest, FuzzState, outOfOrderRequests, randomRequests, Rng } from './dapRequests';

/** How long a request may go unanswered: generous, as the machine is shared; the adapter answers in milliseconds. */
const ANSWER_BOUND_MS = 10_000;

/** Text that must never reach a client. */
const RAW_ERROR_TEXT = [
  /Cannot read propert/,
  /Cannot set propert/,
  /is not a function/,
  /is not iterable/,
  /is not defined/,
  /Invalid array length/,
  /Invalid string length/,
  /Maximum call stack/,
  /Converting circular structure/,
  /Unexpected token/,
  /\b(TypeError|RangeError|ReferenceError)\b/,
  /\bat [^ ]+ \([^)]*:\d+:\d+\)/,
  /vmexit's debugger failed on the/,
  /\bNaN\b/,
  /\bundefined\b/,
];

/** The guests a session launches (from test/debugAdapter/guests), each with its own behaviour: runs forever, exits, faults in protected mode, pages. */
const GUESTS = ['spin', 'boot', 'pmode', 'paged'] as const;

export interface DapFuzzOptions {
  seed: number;
  /** Requests in all (bursts count each request). */
  requests: number;
  /** Requests per session before its sanity check and terminate. */
  perSession?: number;
  /** Progress and failure lines. */
  log?: (line: string) => void;
  /** Stop at the first failure (the test does; a long run may go on). */
  stopAtFirst?: boolean;
  /** Cut a failing session's requests down to a minimal sequence that still fails (slow: one adapter per try). */
  minimize?: boolean;
  /** Replay only this session of the seed (its number as a failure reports it). */
  session?: number;
  /** The adapter to drive (default: this tree's dist/debugAdapter.js), e.g. an older build to compare. */
  adapter?: string;
}

export interface DapFuzzFailure {
  seed: number;
  session: number;
  guest: string;
  phase: 'before launch' | 'running' | 'sanity' | 'after terminate' | 'launch';
  request: FuzzRequest;
  problem: string;
  /** The requests of the session up to and including the failing one. */
  sequence: FuzzRequest[];
  /** True when the failing request alone, right after launch, fails the same way. */
  reproducesAlone: boolean;
  /** With `minimize`: the shortest sequence found (after launch) that still fails. */
  minimal?: FuzzRequest[];
}

export interface DapFuzzResult {
  requests: number;
  sessions: number;
  byCommand: Record<string, number>;
  /** Refusal messages by kind (numbers as #), to see what the requests met. */
  refusals: Record<string, number>;
  succeeded: number;
  refused: number;
  failures: DapFuzzFailure[];
}

/** Shorten a request for printing (long expressions and data are cut). */
export function describeRequest(r: FuzzRequest): string {
  const json = JSON.stringify(r.args, (_k, v: unknown) => (typeof v === 'string' && v.length > 80 ? `${v.slice(0, 40)}…(${v.length} chars)…${v.slice(-20)}` : v));
  return `${r.command} ${json ?? ''}`;
}

function rawText(text: string): RegExp | undefined {
  return RAW_ERROR_TEXT.find((re) => re.test(text));
}

/** The text of a response's user-facing fields (not memory data or instruction bytes, which may spell anything). */
function responseText(body: unknown): string {
  return JSON.stringify(body ?? {}, (k, v: unknown) => (k === 'data' || k === 'instructionBytes' || k === 'instruction' || k === 'value' || k === 'result' ? undefined : v));
}

type Outcome = { kind: 'answered'; success: boolean; problem?: string; body?: unknown } | { kind: 'unanswered' } | { kind: 'dead'; why: string };

/**
 * One adapter process and the DebugClient talking to it. The process is
 * spawned here and bridged to the client over a local socket (the client's
 * server mode), so that the fuzzer sees the process die, reads its stderr
 * and can always kill it, whatever state the protocol is in.
 */
class Session {
  readonly dc: DebugClient;
  readonly outputProblems: string[] = [];
  terminated = false;
  private child: ChildProcess | null = null;
  private server: net.Server | null = null;
  private readonly sockets: net.Socket[] = [];
  private exit: string | null = null;
  private stderr = '';
  private readonly exited: Promise<string>;
  private onExit: (why: string) => void = () => {};

  constructor(private readonly adapter: string) {
    this.dc = new DebugClient('node', adapter, 'vmexit');
    this.exited = new Promise((resolve) => (this.onExit = resolve));
    // Output and stop texts carry condition errors and log messages: no raw JavaScript text either.
    this.dc.on('output', (e: DebugProtocol.OutputEvent) => {
      const bad = e.body.category !== 'stdout' ? rawText(e.body.output) : undefined;
      if (bad) this.outputProblems.push(`output event with ${bad}: ${e.body.output.slice(0, 300)}`);
    });
    this.dc.on('stopped', (e: DebugProtocol.StoppedEvent) => {
      const bad = rawText(`${e.body.text ?? ''} ${e.body.description ?? ''}`);
      if (bad) this.outputProblems.push(`stopped event with ${bad}: ${e.body.text ?? ''} ${e.body.description ?? ''}`);
    });
    this.dc.on('terminated', () => (this.terminated = true));
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, [this.adapter], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    child.stderr.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    child.on('exit', (code, signal) => {
      this.exit = `the adapter process exited (${signal ?? `status ${code}`})${this.stderr ? `; its stderr ends: ${this.stderr.slice(-600)}` : ''}`;
      this.onExit(this.exit);
    });
    const server = net.createServer((socket) => {
      this.sockets.push(socket);
      socket.pipe(child.stdin);
      child.stdout.pipe(socket);
      socket.on('error', () => {});
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    await this.dc.start((server.address() as net.AddressInfo).port);
  }

  /** Send one request and wait for its answer, at most ANSWER_BOUND_MS (or until the adapter dies). */
  async send(r: FuzzRequest): Promise<Outcome> {
    if (process.env.DAP_FUZZ_TRACE) process.stderr.write(`> ${process.env.DAP_FUZZ_TRACE === "full" ? JSON.stringify(r) : describeRequest(r)}\n`);
    if (this.exit) return { kind: 'dead', why: this.exit };
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<Outcome>((resolve) => (timer = setTimeout(() => resolve({ kind: 'unanswered' }), ANSWER_BOUND_MS)));
    const dead = this.exited.then((why): Outcome => ({ kind: 'dead', why }));
    const answer = this.dc.customRequest(r.command, r.args).then(
      (response): Outcome => ({ kind: 'answered', success: true, body: response.body }),
      (e: unknown): Outcome => ({ kind: 'answered', success: false, problem: e instanceof Error ? e.message : String(e) }),
    );
    const outcome = await Promise.race([answer, bound, dead]);
    clearTimeout(timer);
    return outcome;
  }

  async launch(guest: Guest, rng: Rng): Promise<void> {
    const stopOnEntry = rng.pick<unknown>(['bootsector', 'bootsector', 'reset', false]);
    const launched = Promise.all([
      this.dc.waitForEvent('initialized', ANSWER_BOUND_MS).then(() => this.dc.configurationDoneRequest()),
      this.dc.launch({ image: guest.bin, symbols: [guest.lst], stopOnEntry }),
    ]);
    const failed = this.exited.then((why) => Promise.reject(new Error(why)));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise((_resolve, reject) => (timer = setTimeout(() => reject(new Error(`no launch within ${ANSWER_BOUND_MS} ms`)), ANSWER_BOUND_MS)));
    try {
      await Promise.race([launched, failed, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Disconnect (briefly), then end the process whatever it is doing. */
  async stop(): Promise<void> {
    if (!this.exit) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.dc.disconnectRequest().catch(() => {}), new Promise((r) => (timer = setTimeout(r, 2000))), this.exited]);
      clearTimeout(timer);
    }
    // Not dc.stop(): it waits for a disconnect answer without a bound (server mode has no timeouts).
    this.child?.kill('SIGKILL');
    for (const socket of this.sockets) socket.destroy();
    this.server?.close();
  }
}

/** Learn ids the adapter handed out, to aim later requests at things that exist. */
function learn(state: FuzzState, r: FuzzRequest, body: unknown): void {
  if (!body || typeof body !== 'object') return;
  const b = body as Record<string, unknown>;
  const push = <T>(list: T[], v: T): void => {
    if (!list.includes(v)) list.push(v);
    if (list.length > 64) list.shift();
  };
  if (r.command === 'stackTrace' && Array.isArray(b.stackFrames)) for (const f of b.stackFrames as { id: number }[]) push(state.frameIds, f.id);
  if (r.command === 'scopes' && Array.isArray(b.scopes)) for (const s of b.scopes as { variablesReference: number }[]) push(state.variablesReferences, s.variablesReference);
  if (r.command === 'variables' && Array.isArray(b.variables)) {
    for (const v of b.variables as { variablesReference: number }[]) if (v.variablesReference > 0) push(state.variablesReferences, v.variablesReference);
  }
  if (r.command === 'dataBreakpointInfo' && typeof b.dataId === 'string') push(state.dataIds, b.dataId);
}

/** What is wrong with an outcome, or null. */
function verdict(outcome: Outcome): string | null {
  if (outcome.kind === 'unanswered') return `no answer within ${ANSWER_BOUND_MS} ms`;
  if (outcome.kind === 'dead') return outcome.why;
  if (!outcome.success) {
    const bad = rawText(outcome.problem ?? '');
    if (bad) return `error message with ${bad}: ${outcome.problem}`;
    if (!outcome.problem || outcome.problem.trim() === '') return 'error response without a message';
    return null;
  }
  const bad = rawText(responseText(outcome.body));
  return bad ? `response with ${bad}: ${responseText(outcome.body).slice(0, 300)}` : null;
}

/**
 * The adapter still serves: pause (the guest may be running), then threads,
 * stackTrace and evaluate answer with success, unless the guest has ended,
 * when threads must still answer and the others must say so cleanly.
 */
async function sanity(session: Session): Promise<string | null> {
  const threads = await session.send({ command: 'threads', args: undefined });
  if (threads.kind !== 'answered') return `threads: ${verdict(threads)}`;
  if (!threads.success) return `threads failed: ${threads.problem}`;
  if (session.terminated) return null;
  const paused = await session.send({ command: 'pause', args: { threadId: 1 } });
  const pauseProblem = verdict(paused);
  if (pauseProblem) return `pause: ${pauseProblem}`;
  // The stop a pause causes arrives as an event; ask until the guest answers as stopped.
  for (let attempt = 0; attempt < 50; attempt++) {
    const st = await session.send({ command: 'stackTrace', args: { threadId: 1 } });
    if (st.kind !== 'answered') return `stackTrace: ${verdict(st)}`;
    if (st.success) {
      const ev = await session.send({ command: 'evaluate', args: { expression: '1+1', frameId: 0, context: 'repl' } });
      if (ev.kind !== 'answered' || !ev.success) return `evaluate '1+1' failed: ${ev.kind === 'answered' ? ev.problem : verdict(ev)}`;
      return null;
    }
    if (/has ended/.test(st.problem ?? '') || session.terminated) return null;
    await new Promise((r) => setTimeout(r, 50));
  }
  return 'the guest never stopped after pause (stackTrace kept failing)';
}

async function withSession<T>(adapter: string, body: (s: Session) => Promise<T>): Promise<T> {
  const session = new Session(adapter);
  await session.start();
  try {
    return await body(session);
  } finally {
    await session.stop();
  }
}

/** Replay requests right after launch, one by one: does the last fail (or the adapter stop serving)? */
async function failsWith(adapter: string, guest: Guest, seed: number, requests: readonly FuzzRequest[]): Promise<boolean> {
  return withSession(adapter, async (s) => {
    await s.launch(guest, new Rng(seed));
    for (const r of requests.slice(0, -1)) if ((await s.send(r)).kind !== 'answered') return true;
    const outcome = await s.send(requests[requests.length - 1]);
    return verdict(outcome) !== null || (await sanity(s)) !== null;
  }).catch(() => false);
}

/**
 * Delta debugging (Zeller's ddmin) over the requests before the failing one:
 * drop chunks while the failure stays, halving the chunk size down to single
 * requests. Each try is a fresh adapter, so this takes a while.
 */
async function minimize(adapter: string, guest: Guest, seed: number, sequence: readonly FuzzRequest[], log: (line: string) => void): Promise<FuzzRequest[]> {
  const last = sequence[sequence.length - 1];
  let before = sequence.slice(0, -1);
  let chunk = Math.max(1, Math.ceil(before.length / 2));
  while (before.length > 0) {
    let removed = false;
    for (let start = 0; start < before.length; start += chunk) {
      const candidate = [...before.slice(0, start), ...before.slice(start + chunk)];
      if (await failsWith(adapter, guest, seed, [...candidate, last])) {
        before = candidate;
        removed = true;
        start -= chunk;
        log(`  minimizing: ${before.length + 1} requests still fail`);
      }
    }
    if (!removed) {
      if (chunk === 1) break;
      chunk = Math.ceil(chunk / 2);
    }
  }
  return [...before, last];
}

function guestState(guest: Guest): FuzzState {
  const source = fs.readFileSync(guest.asm, 'utf8').split('\n');
  const symbols = source.flatMap((l) => /^([A-Za-z_.][\w.]*):/.exec(l)?.[1] ?? []);
  return { sourcePath: guest.asm, sourceLines: source.length, symbols, variablesReferences: [], frameIds: [], dataIds: [] };
}

/** Run the fuzzer: `requests` random and hostile requests in sessions of `perSession`. */
export async function runDapFuzz(options: DapFuzzOptions): Promise<DapFuzzResult> {
  const log = options.log ?? (() => {});
  const perSession = options.perSession ?? 400;
  const adapter = options.adapter ?? adapterPath;
  const { dir, cleanup } = prepare();
  const guests = new Map<string, Guest>(GUESTS.map((g) => [g, assemble(dir, g)]));
  const rng = new Rng(options.seed);
  const result: DapFuzzResult = { requests: 0, sessions: 0, byCommand: Object.create(null) as Record<string, number>, refusals: Object.create(null) as Record<string, number>, succeeded: 0, refused: 0, failures: [] };
  try {
    while (result.requests < options.requests && !(options.stopAtFirst && result.failures.length > 0)) {
      const sessionSeed = rng.int(0, 2 ** 31);
      if (options.session !== undefined && result.sessions + 1 < options.session) {
        result.sessions++;
        continue;
      }
      const srng = new Rng(sessionSeed);
      const guestName = srng.pick(GUESTS);
      const guest = guests.get(guestName) as Guest;
      const state = guestState(guest);
      const sequence: FuzzRequest[] = [];
      let beforeLaunch = 0;
      result.sessions++;
      const fail = async (phase: DapFuzzFailure['phase'], request: FuzzRequest, problem: string): Promise<void> => {
        const alone = phase === 'running' ? await failsWith(adapter, guest, sessionSeed, [request]) : false;
        const failure: DapFuzzFailure = { seed: options.seed, session: result.sessions, guest: guestName, phase, request, problem, sequence: [...sequence], reproducesAlone: alone };
        if (options.minimize && phase === 'running' && !alone) {
          const launched = sequence.slice(beforeLaunch, sequence.lastIndexOf(request) + 1);
          failure.minimal = await minimize(adapter, guest, sessionSeed, launched, log);
        }
        result.failures.push(failure);
        log(`FAILURE (seed ${options.seed}, session ${failure.session}, guest ${guestName}, ${phase}): ${problem}\n  request: ${describeRequest(request)}\n  ${alone ? 'reproduces alone right after launch' : `after ${sequence.length - 1} earlier requests of the session`}`);
      };
      const budget = Math.min(perSession, options.requests - result.requests);
      await withSession(adapter, async (s) => {
        const run = async (phase: DapFuzzFailure['phase'], batch: FuzzRequest[]): Promise<boolean> => {
          sequence.push(...batch);
          result.requests += batch.length;
          for (const r of batch) result.byCommand[r.command] = (result.byCommand[r.command] ?? 0) + 1;
          const outcomes = await Promise.all(batch.map((r) => s.send(r)));
          for (let i = 0; i < batch.length; i++) {
            const o = outcomes[i];
            if (o.kind === 'answered') {
              if (o.success) result.succeeded++;
              else {
                result.refused++;
                const kind = (o.problem ?? '').replace(/\d+/g, '#').slice(0, 70);
                result.refusals[kind] = (result.refusals[kind] ?? 0) + 1;
              }
              if (o.success) learn(state, batch[i], o.body);
            }
            const problem = verdict(o) ?? s.outputProblems.shift() ?? null;
            if (problem) {
              await fail(phase, batch[i], problem);
              return false;
            }
          }
          return true;
        };
        // A client out of order: requests before initialize and launch.
        const early = outOfOrderRequests(srng, state, srng.int(1, 4));
        beforeLaunch = early.length;
        if (!(await run('before launch', early))) return;
        try {
          await s.launch(guest, srng);
        } catch (e) {
          await fail('launch', { command: 'launch', args: { image: guest.bin } }, `launch failed: ${e instanceof Error ? e.message : String(e)}`);
          return;
        }
        let sent = 0;
        while (sent < budget) {
          const batch = randomRequests(srng, state);
          sent += batch.length;
          if (!(await run('running', batch))) return;
        }
        const dead = await sanity(s);
        if (dead) {
          await fail('sanity', { command: 'threads', args: undefined }, `the adapter stopped serving: ${dead}`);
          return;
        }
        // And after terminate: every request still answered, cleanly.
        if (!(await run('after terminate', [{ command: 'terminate', args: {} }]))) return;
        await run('after terminate', outOfOrderRequests(srng, state, srng.int(2, 6)));
      });
      log(`session ${result.sessions} (${guestName}): ${result.requests} requests so far, ${result.failures.length} failures`);
    }
  } finally {
    cleanup();
  }
  return result;
}

/** A readable account of a run, with each failure's reproducer. */
export function report(result: DapFuzzResult): string {
  const lines = [
    `DAP fuzz: ${result.requests} requests in ${result.sessions} sessions, ${result.succeeded} answered with success, ${result.refused} refused with a message, ${result.failures.length} failures`,
    `requests: ${Object.entries(result.byCommand)
      .sort((a, b) => b[1] - a[1])
      .map(([c, n]) => `${c || "''"} ${n}`)
      .join(', ')}`,
  ];
  const refusals = Object.entries(result.refusals).sort((a, b) => b[1] - a[1]);
  lines.push(`most frequent refusals: ${refusals.slice(0, 8).map(([m, n]) => `${n}× ${m}`).join(' | ')}`);
  for (const f of result.failures) {
    lines.push(`failure: seed ${f.seed}, session ${f.session}, guest ${f.guest}, ${f.phase}: ${f.problem}`);
    lines.push(`  request: ${describeRequest(f.request)}`);
    if (f.reproducesAlone) lines.push('  reproducer: launch the guest, then this one request');
    else if (f.minimal) {
      lines.push(`  reproducer (minimized): launch the guest, then these ${f.minimal.length} requests:`);
      for (const r of f.minimal) lines.push(`    ${describeRequest(r)}`);
    } else {
      lines.push(`  reproducer: the session's ${f.sequence.length} requests (last 20 shown):`);
      for (const r of f.sequence.slice(-20)) lines.push(`    ${describeRequest(r)}`);
    }
  }
  return lines.join('\n');
}
