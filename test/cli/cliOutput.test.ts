// `vmexit run` and outputs that do not take what the guest writes (issue 8,
// defects 4, 5 and 6): a reader that goes away (`| head`) ends the run
// quietly with status 6; a pipe nobody reads holds the guest instead of
// queueing its output in memory, and --timeout still ends the run; a slow
// reader gets every byte; a write error on --serial, --debugcon or --trace
// is one line naming the file, status 8.

import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { REPO, assemble } from '../guests/harness';
import { CLI, assertOneLineError, ensureCliBuilt, runCli, show } from './cliHarness';

/** Resident set size of a process in MiB (Linux /proc), or null once it is gone. */
function rssMiB(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

interface PipedRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  stdout: Buffer;
  maxRssMiB: number;
}

/**
 * Run the CLI with its standard output on a pipe read by `reader` (which may
 * never read, read slowly, or close early), sampling its RSS; the child is
 * killed after `guardMs` (the test then fails on its status).
 */
function runPiped(args: string[], reader: 'never' | 'slow' | 'close-after-3-lines', guardMs = 60_000): Promise<PipedRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const chunks: Buffer[] = [];
    let maxRssMiB = 0;
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => (stderr += d));
    const sampler = setInterval(() => {
      const rss = rssMiB(child.pid!);
      if (rss !== null) maxRssMiB = Math.max(maxRssMiB, rss);
    }, 50);
    const stdout = child.stdout;
    if (reader === 'close-after-3-lines') {
      stdout.on('data', (d: Buffer) => {
        chunks.push(d);
        if (Buffer.concat(chunks).toString('latin1').split('\n').length > 3) stdout.destroy();
      });
    } else if (reader === 'slow') {
      // One chunk (at most 64 KiB) every 50 ms: slower than the guest writes.
      stdout.on('data', (d: Buffer) => {
        chunks.push(d);
        stdout.pause();
      });
      const pull = setInterval(() => stdout.resume(), 50);
      child.on('close', () => clearInterval(pull));
    }
    // 'never': nobody reads; the pipe fills and stays full.
    const guard = setTimeout(() => child.kill('SIGKILL'), guardMs);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(guard);
      clearInterval(sampler);
      resolve({ status, signal, stderr, stdout: Buffer.concat(chunks), maxRssMiB });
    });
  });
}

function describeRun(r: PipedRun): string {
  return `status ${r.status}${r.signal ? ` (signal ${r.signal})` : ''}, max RSS ${r.maxRssMiB.toFixed(0)} MiB\n--- stderr:\n${r.stderr}`;
}

describe('CLI: outputs that do not keep up', function () {
  this.timeout(120_000);

  before(function () {
    this.timeout(300_000);
    ensureCliBuilt();
  });

  it('a reader that goes away (| head) ends the run quietly: status 6, nothing on stderr', async () => {
    const r = await runPiped(['run', assemble('chatty')], 'close-after-3-lines');
    assert.equal(r.status, 6, describeRun(r));
    assert.equal(r.stderr, '', 'quiet: no message, no stack trace');
    assert.ok(r.stdout.toString('latin1').startsWith('chatty line 00000000\nchatty line 00000001\n'), r.stdout.toString('latin1').slice(0, 200));
  });

  it('a pipe nobody reads: memory stays bounded and --timeout ends the run (status 124)', async () => {
    const r = await runPiped(['run', '--timeout', '4', assemble('chatty')], 'never');
    assert.equal(r.status, 124, describeRun(r));
    assert.match(r.stderr, /^vmexit: timeout after 4 s\n$/);
    // Loose: the old CLI passed 200 MiB in 3 s and grew by gigabytes.
    assert.ok(r.maxRssMiB < 300, `max RSS ${r.maxRssMiB.toFixed(0)} MiB`);
  });

  it('a slow reader loses nothing: the lines it got are numbered without a gap', async () => {
    const r = await runPiped(['run', '--timeout', '3', assemble('chatty')], 'slow');
    assert.equal(r.status, 124, describeRun(r));
    assert.ok(r.maxRssMiB < 300, `max RSS ${r.maxRssMiB.toFixed(0)} MiB`);
    const lines = r.stdout.toString('latin1').split('\n');
    lines.pop(); // the last line may be cut short
    assert.ok(lines.length > 1000, `${lines.length} lines`);
    lines.forEach((line, i) => assert.equal(line, `chatty line ${i.toString(16).toUpperCase().padStart(8, '0')}`, `line ${i}`));
  });

  for (const [option, define] of [['--serial', {}], ['--debugcon', { DEBUGCON: true }], ['--trace', {}]] as const) {
    it(`a write error on ${option} /dev/full: one line naming the file, status 8`, async function () {
      if (!fs.existsSync('/dev/full')) this.skip();
      const args = ['run', '--timeout', '30', option, '/dev/full', assemble('chatty', define)];
      if (option !== '--serial') args.splice(1, 0, '--serial', 'none');
      const r = await runCli(args, { timeoutMs: 60_000 });
      assert.equal(r.status, 8, show(r));
      assertOneLineError(r, new RegExp(`^vmexit: cannot write the (serial output|debugcon output|trace) to '/dev/full': ENOSPC \\(no space left on the device\\)$`));
    });
  }
});
