// `vmexit run --kernel` as a user types it (src/cli/main.ts in-process, its
// stdout and stderr captured): a kernel boots with its command line and
// modules, and every bad combination is one line with status 2. The same
// options in launch.json.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openImages, parseLaunchArguments } from '../../src/debugAdapter/launchConfig';
import { BOOT_CACHE, assertRefused, buildKernel, cacheFile, runMain } from './harness';

describe('CLI: --kernel, --append, --initrd', function () {
  this.timeout(60_000);
  let kernel: string;
  let module: string;
  before(() => {
    kernel = path.join(BOOT_CACHE, buildKernel('multiboot1', 'elf'));
    module = path.join(BOOT_CACHE, cacheFile('cli-module.txt', 'a module\n'));
  });

  it('boots a Multiboot kernel with its command line and a module; status from isa-debug-exit', async () => {
    const r = await runMain(['--kernel', kernel, '--append', 'quiet  x=1', '--initrd', `${module} word`]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /MAGIC 2BADB002/);
    assert.ok(r.stdout.includes(`CMDLINE |${kernel} quiet  x=1|`), r.stdout);
    assert.ok(r.stdout.includes(`head=a module. string=|${module} word|`), r.stdout);
  });

  it('refuses bad input with one line and status 2', async () => {
    const text = cacheFile('not-a-kernel.txt', 'hello\n'.repeat(100));
    assertRefused(await runMain(['--kernel', path.join(BOOT_CACHE, text)]), /not a kernel vmexit can boot: no Multiboot header \(1BADB002h in the first 8 KiB, E85250D6h in the first 32 KiB\) and no Linux setup header/);
    assertRefused(await runMain(['--append', 'x', module]), /--append needs --kernel/);
    assertRefused(await runMain(['--initrd', module, module]), /--initrd needs --kernel/);
    assertRefused(await runMain(['--kernel', kernel, '--initrd', path.join(BOOT_CACHE, 'missing.bin')]), /--initrd must be readable files, comma-separated, not '.*missing\.bin' \('.*missing\.bin': it does not exist\)/);
    assertRefused(await runMain(['--kernel', kernel, '--initrd', `${module},`]), /--initrd .*\(an entry is empty\)/);
    assertRefused(await runMain(['--kernel', path.join(BOOT_CACHE, 'missing.elf')]), /--kernel must be a readable kernel file, not .* \(it does not exist\)/);
    assertRefused(await runMain(['--kernel', kernel, '--memory', '1']), /does not fit in the guest's memory/);
    const rom = cacheFile('rom.bin', new Uint8Array(65536));
    assertRefused(await runMain(['--kernel', kernel, '--bios', path.join(BOOT_CACHE, rom)]), /--kernel needs the built-in BIOS/);
    assert.ok(fs.existsSync(kernel), 'the user\'s files stay');
  });
});

describe('launch.json: kernel, append, initrd', () => {
  it('opens the kernel and its modules relative to cwd, and names the arguments in its messages', () => {
    const kernel = buildKernel('multiboot1', 'elf');
    const module = cacheFile('launch-module.txt', 'x');
    const spec = parseLaunchArguments({ kernel, append: 'a=1', initrd: `${module} w`, cwd: BOOT_CACHE });
    assert.equal(spec.kernel, kernel);
    const images = openImages(spec);
    assert.equal(images.kernel?.description, 'Multiboot 1 kernel (ELF32)');
    assert.throws(() => parseLaunchArguments({ image: 'x.img', append: 'a' }), /'append' needs 'kernel'/);
    assert.throws(() => parseLaunchArguments({ kernel: 3 }), /'kernel' must be a readable kernel file, not 3/);
    assert.throws(() => parseLaunchArguments({ kernel: 'missing.elf', cwd: BOOT_CACHE }), /'kernel' must be a readable kernel file, not 'missing.elf' \(it does not exist\)/);
  });
});

describe('launch.json: an ELF kernel brings its own symbols', () => {
  it('symbols default to the kernel when it is ELF; a flat kernel has none; given symbols win', () => {
    const elf = buildKernel('multiboot1', 'elf');
    assert.deepEqual(parseLaunchArguments({ kernel: elf, cwd: BOOT_CACHE }).symbols, [{ path: path.join(BOOT_CACHE, elf) }]);
    const flat = buildKernel('multiboot1', 'bin', ['AOUT']);
    assert.deepEqual(parseLaunchArguments({ kernel: flat, cwd: BOOT_CACHE }).symbols, []);
    assert.deepEqual(parseLaunchArguments({ kernel: elf, cwd: BOOT_CACHE, symbols: [] }).symbols, []);
  });
});
