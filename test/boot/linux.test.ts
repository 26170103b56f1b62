// --kernel with a Linux bzImage through the boot protocol's 32-bit entry.
// linuxstub.asm is a setup header and a 32-bit part that prints what the
// entry hands it (checked against Documentation/arch/x86/boot.rst: ESI = the
// zero page, the loader's fields, the command line, the initrd under
// initrd_addr_max, the E820 map); memtest86+ (Debian's memtest86+ package,
// a real bzImage) runs to its first test on vmexit and on QEMU's -kernel.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { e820Map } from '../../src/devices/bios/system';
import { KernelImageError, openKernel } from '../../src/devices/loaders/openKernel';
import { hasQemu, serialLines } from '../guests/harness';
import { describeEvent } from '../guests/pcRun';
import { BOOT_CACHE, buildKernel, cacheFile, runKernelOnPc, runKernelOnQemu } from './harness';

const MIB = 1024 * 1024;
const MEMTEST = '/boot/memtest86+ia32.bin';
/** memtest86+'s first test, on its screen (which console=ttyS0 copies to COM1). */
const MEMTEST_MARKER = 'Address test, walking ones';

function hex(n: number, digits = 8): string {
  return n.toString(16).toUpperCase().padStart(digits, '0');
}

describe('--kernel: Linux boot protocol (bzImage, 32-bit entry)', function () {
  this.timeout(180_000);
  let stub: string;
  before(() => {
    stub = buildKernel('linuxstub', 'bin');
    cacheFile('linux-initrd.txt', 'initrd contents here\n');
  });

  for (const memoryMiB of [32, 64]) {
    it(`hands the zero page over as boot.rst says (${memoryMiB} MiB)`, async () => {
      const r = await runKernelOnPc({ kernel: stub, append: 'console=ttyS0 root=/dev/ram0', initrd: 'linux-initrd.txt', memoryMiB });
      assert.equal(r.status, 1, `${describeEvent(r.event)}\n${r.serial}`);
      const lines = serialLines(r.serial).map((l) => l.replace(/\r/g, ''));
      assert.ok(lines.includes('CPU PE=1 PG=0 IF=0 VM=0'));
      assert.ok(lines.includes('A20 on'));
      assert.ok(lines.includes('ESI EBX|EBP|EDI CS DS 00010000 00000000 00000010 00000018'), 'ESI = zero page; EBX, EBP, EDI zero; __BOOT_CS, __BOOT_DS');
      assert.ok(lines.includes('LOADER TYPE FLAGS HEAP VERSION 000000FF 00000081 0000FE00 0000020F'), 'undefined loader, CAN_USE_HEAP, heap_end_ptr, the header copied');
      assert.ok(lines.includes('CMDLINE |console=ttyS0 root=/dev/ram0|'));
      assert.ok(lines.some((l) => l.startsWith('INITRD size=00000015 below-initrd_addr_max page-aligned sum=') && l.endsWith('head=initrd contents ')), lines.join('\n'));
      assert.ok(lines.includes(`ALT_MEM_K ${hex(memoryMiB * 1024 - 1024)}`));
      const e820 = lines.filter((l) => l.startsWith('E820 ')).map((l) => l.slice(5));
      assert.deepEqual(e820, e820Map(memoryMiB * MIB).map((m) => `${hex(m.base, 16)} ${hex(m.length, 16)} ${hex(m.type)}`));
    });
  }

  it('refuses what it cannot boot with one line', () => {
    const bytes = new Uint8Array(fs.readFileSync(path.join(BOOT_CACHE, stub)));
    const open = (file: Uint8Array, extra: Partial<{ initrd: { string: string; path: string; bytes: Uint8Array }[]; memoryBytes: number; append: string }> = {}) => () =>
      openKernel({ path: 'bz', bytes: file, append: extra.append ?? '', initrd: extra.initrd ?? [], memoryBytes: extra.memoryBytes ?? 32 * MIB });
    const refused = (pattern: RegExp) => (e: unknown) => e instanceof KernelImageError && pattern.test(e.message) && !e.message.includes('\n');
    assert.equal(open(bytes)().description, 'Linux kernel (bzImage, boot protocol 2.15)');
    const old = bytes.slice();
    old[0x206] = 0x01;
    assert.throws(open(old), refused(/boot protocol 2\.01; vmexit needs 2\.02 or later/));
    const zimage = bytes.slice();
    zimage[0x211] = 0;
    assert.throws(open(zimage), refused(/a zImage .* bzImages only/));
    const rd = (n: number) => ({ string: 'rd', path: 'rd', bytes: new Uint8Array(n) });
    assert.throws(open(bytes, { initrd: [rd(10), rd(10)] }), refused(/takes one initrd, not 2/));
    assert.throws(open(bytes, { initrd: [rd(40 * MIB)], memoryBytes: 64 * MIB }), refused(/the initrd 'rd' .* does not fit between the kernel and the kernel's limit 1ffffffh/));
    assert.throws(open(bytes, { append: 'x'.repeat(256) }), refused(/the command line is 256 bytes; this kernel takes at most 255/));
  });

  it('memtest86+ (ia32) reaches its first test, as on QEMU -kernel', async function () {
    // The test command installs memtest86+ (scripts/ensure-deps.sh): a missing package is a failure, not a skip.
    assert.ok(fs.existsSync(MEMTEST), `${MEMTEST} is missing (apt-get install memtest86+, or run npm test)`);
    const spec = { kernel: MEMTEST, append: 'console=ttyS0,115200' };
    const started = Date.now();
    const ours = await runKernelOnPc(spec, 2_000_000_000, MEMTEST_MARKER);
    const seconds = (Date.now() - started) / 1000;
    assert.ok(ours.serial.includes(MEMTEST_MARKER), `vmexit: ${describeEvent(ours.event)} after ${ours.instructions} instructions; serial tail:\n${ours.serial.slice(-800)}`);
    assert.match(ours.serial, /Memtest86\+ v6/);
    if (!hasQemu()) return;
    const qemu = await runKernelOnQemu(spec, MEMTEST_MARKER);
    assert.ok(qemu.serial.includes(MEMTEST_MARKER), `QEMU: ${qemu.serial.slice(-800)}`);
    console.log(`      memtest86+ to "${MEMTEST_MARKER}": vmexit ${seconds.toFixed(1)} s (${(ours.instructions / 1e6).toFixed(0)}M instructions), QEMU ${(qemu.ms / 1000).toFixed(1)} s`);
  });
});
