// A positional image is classified by its content before its size: an ISO
// 9660 volume goes in the CD-ROM drive, a disk with an MBR partition table is
// the first hard disk even when it is small, and the user is told in one
// line; floppies and raw boot sectors stay as they were.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { hasPartitionTable, isIso9660 } from '../../src/devices/imageKind';
import { ImageLabels, openImages } from '../../src/vmm/hostImages';
import { BOOT_CACHE, cacheFile } from './harness';

const LABELS: ImageLabels = {
  image: 'image', fda: 'fda', hda: 'hda', twoFloppies: 'two floppies', twoHardDisks: 'two hard disks', bootAWithoutFloppy: 'no floppy',
  bootCWithoutHardDisk: 'no hard disk', bootDWithoutCdrom: 'no cd', twoCdroms: 'two cds', cdrom: 'cdrom', kernel: 'kernel', append: 'append', initrd: 'initrd',
};

function open(name: string, bytes: Uint8Array, extra: { cdrom?: string } = {}) {
  const file = path.join(BOOT_CACHE, cacheFile(name, bytes));
  return openImages({ image: file, fda: null, hda: null, boot: null, bios: 'builtin', kernel: null, append: null, initrd: null, memoryBytes: 32 << 20, ...extra }, LABELS);
}

/** An MBR with one FAT16 partition from LBA `start` over `count` sectors. */
function partitioned(bytes: number, start = 63, count = 900): Uint8Array {
  const image = new Uint8Array(bytes);
  const v = new DataView(image.buffer);
  image[0x1be] = 0x80;
  image[0x1be + 4] = 0x06;
  v.setUint32(0x1be + 8, start, true);
  v.setUint32(0x1be + 12, count, true);
  image[510] = 0x55;
  image[511] = 0xaa;
  return image;
}

describe('positional images by content', () => {
  it('a 504 KiB disk with a partition table is the first hard disk, and says so', () => {
    const opened = open('small-partitioned.img', partitioned(504 * 1024));
    assert.ok(opened.hardDisk && !opened.floppy);
    assert.equal(opened.boot, 'c');
    assert.equal(opened.notes.length, 1);
    assert.match(opened.notes[0], /has an MBR partition table: it is the first hard disk \(boot c\), not a floppy/);
  });

  it('an ISO 9660 volume goes in the CD-ROM drive (boot d); with --cdrom as well it is refused', () => {
    const iso = new Uint8Array(40 * 2048);
    iso.set([0x01, 0x43, 0x44, 0x30, 0x30, 0x31, 0x01], 16 * 2048);
    assert.ok(isIso9660(iso));
    const opened = open('volume.iso', iso);
    assert.ok(opened.cdrom && !opened.floppy && !opened.hardDisk);
    assert.equal(opened.boot, 'd');
    assert.match(opened.notes[0], /is an ISO 9660 volume: it goes in the CD-ROM drive/);
    assert.throws(() => open('volume.iso', iso, { cdrom: path.join(BOOT_CACHE, 'volume.iso') }), /two cds/);
  });

  it('raw boot sectors and floppies stay floppies; boot code at 1BEh is no partition table', () => {
    const boot = new Uint8Array(512);
    boot.fill(0x90, 0, 510); // code all the way through the partition table's place
    boot[510] = 0x55;
    boot[511] = 0xaa;
    assert.equal(hasPartitionTable(boot), false);
    const raw = open('raw-boot.bin', boot);
    assert.ok(raw.floppy && raw.boot === 'a' && raw.notes.length === 0);
    const empty = new Uint8Array(512);
    empty[510] = 0x55;
    empty[511] = 0xaa;
    assert.equal(hasPartitionTable(empty), false, 'no partition at all');
    assert.equal(hasPartitionTable(partitioned(504 * 1024, 5000)), false, 'a partition starting past the end');
    const floppy = open('floppy-size.img', partitioned(1474560));
    assert.ok(floppy.floppy, 'a standard floppy size stays a floppy');
    assert.ok(fs.existsSync(path.join(BOOT_CACHE, 'raw-boot.bin')));
  });
});
