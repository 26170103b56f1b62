// Shared pieces of the DebugClient tests: a work directory with guests
// assembled by NASM (binary plus listing), launching to the first stop, and
// waiting for the stop a request causes.

import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';

export const root = path.resolve(__dirname, '../..');
export const adapterPath = path.join(root, 'dist/debugAdapter.js');

export interface Guest {
  asm: string;
  bin: string;
  lst: string;
  /** Listing line of a label that starts a line (`name:` alone → the next code line). */
  line(label: string): number;
  /** The line of the instruction just above a label (the call a return-address label follows): a caller frame's line. */
  callBefore(label: string): number;
}

/** Build the adapter and make a scratch directory (call in `before`); returns a cleanup for `after`. */
export function prepare(): { dir: string; cleanup: () => void } {
  execFileSync('node', ['scripts/build.mjs', '--quiet'], { cwd: root, stdio: 'inherit' });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmexit-dap-'));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The hooks every adapter suite shares, called inside its describe(): the
 * adapter built and a scratch folder made once (`guests` assembles the
 * suite's guests there; the folder is removed after the suite), and a
 * DebugClient on a fresh adapter process for each test (`client` hands it
 * to the suite), stopped after the test (`current`: the suite's client
 * then, should a test have started another).
 */
export function adapterHooks(hooks: { guests: (dir: string) => void; client: (dc: DebugClient) => void; current: () => DebugClient }): void {
  let cleanup = (): void => {};
  before(function () {
    this.timeout(120000);
    const p = prepare();
    cleanup = p.cleanup;
    hooks.guests(p.dir);
  });
  after(() => cleanup());
  beforeEach(async () => {
    hooks.client(await startClient());
  });
  afterEach(async () => {
    await hooks.current().stop();
  });
}

export function assemble(dir: string, name: string): Guest {
  const asm = path.join(dir, `${name}.asm`);
  fs.copyFileSync(path.join(__dirname, 'guests', `${name}.asm`), asm);
  const bin = path.join(dir, `${name}.bin`);
  const lst = path.join(dir, `${name}.lst`);
  execFileSync('nasm', ['-f', 'bin', '-o', bin, '-l', lst, asm]);
  const lines = fs.readFileSync(asm, 'utf8').split('\n');
  return {
    asm,
    bin,
    lst,
    line(label: string): number {
      const i = lines.findIndex((l) => l.startsWith(`${label}:`));
      assert.ok(i >= 0, `label ${label} in ${name}.asm`);
      return /:\s*\S/.test(lines[i].replace(/;.*/, '')) ? i + 1 : i + 2;
    },
    callBefore(label: string): number {
      let i = lines.findIndex((l) => l.startsWith(`${label}:`)) - 1;
      while (i >= 0 && lines[i].replace(/;.*/, '').trim() === '') i--;
      assert.ok(i >= 0, `an instruction above ${label} in ${name}.asm`);
      return i + 1;
    },
  };
}

export async function startClient(): Promise<DebugClient> {
  const dc = new DebugClient('node', adapterPath, 'vmexit');
  await dc.start();
  return dc;
}

/** Launch, configure (breakpoints, filters) before configurationDone, and wait for the first stop. */
export async function launchWith(dc: DebugClient, args: Record<string, unknown>, configure: () => Promise<unknown> = async () => {}): Promise<DebugProtocol.StoppedEvent> {
  const stopped = dc.waitForEvent('stopped', 10000);
  await Promise.all([
    dc.waitForEvent('initialized').then(async () => {
      await configure();
      await dc.configurationDoneRequest();
    }),
    dc.launch(args),
  ]);
  return (await stopped) as DebugProtocol.StoppedEvent;
}

/** Issue a run or step request and wait for the stop it causes. */
export async function waitStop(dc: DebugClient, request: Promise<unknown>): Promise<DebugProtocol.StoppedEvent> {
  const [, stopped] = await Promise.all([request, dc.waitForEvent('stopped', 10000)]);
  return stopped as DebugProtocol.StoppedEvent;
}

export async function frames(dc: DebugClient): Promise<DebugProtocol.StackFrame[]> {
  return (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;
}

export async function evaluate(dc: DebugClient, expression: string): Promise<string> {
  return (await dc.evaluateRequest({ expression, frameId: 0, context: 'repl' })).body.result;
}

/** The message of the error response a request gets (fails when it succeeds). */
export async function errorOf(request: Promise<unknown>): Promise<string> {
  try {
    await request;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  assert.fail('the request succeeded; an error response was expected');
}
