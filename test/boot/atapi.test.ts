// The ATAPI CD-ROM on the secondary IDE channel (--cdrom): the atapi guest
// (test/guests/atapi.asm, booted from a floppy) drives it by polling —
// signature, IDENTIFY (PACKET) DEVICE, READ(10) of the volume descriptor,
// READ CAPACITY, INQUIRY, check conditions and REQUEST SENSE, the absent
// slave — and its lines must equal QEMU's with the same ISO in -cdrom.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { assemble, cacheImage, comparableLines, floppyImage, hasQemu, qemuArgs, spawnQemu } from '../guests/harness';
import { describeEvent, runOnPc } from '../guests/pcRun';
import { dataIso } from './harness';

describe('--cdrom: the ATAPI drive on the secondary IDE channel', function () {
  this.timeout(120_000);

  it('answers the atapi guest as QEMU does', async function () {
    const iso = dataIso('VMEXIT_ATAPI_TEST');
    // The test command installs xorriso (scripts/ensure-deps.sh): a missing tool is a failure, not a skip.
    assert.ok(iso, 'xorriso is not installed (apt-get install xorriso, or run npm test)');
    const floppy = floppyImage(new Uint8Array(fs.readFileSync(assemble('atapi'))));
    const ours = await runOnPc({ floppy, cdrom: new Uint8Array(fs.readFileSync(iso)), boot: 'a', budget: 50_000_000 });
    assert.equal(ours.status, 1, `${describeEvent(ours.event)}\n${ours.serial}`);
    const lines = comparableLines(ours.serial);
    assert.ok(!lines.some((l) => l.startsWith('FAIL')), ours.serial);
    assert.ok(lines.includes('VOLUME VMEXIT_ATAPI_TEST               '), lines.join('\n'));
    assert.ok(lines.includes(`CAPACITY ${(fs.statSync(iso).size / 2048 - 1).toString(16).toUpperCase().padStart(8, '0')} 00000800`));
    if (!hasQemu()) return;
    const image = cacheImage('atapi-floppy', floppy);
    const qemu = await spawnQemu(qemuArgs(['-drive', `file=${image},format=raw,if=floppy,snapshot=on`, '-boot', 'a', '-cdrom', iso]));
    assert.equal(qemu.status, 1, qemu.serial);
    assert.deepEqual(lines, comparableLines(qemu.serial));
  });
});
