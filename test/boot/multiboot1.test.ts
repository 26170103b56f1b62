// --kernel with a Multiboot 1 kernel: the test kernel (multiboot1.asm, as
// ELF32 and as an a.out-kludge image) prints what it was handed; vmexit's
// lines must equal QEMU's -kernel on the same files, and the lines that may
// differ between loaders (INFO: memory fields, memory map, loader name,
// selectors) are checked against the Multiboot spec and the BIOS's E820 map.
// Bad input (not a kernel, requirements vmexit lacks, too little memory) is
// refused with one line.

import { strict as assert } from 'node:assert';
import { e820Map } from '../../src/devices/bios/system';
import { KernelImageError, openKernel } from '../../src/devices/loaders/openKernel';
import { comparableLines, hasQemu, serialLines } from '../guests/harness';
import { describeEvent } from '../guests/pcRun';
import { KernelRun, buildKernel, cacheFile, runKernelOnPc, runKernelOnQemu } from './harness';

const MIB = 1024 * 1024;

/** A binary module that crosses a page, so the next one's alignment shows. */
function binaryModule(): Uint8Array {
  const data = new Uint8Array(5000);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + 3) & 0xff;
  return data;
}

function hex(n: number): string {
  return n.toString(16).toUpperCase().padStart(8, '0');
}

async function compareWithQemu(spec: KernelRun, title: string): Promise<string[]> {
  const ours = await runKernelOnPc(spec);
  assert.equal(ours.status, 1, `${title}: vmexit ended with ${describeEvent(ours.event)}; serial:\n${ours.serial}`);
  if (hasQemu()) {
    const qemu = await runKernelOnQemu(spec);
    assert.equal(qemu.status, 1, `${title}: QEMU status ${qemu.status}: ${qemu.stderr}`);
    assert.deepEqual(comparableLines(ours.serial), comparableLines(qemu.serial), `${title}: vmexit and QEMU differ`);
  }
  return serialLines(ours.serial).map((l) => l.replace(/\r/g, ''));
}

describe('--kernel: Multiboot 1', function () {
  this.timeout(120_000);
  let elf: string;
  let aout: string;
  before(() => {
    elf = buildKernel('multiboot1', 'elf');
    aout = buildKernel('multiboot1', 'bin', ['AOUT']);
    cacheFile('mb-text.txt', 'module one: hello world\n');
    cacheFile('mb-binary.bin', binaryModule());
  });

  it('an ELF32 kernel with a command line and two modules: the same as QEMU -kernel', async () => {
    const lines = await compareWithQemu({ kernel: elf, append: 'console=ttyS0  two  spaces', initrd: 'mb-text.txt,mb-binary.bin arg1 arg2' }, 'ELF');
    assert.ok(lines.includes('MAGIC 2BADB002'));
    assert.ok(lines.includes('CPU PE=1 PG=0 IF=0 VM=0'));
    assert.ok(lines.includes('A20 on'));
    assert.ok(lines.includes('FLAGS mem cmdline mods mmap loader'));
    assert.ok(lines.includes(`CMDLINE |${elf} console=ttyS0  two  spaces|`), lines.join('\n'));
    assert.ok(lines.includes('MODS 00000002'));
    const sum = binaryModule().reduce((a, b) => a + b, 0);
    assert.ok(lines.includes('MOD 00000000 aligned after-kernel size=00000018 sum=000008A8 head=module one: hell string=|mb-text.txt|'), lines.join('\n'));
    assert.ok(lines.some((l) => l.startsWith(`MOD 00000001 aligned after-kernel size=00001388 sum=${hex(sum)} head=`) && l.endsWith(' string=|mb-binary.bin arg1 arg2|')), lines.join('\n'));
    assert.ok(lines.includes('BSS nonzero=0'));
    assert.ok(lines.includes('DONE'));
  });

  it('an a.out-kludge image without --append: the path and a space, as QEMU gives', async () => {
    const lines = await compareWithQemu({ kernel: aout, initrd: 'mb-text.txt' }, 'a.out');
    assert.ok(lines.includes(`CMDLINE |${aout} |`), lines.join('\n'));
    assert.ok(lines.includes('MODS 00000001'));
    assert.ok(lines.includes('BSS nonzero=0'));
  });

  it('the memory fields, memory map and loader name follow the spec and the BIOS E820 map', async () => {
    for (const memoryMiB of [32, 100]) {
      const ours = await runKernelOnPc({ kernel: elf, memoryMiB });
      const lines = serialLines(ours.serial).map((l) => l.replace(/\r/g, ''));
      const map = e820Map(memoryMiB * MIB);
      const mmap = lines.filter((l) => l.startsWith('INFO MMAP ')).map((l) => l.slice('INFO MMAP '.length));
      const hex64 = (n: number): string => n.toString(16).toUpperCase().padStart(16, '0');
      assert.deepEqual(mmap, map.map((r) => `${hex64(r.base)} ${hex64(r.length)} ${hex(r.type)}`), `${memoryMiB} MiB`);
      // mem_lower: KiB of conventional memory (up to the EBDA); mem_upper: KiB from 1 MiB to the first hole.
      assert.ok(lines.includes(`INFO MEM ${hex(639)} ${hex(memoryMiB * 1024 - 1024)}`), lines.join('\n'));
      assert.ok(lines.includes('INFO LOADER vmexit'));
      assert.ok(lines.includes('INFO CS DS 00000010 00000018'));
      assert.ok(lines.includes('INFO FLAGS 0000024D'), 'memory, cmdline, mods, mmap, loader name: no boot device (no disk was read)');
    }
  });

  it('a reset loads the kernel again (its data as in the file) and hands over again', async () => {
    // QEMU 7.2 stops after this guest's port 92h reset with -kernel (SeaBIOS prints nothing more), so vmexit alone.
    const ours = await runKernelOnPc({ kernel: buildKernel('mbreset', 'elf') });
    assert.equal(ours.status, 1, `${describeEvent(ours.event)}\n${ours.serial}`);
    const lines = serialLines(ours.serial).map((l) => l.replace(/\r/g, ''));
    assert.deepEqual(lines, ['FIRST BOOT: resetting', 'SECOND BOOT magic=2BADB002 data=12345678', 'DONE']);
  });

  it('refuses what it cannot boot with one line', () => {
    const request = (bytes: Uint8Array, memoryBytes = 32 * MIB) => ({ path: 'k', bytes, append: '', initrd: [], memoryBytes });
    const refuse = (bytes: Uint8Array, pattern: RegExp, memoryBytes?: number): void => {
      assert.throws(() => openKernel(request(bytes, memoryBytes)), (e: unknown) => e instanceof KernelImageError && pattern.test(e.message) && !e.message.includes('\n'));
    };
    refuse(new TextEncoder().encode('just some text, no kernel here\n'.repeat(20)), /not a kernel vmexit can boot: no Multiboot header .*E85250D6h in the first 32 KiB.*no Linux setup header/);
    // A header with a bad checksum is no header.
    const header = (flags: number, size = 64): Uint8Array => {
      const b = new Uint8Array(size);
      const v = new DataView(b.buffer);
      v.setUint32(0, 0x1badb002, true);
      v.setUint32(4, flags, true);
      v.setUint32(8, -(0x1badb002 + flags) >>> 0, true);
      return b;
    };
    const bad = header(0x10000);
    bad[8] ^= 1;
    refuse(bad, /no Multiboot header/);
    refuse(header(0x00000008), /requires features vmexit does not know \(flags bits 8h\)/);
    refuse(header(0x00000000), /not ELF: nothing says where to load it/);
    // a.out kludge: load at 1 MiB, entry at the header; then the same with too little memory.
    const aoutImage = header(0x10000, 0x2000);
    const v = new DataView(aoutImage.buffer);
    [0x100000, 0x100000, 0, 0x180000, 0x100000].forEach((x, i) => v.setUint32(12 + i * 4, x, true));
    assert.equal(openKernel(request(aoutImage)).description, 'Multiboot 1 kernel (a.out kludge)');
    refuse(aoutImage, /the kernel does not fit in the guest's memory .*--memory is 1 MiB, at least 2 MiB needed/, 1 * MIB);
    v.setUint32(16, 0x0f0000, true); // load_addr in the ROM window
    v.setUint32(12, 0x0f0000, true);
    v.setUint32(28, 0x0f0000, true);
    v.setUint32(24, 0, true);
    refuse(aoutImage, /over the video and BIOS area/);
  });
});
