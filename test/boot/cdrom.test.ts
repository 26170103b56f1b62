// --cdrom with --boot d: a grub-mkrescue ISO (GRUB 2.06 for i386-pc, booted
// through El Torito no-emulation, reading the CD through INT 13h drive E0h)
// starts the Multiboot 2 test kernel; its lines equal QEMU's -cdrom -boot d
// on the same ISO. CDs the BIOS cannot boot say why; bad --cdrom/--boot
// values are one line with status 2.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { hasQemu } from '../guests/harness';
import { describeEvent, runOnPc } from '../guests/pcRun';
import { BOOT_CACHE, assertRefused, buildKernel, cacheFile, grubIso, hasGrubMkrescue, kernelLines, runIsoOnQemu, runMain } from './harness';

const comparable = (lines: string[]): string[] => lines.filter((l) => !l.startsWith('INFO'));

describe('--cdrom: El Torito boot from the built-in BIOS', function () {
  this.timeout(180_000);
  let iso: Uint8Array;
  let isoPath: string;
  before(function () {
    // The test command installs them (scripts/ensure-deps.sh): a missing tool is a failure, not a skip.
    assert.ok(hasGrubMkrescue(), 'grub-mkrescue is not installed (apt-get install grub-pc-bin grub-common xorriso mtools, or run npm test)');
    cacheFile('cd-module.txt', 'module on a CD\n');
    isoPath = grubIso(buildKernel('multiboot2', 'elf'), 'multiboot2', 'from the cd', 'module2', [{ file: 'cd-module.txt', words: 'w1 w2' }]);
    iso = new Uint8Array(fs.readFileSync(isoPath));
  });

  it('GRUB from a grub-mkrescue ISO boots a Multiboot 2 kernel with a module, as on QEMU -cdrom -boot d', async () => {
    const ours = await runOnPc({ cdrom: iso, boot: 'd', budget: 2_000_000_000 });
    assert.equal(ours.status, 1, `vmexit: ${describeEvent(ours.event)}; firmware: ${ours.firmware.join(' / ')}; serial tail:\n${ours.serial.slice(-1500)}`);
    const lines = kernelLines(ours.serial, 'MAGIC');
    assert.ok(lines.includes('MAGIC 36D76289'));
    assert.ok(lines.includes('CMDLINE |from the cd|'), lines.join('\n'));
    assert.ok(lines.includes('INFO STRING |w1 w2|'));
    assert.ok(lines.some((l) => l.startsWith('INFO LOADER GRUB')));
    assert.ok(lines.includes('MODS 00000001'));
    if (!hasQemu()) return;
    const qemu = await runIsoOnQemu(isoPath);
    assert.equal(qemu.status, 1, `QEMU: ${qemu.stderr}`);
    assert.deepEqual(comparable(lines), comparable(kernelLines(qemu.serial, 'MAGIC')));
    console.log(`      GRUB ISO to the kernel's DONE: vmexit ${(ours.ms / 1000).toFixed(1)} s (${(ours.instructions / 1e6).toFixed(0)}M instructions), QEMU ${(qemu.ms / 1000).toFixed(1)} s`);
  });

  it('a CD without an El Torito boot record, or with an emulated floppy, is not booted and the BIOS says why', async () => {
    const noRecord = iso.slice();
    noRecord.fill(0, 17 * 2048, 18 * 2048);
    const r1 = await runOnPc({ cdrom: noRecord, boot: 'd', budget: 50_000_000 });
    assert.equal(r1.event.kind === 'halted' || r1.event.kind === 'idle' || r1.event.kind === 'budget', true, describeEvent(r1.event));
    assert.match(r1.firmware.join('\n'), /no bootable device \(CD-ROM: no El Torito boot record at block 17\)/);

    const catalogLba = new DataView(iso.buffer, iso.byteOffset + 17 * 2048).getUint32(0x47, true);
    const emulated = iso.slice();
    emulated[catalogLba * 2048 + 33] = 2; // media type: 1.44M floppy emulation
    const r2 = await runOnPc({ cdrom: emulated, boot: 'd', budget: 50_000_000 });
    assert.match(r2.firmware.join('\n'), /CD-ROM: the default boot image uses 1\.44M floppy emulation; vmexit boots no-emulation images only/);
  });
});

describe('CLI: --cdrom and --boot d', () => {
  it('refuses a missing CD, a file that is no ISO, and --boot d without a CD, with one line', async () => {
    const text = path.join(BOOT_CACHE, cacheFile('not-an-iso.txt', 'hello\n'));
    assertRefused(await runMain(['--cdrom', path.join(BOOT_CACHE, 'missing.iso')]), /--cdrom must be a readable ISO image file, not .* \(it does not exist\)/);
    assertRefused(await runMain(['--cdrom', text]), /CD-ROM image '.*not-an-iso\.txt' has an unsupported size \(6 bytes\)/);
    assertRefused(await runMain(['--boot', 'd', text]), /--boot d but (there is )?no CD-ROM image/);
    assertRefused(await runMain(['--boot', 'e', text]), /--boot must be a, c or d, not 'e'/);
  });
});
