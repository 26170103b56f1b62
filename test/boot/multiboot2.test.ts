// --kernel with a Multiboot 2 kernel (ELF32 and ELF64): QEMU's -kernel has no
// Multiboot 2, so the reference is GRUB's multiboot2/module2 commands booting
// the same kernel and modules from a grub-mkrescue ISO in QEMU. The kernel
// (multiboot2.asm) prints what it is handed; the lines both loaders must
// agree on are compared, the rest (INFO: memory, memory map entries, loader
// name, the tags only GRUB gives) is checked against the spec and the BIOS's
// E820 map. Requirements vmexit cannot meet refuse the kernel.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { e820Map } from '../../src/devices/bios/system';
import { KernelImageError, openKernel } from '../../src/devices/loaders/openKernel';
import { hasQemu } from '../guests/harness';
import { describeEvent } from '../guests/pcRun';
import { BOOT_CACHE, buildKernel, cacheFile, grubIso, hasGrubMkrescue, kernelLines, runIsoOnQemu, runKernelOnPc } from './harness';

const MIB = 1024 * 1024;

function hex(n: number, digits = 8): string {
  return n.toString(16).toUpperCase().padStart(digits, '0');
}

const comparable = (lines: string[]): string[] => lines.filter((l) => !l.startsWith('INFO'));

describe('--kernel: Multiboot 2', function () {
  this.timeout(180_000);
  const modules = [
    { file: 'mb2-text.txt', words: '' },
    { file: 'mb2-binary.bin', words: 'a b' },
  ];
  const initrd = 'mb2-text.txt,mb2-binary.bin a b';
  before(() => {
    cacheFile('mb2-text.txt', 'module one: hello world\n');
    cacheFile('mb2-binary.bin', new Uint8Array(5000).map((_, i) => (i * 7 + 3) & 0xff));
  });

  for (const format of ['elf', 'elf64'] as const) {
    it(`an ${format === 'elf' ? 'ELF32' : 'ELF64'} kernel with a command line and two modules: the same as GRUB's multiboot2`, async function () {
      const kernel = buildKernel('multiboot2', format);
      const ours = await runKernelOnPc({ kernel, append: 'hello world', initrd });
      assert.equal(ours.status, 1, `vmexit ended with ${describeEvent(ours.event)}; serial:\n${ours.serial}`);
      const lines = kernelLines(ours.serial, 'MAGIC');
      assert.ok(lines.includes('MAGIC 36D76289'));
      assert.ok(lines.includes('CPU PE=1 PG=0 IF=0 VM=0'));
      assert.ok(lines.includes('A20 on'));
      assert.ok(lines.includes('CMDLINE |hello world|'), lines.join('\n'));
      assert.ok(lines.includes('MOD 00000000 aligned after-kernel size=00000018 sum=000008A8 head=module one: hell'), lines.join('\n'));
      assert.ok(lines.includes('INFO STRING ||') && lines.includes('INFO STRING |a b|'), 'module strings: the words after the file name');
      assert.ok(lines.includes('MMAP 00000018 00000000'), 'memory map entries of 24 bytes, version 0');
      assert.ok(lines.includes('MODS 00000002'));
      assert.ok(!lines.some((l) => l.includes('unaligned')), 'the information and every tag 8-byte aligned');
      // What only the spec can check: the memory fields and map are the BIOS's E820 map.
      const mmap = lines.filter((l) => l.startsWith('INFO MMAP ')).map((l) => l.slice('INFO MMAP '.length));
      assert.deepEqual(mmap, e820Map(32 * MIB).map((r) => `${hex(r.base, 16)} ${hex(r.length, 16)} ${hex(r.type)}`));
      assert.ok(lines.includes(`INFO MEM ${hex(639)} ${hex(31 * 1024)}`));
      assert.ok(lines.includes('INFO LOADER vmexit'));

      // The test command installs QEMU and GRUB's tools (scripts/ensure-deps.sh): missing ones are a failure, not a skip.
      assert.ok(hasQemu() && hasGrubMkrescue(), 'qemu-system-i386 or grub-mkrescue is not installed (run npm test, which installs them)');
      const iso = grubIso(kernel, 'multiboot2', 'hello world', 'module2', modules);
      const grub = await runIsoOnQemu(iso);
      assert.equal(grub.status, 1, `GRUB in QEMU: status ${grub.status}\n${grub.stderr}\n${grub.serial.slice(-2000)}`);
      assert.deepEqual(comparable(lines), comparable(kernelLines(grub.serial, 'MAGIC')), 'vmexit and GRUB differ');
    });
  }

  it('a framebuffer request with no preference gets the VGA text screen (EGA text, tag 8)', async () => {
    const kernel = buildKernel('multiboot2', 'elf', ['FRAMEBUFFER=0,0,0']);
    const ours = await runKernelOnPc({ kernel });
    assert.equal(ours.status, 1, describeEvent(ours.event));
    assert.ok(kernelLines(ours.serial, 'MAGIC').includes('INFO TAG 00000008'));
  });

  it('refuses what it cannot give, naming it; optional tags are ignored', () => {
    const open = (kernel: string) => () =>
      openKernel({ path: kernel, bytes: new Uint8Array(fs.readFileSync(path.join(BOOT_CACHE, kernel))), append: '', initrd: [], memoryBytes: 32 * MIB });
    const refused = (pattern: RegExp) => (e: unknown) => e instanceof KernelImageError && pattern.test(e.message);
    assert.throws(open(buildKernel('multiboot2', 'elf', ['NEED_ACPI'])), refused(/requires boot information ACPI 1\.0 RSDP \(tag 14\), which vmexit cannot give/));
    assert.throws(open(buildKernel('multiboot2', 'elf', ['FRAMEBUFFER=1024,768,32'])), refused(/requires a 1024x768x32 graphics framebuffer/));
    // The default kernel asks for the RSDP too, but optionally: it boots.
    assert.equal(open(buildKernel('multiboot2', 'elf64'))().description, 'Multiboot 2 kernel (ELF64)');
  });
});
