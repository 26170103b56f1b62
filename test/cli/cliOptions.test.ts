// Every option value of `vmexit run` is checked: a bad one is refused with one
// "vmexit: ..." line on stderr and status 2, never a stack trace (issue 8,
// defect 2). One end-to-end test per kind of bad value through dist/cli.js,
// then a table-driven, seeded test that throws hostile and random values at
// every option of RUN_OPTIONS (in-process through main(), so thousands of
// values stay fast), and the launch.json side refusing the same values with
// the same words.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RUN_OPTIONS } from '../../src/cli/args';
import { main } from '../../src/cli/main';
import { LaunchError, parseLaunchArguments } from '../../src/debugAdapter/launchConfig';
import { assemble } from '../guests/harness';
import { assertOneLineError, ensureCliBuilt, runCli, show } from './cliHarness';

/** How each option's values are attacked; a new option must be added here (the test checks that every one is). */
type Kind = 'memory' | 'count' | 'seconds' | 'word' | 'inputFile' | 'outputFile' | 'text';
const KINDS: Record<string, Kind> = {
  '--memory': 'memory',
  '--cpus': 'count',
  '--timeout': 'seconds',
  '--boot': 'word',
  '--keyboard': 'word',
  '--bios': 'inputFile',
  '--fda': 'inputFile',
  '--hda': 'inputFile',
  '--kernel': 'inputFile',
  '--cdrom': 'inputFile',
  '--initrd': 'inputFile',
  '--append': 'text',
  '--serial': 'outputFile',
  '--debugcon': 'outputFile',
  '--trace': 'outputFile',
  '--until': 'text',
};

/** A small seeded generator (xorshift32), so a failing value can be replayed. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

/** Characters none of the number, size or word rules accept anywhere in a value. */
const POISON = ['-', '+', 'e', 'x', ',', '\n', '\0', '#', '%', '\u00e9', '_', '\t', '\u202e', '"', "'", '$(', '*', ';', '/'];
const ALPHABET = '0123456789.kKmMgGiIbBacdstoiu \n\0-+xe';

function randomHostile(rnd: () => number): string {
  const n = 1 + Math.floor(rnd() * 12);
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHABET[Math.floor(rnd() * ALPHABET.length)];
  const at = Math.floor(rnd() * (s.length + 1));
  return s.slice(0, at) + POISON[Math.floor(rnd() * POISON.length)] + s.slice(at);
}

const COMMON = ['', ' ', '-1', '1e3', '0x10', 'NaN', 'Infinity', '-0', '99999999999999999999999', 'a\nb', '\0', '\u202e1', 'x'.repeat(100_000), '%s%n', '1,5', '1.0001'];

/** Bad values for one option: fixed hostile ones and `randomCount` seeded random ones. */
function badValues(kind: Kind, tmp: string, rnd: () => number, randomCount: number): string[] {
  const rand = (): string[] => Array.from({ length: randomCount }, () => randomHostile(rnd));
  const missingDir = path.join(tmp, 'no-such-folder');
  switch (kind) {
    case 'memory':
      return [...COMMON, '0', '3585', '4096', '1.5', '1023K', '1025k', '4G', '1.0001G', '0M', '3.5G', '64 M B', '64MB', ...rand(),
        ...Array.from({ length: randomCount }, () => `${Math.floor(rnd() * 1000)}.${1 + Math.floor(rnd() * 999)}`),
        ...Array.from({ length: randomCount }, () => String(3585 + Math.floor(rnd() * 1e9)))];
    case 'count':
      return [...COMMON, '0', '65', '1.5', 'two', '2M', ...rand(), ...Array.from({ length: randomCount }, () => String(65 + Math.floor(rnd() * 1e9)))];
    case 'seconds':
      return [...COMMON.filter((v) => v !== '1.0001'), '1000000001', '.5', '5.', '1.2.3', ...rand()];
    case 'word':
      return [...COMMON, 'A', 'C', 'b', 'STDIO', 'stdio ', 'a ', ...rand()];
    case 'inputFile':
      return ['', ' ', '\0', 'x\0y', tmp, '/dev/null', path.join(missingDir, 'f.img'), ...Array.from({ length: randomCount }, () => path.join(tmp, `missing-${Math.floor(rnd() * 1e9)}.img`))];
    case 'outputFile':
      return ['', ' ', '\0', 'x\0y', tmp, ...Array.from({ length: randomCount }, () => path.join(missingDir, `out-${Math.floor(rnd() * 1e9)}`))];
    case 'text':
      return [''];
  }
}

/** main() in-process with stderr captured: its status and what it wrote. */
async function runMain(argv: string[]): Promise<{ status: number; stderr: string }> {
  const write = process.stderr.write;
  let stderr = '';
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  }) as typeof process.stderr.write;
  try {
    const status = await main(argv);
    return { status, stderr };
  } finally {
    process.stderr.write = write;
  }
}

describe('CLI: every option value is checked (status 2, one line)', function () {
  this.timeout(120_000);
  let tmp: string;
  let image: string;

  before(function () {
    this.timeout(300_000);
    ensureCliBuilt();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vmexit-options-'));
    image = assemble('exitcode');
  });

  after(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe('one test per kind of bad value, end to end', () => {
    const cases: [string, string[], RegExp][] = [
      ['a fraction where MiB are whole (--memory 1.0001, the reported crash)', ['--memory', '1.0001'], /^vmexit: --memory must be a whole number of MiB .*not '1\.0001'/],
      ['a size out of range (--memory 4G)', ['--memory', '4G'], /--memory .*not '4G' \(4096 MiB is out of range\)/],
      ['a size with a unit that is not whole MiB (--memory 1500K)', ['--memory', '1500K'], /--memory .*not a whole number of MiB/],
      ['a fraction where a count is meant (--cpus 2.5)', ['--cpus', '2.5'], /--cpus must be a whole number from 1 to 64, not '2\.5'/],
      ['a number out of range (--cpus 65)', ['--cpus', '65'], /--cpus must be a whole number from 1 to 64/],
      ['not a number (--timeout soon)', ['--timeout', 'soon'], /--timeout must be a number of seconds/],
      ['a word outside the enumeration (--boot e)', ['--boot', 'e'], /--boot must be a, c or d, not 'e'/],
      ['a missing file (--fda)', ['--fda', '/no/such/floppy.img'], /--fda must be a readable floppy image file, not '\/no\/such\/floppy\.img' \(it does not exist\)/],
      ['a directory for a file (--hda /tmp)', ['--hda', os.tmpdir()], /--hda .*\(it is a directory\)/],
      ['a device for a ROM (--bios /dev/null)', ['--bios', '/dev/null'], /--bios must be builtin or a readable ROM file.*\(it is not a regular file\)/],
      ['an output file in a missing folder (--serial)', ['--serial', '/no/such/dir/out.txt'], /--serial must be stdio, none or a writable file.*\(its folder does not exist\)/],
      ['a directory as the trace file (--trace /tmp)', ['--trace', os.tmpdir()], /--trace must be a writable file.*\(it is a directory\)/],
      ['a value with a newline stays on one line (--boot "a\\nb")', ['--boot', 'a\nb'], /--boot .*not 'a\\nb'/],
    ];
    for (const [title, args, pattern] of cases) {
      it(title, async () => {
        const r = await runCli(['run', ...args, image]);
        assert.equal(r.status, 2, show(r));
        assertOneLineError(r, pattern);
      });
    }

    it('an unreadable file (mode 000; as root, run without the file-override capabilities)', async () => {
      const locked = path.join(tmp, 'locked.img');
      fs.writeFileSync(locked, new Uint8Array(512));
      fs.chmodSync(locked, 0o000);
      const r = await runCli(['run', '--fda', locked, image], { withoutFileOverride: true });
      assert.equal(r.status, 2, show(r));
      assertOneLineError(r, /--fda .*not readable/);
    });

    it('good values still run: --memory 64M, --memory 1G, --cpus=2, --timeout 0.5', async () => {
      for (const args of [['--memory', '64M'], ['--memory=1G'], ['--memory', '4096K'], ['--cpus=2'], ['--timeout', '30.5']]) {
        const r = await runCli(['run', '--serial', 'none', ...args, image]);
        assert.equal(r.status, 85, `${args.join(' ')}: ${show(r)}`);
      }
    });
  });

  it('every option of RUN_OPTIONS has a kind of hostile value in this test', () => {
    for (const spec of RUN_OPTIONS) {
      if (spec.takesValue) assert.ok(KINDS[spec.name] !== undefined, `${spec.name} has no entry in KINDS: add one`);
    }
  });

  it('hostile and random values at every option: status 2, one line naming the option, no stack trace', async () => {
    const rnd = random(0x5eed_0008);
    let tried = 0;
    for (const spec of RUN_OPTIONS) {
      if (!spec.takesValue) continue;
      const kind = KINDS[spec.name];
      for (const value of badValues(kind, tmp, rnd, 40)) {
        // Both spellings: "--opt value" and "--opt=value".
        for (const argv of [['run', spec.name, value, image], ['run', `${spec.name}=${value}`, image]]) {
          const r = await runMain(argv);
          const shown = JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
          assert.equal(r.status, 2, `${spec.name} ${shown}: status ${r.status}\n${r.stderr}`);
          const lines = r.stderr.split('\n');
          assert.equal(lines.length, 2, `${spec.name} ${shown}: one line on stderr, got:\n${r.stderr}`);
          assert.equal(lines[1], '', `${spec.name} ${shown}: ends with a newline`);
          assert.match(lines[0], new RegExp(`^vmexit: ${spec.name} `), `${spec.name} ${shown}: names the option`);
          assert.ok(lines[0].length < 400, `${spec.name} ${shown}: a short line (${lines[0].length} characters)`);
          assert.doesNotMatch(r.stderr, /^\s+at |Error:/m, 'no stack trace');
          tried++;
        }
      }
      // A flag given a value, and a valued option given none.
    }
    for (const spec of RUN_OPTIONS) {
      const argv = spec.takesValue ? ['run', image, spec.name] : ['run', `${spec.name}=1`, image];
      const r = await runMain(argv);
      assert.equal(r.status, 2, `${argv.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`^vmexit: ${spec.name} (needs a value|takes no value)\n$`));
      tried++;
    }
    assert.ok(tried > 1000, `${tried} values tried`);
  });

  it('launch.json refuses the same values with the same words', () => {
    const cases: [string, string, unknown][] = [
      ['--memory', 'memory', '1.0001'],
      ['--memory', 'memory', '4G'],
      ['--memory', 'memory', '1500K'],
      ['--cpus', 'cpus', '65'],
      ['--boot', 'boot', 'e'],
      ['--serial', 'serial', path.join(tmp, 'no-such-folder', 'x')],
      ['--debugcon', 'debugcon', tmp],
      ['--kernel', 'kernel', tmp],
      ['--initrd', 'initrd', `${image},`],
    ];
    for (const [option, key, value] of cases) {
      let cli = '';
      try {
        RUN_OPTIONS.find((s) => s.name === option)!.apply({} as never, value as string);
      } catch (e) {
        cli = (e as Error).message;
      }
      assert.ok(cli.startsWith(`${option} must be `), `${option}: ${cli}`);
      assert.throws(
        () => parseLaunchArguments({ image, [key]: value }),
        (e: unknown) => {
          assert.ok(e instanceof LaunchError);
          const launchWords = e.message.replace(`'${key}' `, '');
          const cliWords = cli.replace(`${option} `, '');
          // The launch side says "console" where the CLI says "stdio": the rest is the same.
          if (key === 'serial' || key === 'debugcon') assert.equal(launchWords.replace(/^must be .*?, not /, ''), cliWords.replace(/^must be .*?, not /, ''));
          else assert.equal(launchWords, cliWords);
          return true;
        },
      );
    }
    // A launch.json number is a number: 1.5 MiB and 2.5 vCPUs are refused, 64 is fine.
    assert.throws(() => parseLaunchArguments({ image, memory: 1.5 }), /'memory' must be a whole number of MiB/);
    assert.throws(() => parseLaunchArguments({ image, cpus: 2.5 }), /'cpus' must be a whole number from 1 to 64, not 2\.5/);
    assert.equal(parseLaunchArguments({ image, memory: '64M', cpus: 2 }).memoryBytes, 64 * 1024 * 1024);
  });
});
