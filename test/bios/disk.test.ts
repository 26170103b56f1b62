// INT 13h on the PC board (floppy and hard disk), and DiskImage itself.

import { strict as assert } from 'node:assert';
import { DiskImage, DiskImageError } from '../../src/devices/disk';
import { runGuest } from './harness';

const CF = 0x01;

describe('DiskImage', () => {
  it('knows the standard floppy sizes and their geometry, and rejects others clearly', () => {
    const f = DiskImage.floppy(new Uint8Array(737280), 'a.img');
    assert.deepEqual(f.geometry, { cylinders: 80, heads: 2, sectorsPerTrack: 9 });
    assert.equal(f.format?.driveType, 3);
    assert.equal(DiskImage.floppy(new Uint8Array(2949120), 'b.img').geometry.sectorsPerTrack, 36);
    assert.equal(DiskImage.floppy(new Uint8Array(163840), 'c.img').geometry.heads, 1);
    assert.throws(
      () => DiskImage.floppy(new Uint8Array(1000000), 'odd.img'),
      (e: unknown) => e instanceof DiskImageError && /'odd\.img'.*1000000 bytes.*1\.44M/.test(e.message),
    );
  });

  it('gives hard disks 16 heads x 63 sectors; CHS reaches whole cylinders only, at most 1024', () => {
    const d = DiskImage.hard(new Uint8Array(10000 * 512), 'hd.img');
    assert.deepEqual(d.geometry, { cylinders: 10, heads: 16, sectorsPerTrack: 63 });
    assert.equal(d.chsCylinders, 9);
    assert.equal(d.chsToLba(0, 0, 1), 0);
    assert.equal(d.chsToLba(1, 2, 3), (1 * 16 + 2) * 63 + 2);
    assert.equal(d.chsToLba(0, 16, 1), -1);
    assert.equal(d.chsToLba(0, 0, 64), -1);
    assert.throws(() => DiskImage.hard(new Uint8Array(1000), 'bad.img'), /not a whole number of 512-byte sectors/);
  });

  it('pads a raw boot sector to a 1.44M floppy without touching the caller\'s bytes', () => {
    const sector = new Uint8Array(512).fill(7);
    const d = DiskImage.paddedFloppy(sector, 'boot.bin');
    assert.equal(d.sectorCount, 2880);
    assert.equal(d.readSectors(0, 1)?.[0], 7);
    assert.equal(d.readSectors(1, 1)?.[0], 0);
    assert.equal(sector.length, 512);
  });

  it('keeps writes in a copy-on-write overlay and lists them for --persist', () => {
    const bytes = new Uint8Array(2016 * 512).fill(0x11);
    const d = DiskImage.hard(bytes, 'hd.img');
    assert.equal(d.writeSectors(5, new Uint8Array(1024).fill(0x22)), true);
    assert.equal(bytes[5 * 512], 0x11, 'the image bytes are unchanged');
    assert.equal(d.readSectors(4, 3)?.[512], 0x22);
    assert.equal(d.readSectors(4, 3)?.[0], 0x11);
    assert.deepEqual(d.dirtySectors().map((s) => s.lba), [5, 6]);
    assert.equal(d.readSectors(2015, 2), null, 'past the end');
    assert.equal(d.writeSectors(2016, new Uint8Array(512)), false);
    d.discardWrites();
    assert.deepEqual(d.dirtySectors(), []);
  });
});

describe('BIOS INT 13h: floppy', () => {
  const r = runGuest(
    `
        ; AH=08h drive parameters
        mov     ah, 0x08
        xor     dl, dl
        int     0x13
        pushf
        pop     word [R + 0]
        mov     [R + 2], bx
        mov     [R + 4], cx
        mov     [R + 6], dx
        mov     [R + 8], di
        mov     [R + 10], es
        xor     ax, ax
        mov     es, ax
        ; AH=15h drive type
        mov     ah, 0x15
        xor     dl, dl
        int     0x13
        mov     [R + 12], ah
        ; a read from drive B: (absent)
        mov     ax, 0x0201
        mov     cx, 0x0001
        mov     dx, 0x0001
        mov     bx, 0x1000
        int     0x13
        pushf
        pop     word [R + 14]
        mov     [R + 16], ax
        ; AH=01h: the status of that operation
        mov     ah, 0x01
        mov     dl, 0x01
        int     0x13
        mov     [R + 18], ax
        ; sector 0 does not exist
        mov     ax, 0x0201
        mov     cx, 0x0000
        xor     dx, dx
        mov     bx, 0x1000
        int     0x13
        pushf
        pop     word [R + 20]
        mov     [R + 22], ax
        ; sector 10 on a 9-sector track does not exist
        mov     ax, 0x0201
        mov     cx, 0x000a
        xor     dx, dx
        int     0x13
        mov     [R + 56], ax
        ; write cylinder 1 head 1 sector 5 from a buffer of A5h
        mov     di, 0x2000
        mov     cx, 256
        mov     ax, 0xa5a5
        rep     stosw
        mov     ax, 0x0301
        mov     cx, 0x0105
        mov     dx, 0x0100
        mov     bx, 0x2000
        int     0x13
        pushf
        pop     word [R + 24]
        mov     [R + 26], ax
        ; read it back
        mov     ax, 0x0201
        mov     cx, 0x0105
        mov     dx, 0x0100
        mov     bx, 0x3000
        int     0x13
        mov     si, 0x2000
        mov     di, 0x3000
        mov     cx, 256
        repe    cmpsw
        sete    [R + 28]
        ; verify
        mov     ax, 0x0401
        mov     cx, 0x0105
        mov     dx, 0x0100
        int     0x13
        mov     [R + 30], ax
        ; a multi-sector read across heads: cylinder 0 head 0 sectors 9.., 3 sectors
        mov     ax, 0x0203
        mov     cx, 0x0009
        xor     dx, dx
        mov     bx, 0x4000
        int     0x13
        mov     [R + 32], ax
        mov     ax, [0x4000 + 512]      ; LBA 9 = cylinder 0 head 1 sector 1
        mov     [R + 34], ax
        ; the extensions are for hard disks
        mov     ah, 0x41
        mov     bx, 0x55aa
        xor     dl, dl
        int     0x13
        pushf
        pop     word [R + 36]
        ; AH=00h reset
        xor     ax, ax
        xor     dl, dl
        int     0x13
        pushf
        pop     word [R + 38]
        mov     [R + 40], ax
        jmp     done
  `,
    { floppyBytes: 737280, extra: [[9, new Uint8Array(512).fill(0x39)]] },
  );

  it('runs to the end', () => {
    assert.equal(r.event.kind, 'exit', JSON.stringify(r.event));
  });

  it('AH=08h: 720K geometry, drive type 3, one drive, ES:DI = the diskette parameter table', () => {
    assert.equal(r.r16(0) & CF, 0);
    assert.equal(r.r16(2) & 0xff, 3);
    assert.equal(r.r16(4), 0x4f09, 'CH = 79, CL = 9 sectors');
    assert.equal(r.r16(6), 0x0101, 'DH = 1 (two heads), DL = 1 drive');
    assert.equal(r.r16(8), 0xefc7);
    assert.equal(r.r16(10), 0xf000);
  });

  it('AH=15h: a floppy drive with change-line support', () => {
    assert.equal(r.r8(12), 0x02);
  });

  it('a missing drive times out (AH=80h, CF), and AH=01h reports it', () => {
    assert.equal(r.r16(14) & CF, CF);
    assert.equal(r.r16(16), 0x8000);
    assert.equal(r.r16(18) >> 8, 0x80);
  });

  it('sector 0 and sectors past the track: sector not found (AH=04h)', () => {
    assert.equal(r.r16(20) & CF, CF);
    assert.equal(r.r16(22) >> 8, 0x04);
    assert.equal(r.r16(56) >> 8, 0x04);
  });

  it('AH=03h writes into the overlay (the image is untouched), AH=02h reads it back, AH=04h verifies', () => {
    assert.equal(r.r16(24) & CF, 0);
    assert.equal(r.r16(26), 0x0001);
    assert.equal(r.r8(28), 1, 'read back equals what was written');
    assert.equal(r.r16(30), 0x0001);
    const lba = (1 * 2 + 1) * 9 + 4;
    const dirty = r.floppy?.dirtySectors() ?? [];
    assert.deepEqual(dirty.map((s) => s.lba), [lba]);
    assert.ok(dirty[0].data.every((b) => b === 0xa5));
  });

  it('a multi-sector read continues onto the next head', () => {
    assert.equal(r.r16(32), 0x0003);
    assert.equal(r.r16(34), 0x3939);
  });

  it('AH=41h is refused for floppies; AH=00h resets', () => {
    assert.equal(r.r16(36) & CF, CF);
    assert.equal(r.r16(38) & CF, 0);
    assert.equal(r.r16(40) >> 8, 0);
  });
});

describe('BIOS INT 13h: hard disk', () => {
  const SECTORS = 10000;
  const last = new Uint8Array(512).fill(0x99);
  const r = runGuest(
    `
        mov     ah, 0x08
        mov     dl, 0x80
        int     0x13
        pushf
        pop     word [R + 0]
        mov     [R + 2], cx
        mov     [R + 4], dx
        xor     ax, ax
        mov     es, ax
        ; AH=41h
        mov     ah, 0x41
        mov     bx, 0x55aa
        mov     dl, 0x80
        int     0x13
        pushf
        pop     word [R + 6]
        mov     [R + 8], bx
        mov     [R + 10], cx
        mov     [R + 12], ax
        ; AH=48h with a 1Eh-byte buffer at 0000:3000
        mov     word [0x3000], 0x1e
        mov     ah, 0x48
        mov     dl, 0x80
        mov     si, 0x3000
        int     0x13
        pushf
        pop     word [R + 14]
        ; AH=42h: the last sector to 0000:4000
        mov     si, dap
        mov     word [dap + 2], 1
        mov     word [dap + 4], 0x4000
        mov     dword [dap + 8], ${SECTORS - 1}
        mov     ah, 0x42
        mov     dl, 0x80
        int     0x13
        pushf
        pop     word [R + 16]
        mov     ax, [0x4000]
        mov     [R + 18], ax
        ; AH=43h: two sectors of 5Ah at LBA 5000, then AH=42h reads them back at 0000:6000
        mov     di, 0x5000
        mov     cx, 512
        mov     ax, 0x5a5a
        rep     stosw
        mov     word [dap + 2], 2
        mov     word [dap + 4], 0x5000
        mov     dword [dap + 8], 5000
        mov     ax, 0x4300
        mov     dl, 0x80
        mov     si, dap
        int     0x13
        pushf
        pop     word [R + 20]
        mov     word [dap + 4], 0x6000
        mov     ah, 0x42
        mov     dl, 0x80
        int     0x13
        mov     si, 0x5000
        mov     di, 0x6000
        mov     cx, 512
        repe    cmpsw
        sete    [R + 22]
        ; past the end: CF, AH=04h, count 0 in the packet
        mov     word [dap + 2], 1
        mov     dword [dap + 8], ${SECTORS}
        mov     ah, 0x42
        mov     dl, 0x80
        mov     si, dap
        int     0x13
        pushf
        pop     word [R + 24]
        mov     [R + 26], ax
        mov     ax, [dap + 2]
        mov     [R + 28], ax
        ; AH=15h
        mov     ah, 0x15
        mov     dl, 0x80
        int     0x13
        mov     [R + 30], ah
        mov     [R + 32], cx
        mov     [R + 34], dx
        ; a second hard disk does not exist
        mov     ah, 0x08
        mov     dl, 0x81
        int     0x13
        pushf
        pop     word [R + 36]
        mov     [R + 38], ax
        xor     ax, ax
        mov     es, ax
        ; CHS read of the last cylinder AH=08h reports
        mov     ax, 0x0201
        mov     cx, [R + 2]
        mov     dh, 15
        mov     dl, 0x80
        mov     bx, 0x7000
        int     0x13
        pushf
        pop     word [R + 40]
        jmp     done
        align   4
dap:    db      0x10, 0
        dw      0, 0, 0
        dq      0
  `,
    { hardDiskSectors: SECTORS, extra: [[SECTORS - 1, last]] },
  );

  const ram = r.machine.vm.memory.ram;
  const view = new DataView(ram.buffer, ram.byteOffset + 0x3000, 0x1e);

  it('runs to the end', () => {
    assert.equal(r.event.kind, 'exit', JSON.stringify(r.event));
  });

  it('AH=08h: 16 heads, 63 sectors, the whole cylinders of the image, one disk', () => {
    assert.equal(r.r16(0) & CF, 0);
    const cx = r.r16(2);
    assert.equal(cx & 0x3f, 63);
    assert.equal((cx >> 8) | ((cx & 0xc0) << 2), 8, 'last cylinder 8 (9 whole cylinders of 1008 sectors)');
    assert.equal(r.r16(4), 0x0f01, 'DH = 15, DL = 1 hard disk');
  });

  it('AH=41h: EDD 3.0 with fixed-disk access', () => {
    assert.equal(r.r16(6) & CF, 0);
    assert.equal(r.r16(8), 0xaa55);
    assert.equal(r.r16(10) & 1, 1);
    assert.equal(r.r16(12) >> 8, 0x30);
  });

  it('AH=48h: the same geometry as AH=08h, the size, 512-byte sectors, no DPTE', () => {
    assert.equal(r.r16(14) & CF, 0);
    assert.equal(view.getUint16(0, true), 0x1e);
    assert.equal(view.getUint16(2, true) & 2, 2, 'CHS information valid');
    assert.equal(view.getUint32(4, true), 10);
    assert.equal(view.getUint32(8, true), 16);
    assert.equal(view.getUint32(12, true), 63);
    assert.equal(view.getUint32(16, true), SECTORS);
    assert.equal(view.getUint32(20, true), 0);
    assert.equal(view.getUint16(24, true), 512);
    assert.equal(view.getUint32(26, true), 0xffffffff);
  });

  it('AH=42h reads by LBA; AH=43h writes into the overlay', () => {
    assert.equal(r.r16(16) & CF, 0);
    assert.equal(r.r16(18), 0x9999);
    assert.equal(r.r16(20) & CF, 0);
    assert.equal(r.r8(22), 1);
    assert.deepEqual(r.hardDisk?.dirtySectors().map((s) => s.lba), [5000, 5001]);
  });

  it('AH=42h past the end fails with AH=04h and no sectors transferred', () => {
    assert.equal(r.r16(24) & CF, CF);
    assert.equal(r.r16(26) >> 8, 0x04);
    assert.equal(r.r16(28), 0);
  });

  it('AH=15h: a hard disk of CX:DX sectors', () => {
    assert.equal(r.r8(30), 0x03);
    assert.equal((r.r16(32) << 16) | r.r16(34), SECTORS);
  });

  it('drive 81h is absent; CHS reaches the last cylinder AH=08h reports', () => {
    assert.equal(r.r16(36) & CF, CF);
    assert.equal(r.r16(38) >> 8, 0x80);
    assert.equal(r.r16(40) & CF, 0);
  });
});
