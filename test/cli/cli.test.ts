// `vmexit run` end to end: spawns the bundled CLI (dist/cli.js) on the test
// guests and checks every exit status, the bad-input messages, and the
// output options (--screen, --serial, --debugcon, --trace, --persist).

import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FLOPPY_BYTES, REPO, assemble, floppyImage } from '../guests/harness';
import { assertOneLineError, ensureCliBuilt, runCli, show } from './cliHarness';

function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

describe('CLI: vmexit run', function () {
  this.timeout(120_000);
  let tmp: string;

  before(function () {
    this.timeout(300_000);
    ensureCliBuilt();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vmexit-cli-'));
  });

  after(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe('usage and bad input (status 2)', () => {
    it('--help prints the usage with status 0; no arguments is status 2', async () => {
      const help = await runCli(['--help']);
      assert.equal(help.status, 0, show(help));
      assert.match(help.stdout, /usage: vmexit run/);
      const none = await runCli([]);
      assert.equal(none.status, 2, show(none));
    });

    it('a missing image file', async () => {
      const missing = path.join(tmp, 'no-such-image.img');
      const r = await runCli(['run', missing]);
      assert.equal(r.status, 2, show(r));
      assertOneLineError(r, /does not exist/);
      assert.ok(r.stderr.includes(missing), 'names the file');
    });

    it('an empty image file', async () => {
      const empty = path.join(tmp, 'empty.img');
      fs.writeFileSync(empty, new Uint8Array(0));
      const r = await runCli(['run', empty]);
      assert.equal(r.status, 2, show(r));
      assertOneLineError(r, /empty/);
    });

    it('an image of an unsupported size (1.44M + 1 byte)', async () => {
      const odd = path.join(tmp, 'odd.img');
      fs.writeFileSync(odd, new Uint8Array(FLOPPY_BYTES + 1));
      const r = await runCli(['run', odd]);
      assert.equal(r.status, 2, show(r));
      assertOneLineError(r, /unsupported size/);
      assert.ok(r.stderr.includes(String(FLOPPY_BYTES + 1)), 'gives the size');
    });

    it('an unsupported --fda size', async () => {
      const odd = path.join(tmp, 'odd-fda.img');
      fs.writeFileSync(odd, new Uint8Array(1000 * 512));
      const r = await runCli(['run', '--fda', odd]);
      assert.equal(r.status, 2, show(r));
      assertOneLineError(r, /unsupported size/);
    });

    it('an unknown option', async () => {
      const r = await runCli(['run', '--bogus', assemble('exitcode')]);
      assert.equal(r.status, 2, show(r));
      assertOneLineError(r, /unknown option '--bogus'/);
    });

    it('an option without its value, and a bad number', async () => {
      const a = await runCli(['run', assemble('exitcode'), '--timeout']);
      assert.equal(a.status, 2, show(a));
      assertOneLineError(a, /--timeout needs a value/);
      const b = await runCli(['run', '--memory', 'lots', assemble('exitcode')]);
      assert.equal(b.status, 2, show(b));
      assertOneLineError(b, /--memory/);
    });

    it('--boot c without a hard disk', async () => {
      const r = await runCli(['run', '--boot', 'c', assemble('exitcode')]);
      assert.equal(r.status, 2, show(r));
      assertOneLineError(r, /--boot c but .*hard-disk image/);
    });

    it('an unknown command', async () => {
      const r = await runCli(['walk', assemble('exitcode')]);
      assert.equal(r.status, 2, show(r));
      assertOneLineError(r, /unknown command 'walk'/);
    });
  });

  describe('exit statuses', () => {
    it('the guest status from isa-debug-exit: (value << 1) | 1', async () => {
      for (const value of [42, 3]) {
        const r = await runCli(['run', '--serial', 'none', assemble('exitcode', { EXIT_VALUE: value })]);
        assert.equal(r.status, (value << 1) | 1, show(r));
      }
    });

    it('--cpus 4 starts the APs of the smp guest (status 1); --cpus 1 has none; a bad count is status 2', async () => {
      const four = await runCli(['run', '--cpus', '4', assemble('smp')]);
      assert.equal(four.status, 1, show(four));
      assert.ok(four.stdout.includes('APs started 03'), show(four));
      assert.ok(four.stdout.includes('AP IDs 01 02 03'), show(four));
      const one = await runCli(['run', '--cpus=1', assemble('smp')]);
      assert.equal(one.status, 1, show(one));
      assert.ok(one.stdout.includes('APs started 00'), show(one));
      for (const bad of ['0', '65', '1.5', 'two']) {
        const r = await runCli(['run', '--cpus', bad, assemble('smp')]);
        assert.equal(r.status, 2, show(r));
        assertOneLineError(r, /--cpus/);
      }
      const traced = await runCli(['run', '--cpus', '2', '--trace', path.join(tmp, 'smp.trace'), assemble('smp')]);
      assert.equal(traced.status, 2, show(traced));
      assertOneLineError(traced, /--trace follows a single vCPU/);
    });

    it('--until: status 0 once the serial output contains the string', async () => {
      // The run stops as soon as the string is complete: nothing after it is promised.
      const r = await runCli(['run', '--until', 'MARK the guest is up', assemble('forever')]);
      assert.equal(r.status, 0, show(r));
      assert.ok(r.stdout.includes('MARK the guest is up'), show(r));
    });

    it('--timeout: status 124 on a guest that never ends', async () => {
      const r = await runCli(['run', '--timeout', '1', assemble('forever')]);
      assert.equal(r.status, 124, show(r));
      assert.match(r.stderr, /timeout/);
      assert.ok(r.stdout.includes('MARK the guest is up'), show(r));
      assert.ok(r.ms < 30_000, `took ${r.ms} ms`);
    });

    it('virtual time skips idle waits; --realtime paces them to the wall clock', async () => {
      // The guest waits one second of guest time (INT 15h AH=86h) in HLT.
      const virtual = await runCli(['run', assemble('wait')]);
      assert.equal(virtual.status, 1, show(virtual));
      const paced = await runCli(['run', '--realtime', assemble('wait')]);
      assert.equal(paced.status, 1, show(paced));
      // A lower bound only: a busy machine can make either run slower, never the paced one shorter.
      assert.ok(paced.ms >= 950, `--realtime took ${paced.ms} ms for a 1 s guest wait`);
      assert.ok(paced.ms > virtual.ms, `virtual ${virtual.ms} ms, realtime ${paced.ms} ms`);
    });

    it('a halt with interrupts off: status 0', async () => {
      const r = await runCli(['run', assemble('forever', { HALT: true })]);
      assert.equal(r.status, 0, show(r));
      assert.match(r.stderr, /halted/);
    });

    it('a triple fault: status 126', async () => {
      const r = await runCli(['run', assemble('triple')]);
      assert.equal(r.status, 126, show(r));
      assert.match(r.stderr, /triple fault/);
      assert.ok(r.stdout.includes('INFO triple fault next'), show(r));
    });

    it('something the core does not implement (WRMSR starting the performance counters): status 125 naming the bytes and CS:IP', async () => {
      const r = await runCli(['run', assemble('unimpl')]);
      assert.equal(r.status, 125, show(r));
      assertOneLineError(r, /internal error/);
      assert.match(r.stderr, /0F 30/i, 'names the bytes');
      assert.match(r.stderr, /0000:7E0F/i, 'names CS:IP');
    });
  });

  describe('output options', () => {
    it('--screen prints the VGA text screen at the end', async () => {
      const r = await runCli(['run', '--screen', assemble('hello')]);
      assert.equal(r.status, 1, show(r));
      assert.ok(r.stdout.includes('PASS hello'), 'serial on stdout');
      assert.ok(r.stdout.includes('Hello, world from a vmexit test guest'), show(r));
      assert.match(r.stdout, /^Second line/m, show(r));
    });

    it('--debugcon <file> gets port E9h', async () => {
      const file = path.join(tmp, 'debugcon.txt');
      const r = await runCli(['run', '--debugcon', file, assemble('hello')]);
      assert.equal(r.status, 1, show(r));
      assert.equal(fs.readFileSync(file, 'latin1'), 'hello on the debug console\n');
      assert.ok(!r.stdout.includes('hello on the debug console'), 'not on stdout');
    });

    it('--serial <file> gets COM1, and stdout does not', async () => {
      const file = path.join(tmp, 'serial.txt');
      const r = await runCli(['run', '--serial', file, assemble('hello')]);
      assert.equal(r.status, 1, show(r));
      const serial = fs.readFileSync(file, 'latin1');
      assert.ok(serial.includes('PASS hello\r\n'), serial);
      assert.ok(serial.includes('DONE 00\r\n'), serial);
      assert.ok(!r.stdout.includes('PASS hello'), show(r));
    });

    it('--trace <file> writes CS:IP, bytes and disassembly per instruction', async () => {
      const file = path.join(tmp, 'trace.txt');
      const r = await runCli(['run', '--serial', 'none', '--trace', file, assemble('exitcode')]);
      assert.equal(r.status, 85, show(r));
      const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
      assert.ok(lines.length > 10, `${lines.length} trace lines`);
      for (const line of lines.slice(0, 50)) assert.match(line, /^[0-9A-F]{4}:[0-9A-F]{4,8}\s+[0-9A-F]{2,}\s+\S/, line);
      // The boot sector's first instruction, CLI (FAh), at 0000:7C00 (or 07C0:0000).
      assert.ok(
        lines.some((l) => /^(0000:7C00|07C0:0000)\s+FA\s+cli\b/.test(l)),
        `no line for the boot sector's first instruction:\n${lines.filter((l) => /7C0/.test(l)).slice(0, 5).join('\n')}`,
      );
      // The far jump that follows, with its bytes and NASM-syntax operands.
      assert.ok(lines.some((l) => /\s+EA[0-9A-F]{8}\s+jmp\s+(far\s+)?0+h?:7C06h?/i.test(l)), 'the far jump');
      // The OUT to port F4h at the end.
      assert.ok(lines.some((l) => /\s+E6F4\s+out\s+0?F4h?,\s*al/i.test(l)), 'the out to F4h');
    });
  });

  describe('serial input', () => {
    it('stdin feeds COM1 with --serial stdio', async () => {
      const r = await runCli(['run', assemble('serial')], { stdin: 'ping\n' });
      assert.equal(r.status, 1, show(r));
      assert.ok(r.stdout.includes("PASS serial input reads 'ping'\r\npong\r\n"), show(r));
    });

    it('stdin types on the PS/2 keyboard with --keyboard stdio (INT 16h reads it)', async () => {
      const r = await runCli(['run', '--keyboard', 'stdio', assemble('keyboard')], { stdin: 'Hi!\n' });
      assert.equal(r.status, 1, show(r));
      assert.ok(r.stdout.includes('PASS keyboard'), show(r));
      assert.ok(!r.stdout.includes('FAIL'), show(r));
    });
  });

  describe('disks', () => {
    let image: string;
    const SECTOR = 40; // cylinder 1, head 0, sector 5 (diskwrite.asm)
    const TEXT = 'vmexit wrote this sector! ';

    beforeEach(() => {
      image = path.join(tmp, 'diskwrite.img');
      fs.writeFileSync(image, floppyImage(new Uint8Array(fs.readFileSync(assemble('diskwrite')))));
    });

    it('guest writes (INT 13h AH=03h) stay in memory: the image file is unchanged', async () => {
      const before = sha256(image);
      const r = await runCli(['run', image]);
      assert.equal(r.status, 1, show(r));
      assert.ok(r.stdout.includes('PASS the sector reads back as written'), show(r));
      assert.equal(sha256(image), before, 'image file unchanged');
    });

    it('--persist writes them back to the image file', async () => {
      const r = await runCli(['run', '--persist', image]);
      assert.equal(r.status, 1, show(r));
      const data = fs.readFileSync(image);
      assert.equal(data.length, FLOPPY_BYTES, 'same size');
      assert.equal(data.subarray(SECTOR * 512, SECTOR * 512 + TEXT.length).toString('latin1'), TEXT);
      assert.equal(data.subarray((SECTOR + 1) * 512, (SECTOR + 2) * 512).every((b) => b === 0), true, 'next sector untouched');
    });
  });

  describe('the demo guest (examples/demo)', () => {
    it('demo.asm assembles to the committed demo.img byte for byte', () => {
      const built = fs.readFileSync(assemble(path.join(REPO, 'examples', 'demo', 'demo.asm')));
      const committed = fs.readFileSync(path.join(REPO, 'examples', 'demo', 'demo.img'));
      assert.ok(built.equals(committed), `demo.img differs from a fresh nasm build (${built.length} vs ${committed.length} bytes)`);
    });

    it('runs to its big-real-mode success line and halts (status 0)', async () => {
      const r = await runCli(['run', '--screen', 'examples/demo/demo.img']);
      assert.equal(r.status, 0, show(r));
      assert.ok(r.stdout.includes('Hello from vmexit!'), show(r));
      assert.ok(r.stdout.includes('Big real mode: FS keeps a 4 GiB limit after returning to real mode;'), show(r));
      assert.ok(r.stdout.includes('wrote and read back 5A17C0DEh at 2 MiB through FS:ESI.'), show(r));
    });
  });
});
