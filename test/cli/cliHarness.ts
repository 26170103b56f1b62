// Running the bundled CLI (dist/cli.js) in the CLI tests: building it when
// the sources are newer, spawning it with a wall-time guard, and the checks
// every bad-input test makes (one "vmexit: ..." line, no stack trace).

import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO } from '../guests/harness';

export const CLI = path.join(REPO, 'dist', 'cli.js');

export interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Newest modification time under a folder (ms). */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** Build dist/cli.js when it is missing or older than src/ (call from a before() hook with a long timeout). */
export function ensureCliBuilt(): void {
  const stale = !fs.existsSync(CLI) || fs.statSync(CLI).mtimeMs < newestMtime(path.join(REPO, 'src'));
  if (stale) {
    const r = spawnSync(process.execPath, [path.join(REPO, 'scripts', 'build.mjs'), '--quiet'], {
      cwd: REPO,
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, `node scripts/build.mjs failed:\n${r.stdout}${r.stderr}`);
  }
  assert.ok(fs.existsSync(CLI), `${CLI} was not built`);
}

/**
 * Run the CLI; `stdin` (COM1's input with --serial stdio) is written at once
 * and closed. `withoutFileOverride` runs it without the capabilities that let
 * root read and write any file (util-linux's setpriv drops them from the
 * bounding set), so file permissions apply to it as to any user.
 */
export function runCli(args: string[], options: { timeoutMs?: number; stdin?: string; withoutFileOverride?: boolean } = {}): Promise<CliResult> {
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const input = options.stdin;
    const command = [process.execPath, CLI, ...args];
    if (options.withoutFileOverride && process.getuid?.() === 0) command.unshift('setpriv', '--bounding-set=-dac_override,-dac_read_search');
    const child = spawn(command[0], command.slice(1), {
      cwd: REPO,
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (input !== undefined) {
      child.stdin!.on('error', () => {});
      child.stdin!.end(Buffer.from(input, 'latin1'));
    }
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('latin1');
    child.stderr!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => (stdout += d));
    child.stderr!.on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

export function show(r: CliResult): string {
  return `status ${r.status}${r.signal ? ` (signal ${r.signal})` : ''}\n--- stdout:\n${r.stdout}\n--- stderr:\n${r.stderr}`;
}

/** A one-line "vmexit: ..." message on stderr and no stack trace. */
export function assertOneLineError(r: CliResult, pattern: RegExp): void {
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `one line on stderr:\n${show(r)}`);
  assert.match(lines[0], /^vmexit: /, show(r));
  assert.match(lines[0], pattern, show(r));
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
}
