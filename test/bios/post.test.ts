// The BIOS ROM, POST and INT 19h/18h on the PC board.

import { strict as assert } from 'node:assert';
import { buildRom, BIOS_TRAP_PORT } from '../../src/devices/bios/rom';
import { DiskImage } from '../../src/devices/disk';
import { PcMachine, type MachineEvent } from '../../src/vmm/pc';
import { runGuest, hex } from './harness';

const IF = 0x200;

describe('BIOS ROM image', () => {
  const { image, layout, traps } = buildRom([], 1);

  it('is 64 KiB with the reset vector, the date, the model byte and a zero checksum', () => {
    assert.equal(image.length, 0x10000);
    assert.deepEqual([...image.subarray(0xfff0, 0xfff5)], [0xea, 0x5b, 0xe0, 0x00, 0xf0]); // jmp F000:E05B
    assert.equal(String.fromCharCode(...image.subarray(0xfff5, 0xfffd)), '01/01/26');
    assert.equal(image[0xfffe], 0xfc);
    assert.equal(image.reduce((s, b) => (s + b) & 0xff, 0), 0);
  });

  it('has IBM-compatible entry points holding real code: OUT to the trap port, then IRET', () => {
    assert.equal(layout.int13, 0xe3fe);
    assert.equal(layout.int10, 0xf065);
    assert.equal(layout.int16, 0xe82e);
    assert.equal(layout.int08, 0xfea5);
    assert.equal(layout.diskettePpt, 0xefc7);
    for (const at of [layout.int10, layout.int13, layout.int16, layout.int1a, layout.int15, layout.int14, layout.int17]) {
      assert.deepEqual([...image.subarray(at, at + 3)], [0xe6, BIOS_TRAP_PORT, 0xcf], `stub at ${hex(at)}`);
      assert.ok(traps.has(at + 2), `a trap is registered after the OUT at ${hex(at)}`);
    }
    assert.equal(image[layout.dummyIret], 0xcf);
    assert.equal(image[layout.int08], 0x1e); // push ds: the timer handler is plain x86 code
  });
});

describe('BIOS POST and boot', () => {
  it('boots a floppy at 0000:7C00 with DL=00h, SS:SP=0000:7C00 and interrupts on; sets up the IVT and BDA', () => {
    const r = runGuest(`
        int     0x11
        mov     [R + 0], ax
        int     0x12
        mov     [R + 2], ax
        sti                              ; the timer ticks through the BIOS's INT 08h
        mov     ax, [0x46c]
        add     ax, 3
.wait:  hlt
        cmp     [0x46c], ax
        jne     .wait
        mov     word [R + 4], 1
        jmp     done
    `);
    assert.equal(r.event.kind, 'exit', JSON.stringify(r.event));
    assert.equal(r.entry.dx & 0xff, 0x00);
    assert.equal(r.entry.sp, 0x7c00);
    assert.equal(r.entry.ss, 0);
    assert.equal(r.entry.ds, 0);
    assert.equal(r.entry.es, 0);
    assert.ok(r.entry.flags & IF, 'IF set at the boot sector');
    assert.equal(r.r16(0), 0x0223, 'INT 11h: one floppy, a math coprocessor, 80x25 colour, one serial port');
    assert.equal(r.r16(2), 639, 'INT 12h: 639 KiB');
    assert.equal(r.r16(4), 1, 'BDA tick count advanced');

    const ram = r.machine.vm.memory.ram;
    const w = (a: number): number => ram[a] | (ram[a + 1] << 8);
    assert.deepEqual([w(0x13 * 4), w(0x13 * 4 + 2)], [0xe3fe, 0xf000], 'INT 13h vector');
    assert.deepEqual([w(0x08 * 4), w(0x08 * 4 + 2)], [0xfea5, 0xf000], 'INT 08h vector');
    assert.deepEqual([w(0x1e * 4), w(0x1e * 4 + 2)], [0xefc7, 0xf000], 'INT 1Eh: diskette parameters');
    assert.equal(w(0x1c * 4), 0xff53, 'INT 1Ch: dummy IRET');
    assert.equal(w(0x400), 0x3f8, 'COM1');
    assert.equal(w(0x40e), 0x9fc0, 'EBDA segment');
    assert.equal(ram[0x9fc00], 1, 'EBDA size 1 KiB');
    assert.equal(w(0x413), 639);
    assert.equal(w(0x41a), 0x1e, 'keyboard buffer head');
    assert.equal(w(0x41c), 0x1e, 'keyboard buffer tail');
    assert.equal(w(0x480), 0x1e);
    assert.equal(w(0x482), 0x3e);
    assert.equal(ram[0x449], 0x03, 'video mode');
    assert.equal(w(0x44a), 80, 'columns');
    assert.equal(w(0x463), 0x3d4, 'CRTC base');
    assert.equal(ram[0x475], 0, 'no hard disks');
    // The PICs were programmed at vectors 08h and 70h with IRQ0, 1, 2 and 8 unmasked.
    const pic = r.machine.vm.pic.describe();
    assert.equal(pic.master.vectorBase, 0x08);
    assert.equal(pic.slave.vectorBase, 0x70);
    assert.equal(pic.master.imr, 0xf8);
    assert.equal(pic.slave.imr, 0xfe);
  });

  it('boots a hard disk with DL=80h and counts it in the BDA', () => {
    const r = runGuest(
      `
        mov     al, [0x475]
        mov     [R + 0], al
        jmp     done
    `,
      { hardDiskSectors: 2016 },
    );
    assert.equal(r.event.kind, 'exit', JSON.stringify(r.event));
    assert.equal(r.entry.dx & 0xff, 0x80);
    assert.equal(r.r8(0), 1);
  });

  function boot(floppy: DiskImage | null, hardDisk: DiskImage | null, order: 'a' | 'c'): {
    event: MachineEvent;
    messages: string[];
    machine: PcMachine;
  } {
    const messages: string[] = [];
    const machine = new PcMachine({
      memoryBytes: 4 * 1024 * 1024,
      bios: null,
      floppy,
      hardDisk,
      boot: order,
      onFirmwareMessage: (t) => messages.push(t),
    });
    let event: MachineEvent = { kind: 'budget' };
    for (let i = 0; i < 50; i++) {
      event = machine.run(1_000_000);
      if (event.kind !== 'budget' && event.kind !== 'stop') break;
    }
    return { event, messages, machine };
  }

  it('says clearly when nothing boots, and halts', () => {
    const blankHard = DiskImage.hard(new Uint8Array(1008 * 512), 'blank.img');
    const blankFloppy = DiskImage.floppy(new Uint8Array(1474560).fill(0xf6), 'blank.flp');
    const { event, messages, machine } = boot(blankFloppy, blankHard, 'a');
    assert.equal(event.kind, 'halted', JSON.stringify(event));
    assert.equal(messages.length, 1, messages.join('\n'));
    assert.match(messages[0], /^vmexit BIOS: no bootable device/);
    assert.match(messages[0], /floppy A: sector 0 is blank/);
    assert.match(messages[0], /hard disk 80h: no boot signature \(55AAh\)/);
    assert.ok(machine.textScreen().some((row) => row.includes('No bootable device.')), machine.textScreen().join('\n'));
  });

  it('tries the next drive in the boot order', () => {
    const blankFloppy = DiskImage.floppy(new Uint8Array(1474560), 'blank.flp');
    const disk = new Uint8Array(1008 * 512);
    // mov al, dl / out 0F4h, al / hlt: exit status shows the boot drive
    disk.set([0x88, 0xd0, 0xe6, 0xf4, 0xf4], 0);
    disk[510] = 0x55;
    disk[511] = 0xaa;
    const { event } = boot(blankFloppy, DiskImage.hard(disk, 'disk.img'), 'a');
    assert.deepEqual(event, { kind: 'exit', status: (0x80 << 1) | 1 });
  });

  it('boots a floppy sector without the 55AAh signature (pre-signature diskettes)', () => {
    const image = new Uint8Array(368640);
    image.set([0xb0, 0x05, 0xe6, 0xf4, 0xf4], 0); // mov al, 5 / out 0F4h, al / hlt
    const { event } = boot(DiskImage.floppy(image, 'dos1.img'), null, 'a');
    assert.deepEqual(event, { kind: 'exit', status: (5 << 1) | 1 });
  });

  it('INT 08h rolls the tick count over at midnight (1800B0h) and INT 1Ah AH=00h reports it once', () => {
    const r = runGuest(`
        cli
        mov     word [0x46c], 0x00af
        mov     word [0x46e], 0x0018
        sti
.wait:  hlt
        cmp     word [0x46e], 0
        jne     .wait
        cli
        mov     ah, 0x00
        int     0x1a
        mov     [R + 0], al
        mov     [R + 2], cx
        mov     ah, 0x00
        int     0x1a
        mov     [R + 4], al
        jmp     done
    `);
    assert.equal(r.event.kind, 'exit', JSON.stringify(r.event));
    assert.equal(r.r8(0), 1, 'midnight flag');
    assert.equal(r.r16(2), 0, 'high word of the count back to 0');
    assert.equal(r.r8(4), 0, 'the flag is cleared once read');
  });

  it('ignores an OUT to the trap port from outside the ROM', () => {
    const r = runGuest(`
        mov     ax, 0x1234
        out     0xef, al
        mov     [R + 0], ax
        jmp     done
    `);
    assert.equal(r.event.kind, 'exit');
    assert.equal(r.r16(0), 0x1234);
  });
});
