// The PCI configuration mechanism #1 and the functions of QEMU's `pc` board
// (i440FX host bridge, PIIX3 ISA bridge and IDE), and the i440FX's PAM
// registers decoding upper memory: the BIOS shadowing SeaBIOS does.

import { strict as assert } from 'node:assert';
import { GuestMemory } from '../../src/vmm/guestMemory';
import { I440fxHostBridge } from '../../src/devices/pci/i440fx';
import { PciHost, devfn } from '../../src/devices/pci/pciHost';
import { Piix3Ide, Piix3IsaBridge } from '../../src/devices/pci/piix3';

function board(): { host: PciHost; memory: GuestMemory; resets: number[]; bridge: Piix3IsaBridge } {
  const memory = new GuestMemory(2 << 20);
  const rom = new Uint8Array(0x20000).fill(0xea);
  rom[0x10000] = 0x5a; // F0000h
  memory.mapRom(0xe0000, rom);
  memory.enableShadow();
  const resets: number[] = [];
  const host = new PciHost(() => resets.push(1));
  const bridge = new Piix3IsaBridge();
  host.attach(devfn(0, 0), new I440fxHostBridge(memory, 2 << 20));
  host.attach(devfn(1, 0), bridge);
  host.attach(devfn(1, 1), new Piix3Ide());
  return { host, memory, resets, bridge };
}

function address(dev: number, fn: number, reg: number): number {
  return (0x80000000 | (dev << 11) | (fn << 8) | reg) >>> 0;
}

function readConfig(host: PciHost, dev: number, fn: number, reg: number, size: 1 | 2 | 4 = 4): number {
  host.ioWrite(0xcf8, 4, address(dev, fn, reg & 0xfc));
  return host.ioRead(0xcfc + (reg & 3), size);
}

function writeConfig(host: PciHost, dev: number, fn: number, reg: number, size: 1 | 2 | 4, value: number): void {
  host.ioWrite(0xcf8, 4, address(dev, fn, reg & 0xfc));
  host.ioWrite(0xcfc + (reg & 3), size, value);
}

describe('PCI configuration mechanism #1 and the pc board functions', () => {
  it('identifies the i440FX, PIIX3 and PIIX3 IDE as QEMU does (IDs, class, header type, subsystem)', () => {
    const { host } = board();
    assert.equal(readConfig(host, 0, 0, 0), 0x12378086);
    assert.equal(readConfig(host, 0, 0, 8), 0x06000002); // class 0600h, revision 02h
    assert.equal(readConfig(host, 0, 0, 0x0e, 1), 0x00);
    assert.equal(readConfig(host, 0, 0, 0x2c), 0x11001af4); // Red Hat / QEMU subsystem: how SeaBIOS knows it runs on QEMU
    assert.equal(readConfig(host, 1, 0, 0), 0x70008086);
    assert.equal(readConfig(host, 1, 0, 0x0a, 2), 0x0601);
    assert.equal(readConfig(host, 1, 0, 0x0e, 1), 0x80); // multi-function
    assert.equal(readConfig(host, 1, 1, 0), 0x70108086);
    assert.equal(readConfig(host, 1, 1, 8) >>> 8, 0x010180); // IDE, legacy mode, bus master
    assert.equal(readConfig(host, 0, 0, 0x72, 1), 0x02); // SMRAM at reset
    assert.equal(readConfig(host, 0, 0, 0x57, 1), 0); // 2 MiB in 8 MiB units
    assert.equal(readConfig(host, 1, 0, 0x60), 0x80808080); // PIRQ routing disabled
  });

  it('reads all ones for absent functions, other buses and with the enable bit clear; byte and word reads of the data window', () => {
    const { host } = board();
    assert.equal(readConfig(host, 2, 0, 0), 0xffffffff);
    assert.equal(readConfig(host, 1, 2, 0), 0xffffffff);
    host.ioWrite(0xcf8, 4, 0x80010000); // bus 1
    assert.equal(host.ioRead(0xcfc, 4), 0xffffffff);
    host.ioWrite(0xcf8, 4, 0x00000000); // enable clear
    assert.equal(host.ioRead(0xcfc, 2), 0xffff);
    assert.equal(readConfig(host, 0, 0, 2, 2), 0x1237);
    assert.equal(readConfig(host, 0, 0, 1, 1), 0x80);
    host.ioWrite(0xcf8, 4, 0x80000807);
    assert.equal(host.ioRead(0xcf8, 4), 0x80000804, 'reserved address bits read as zero');
  });

  it('keeps read-only fields (IDs, class, header type) and changes only writable bits', () => {
    const { host } = board();
    writeConfig(host, 0, 0, 0, 4, 0);
    writeConfig(host, 0, 0, 8, 4, 0);
    writeConfig(host, 1, 0, 0x0c, 4, 0xffffffff);
    assert.equal(readConfig(host, 0, 0, 0), 0x12378086);
    assert.equal(readConfig(host, 0, 0, 8), 0x06000002);
    assert.equal(readConfig(host, 1, 0, 0x0e, 1), 0x80);
    writeConfig(host, 1, 1, 4, 2, 0xffff);
    assert.equal(readConfig(host, 1, 1, 4, 2), 0x077f, 'command: bit 7 and bits 11-15 are hard-wired');
    writeConfig(host, 1, 0, 0x61, 1, 0x0b);
    assert.equal(readConfig(host, 1, 0, 0x60), 0x80800b80);
  });

  it('sizes and assigns the IDE bus-master I/O BAR (16 bytes)', () => {
    const { host } = board();
    assert.equal(readConfig(host, 1, 1, 0x20), 0x00000001);
    writeConfig(host, 1, 1, 0x20, 4, 0xffffffff);
    assert.equal(readConfig(host, 1, 1, 0x20), 0xfffffff1);
    writeConfig(host, 1, 1, 0x20, 4, 0xc000);
    assert.equal(readConfig(host, 1, 1, 0x20), 0xc001);
  });

  it('routes PIRQs as the PIIX3 registers say', () => {
    const { host, bridge } = board();
    assert.equal(bridge.irqOfPirq(0), null);
    writeConfig(host, 1, 0, 0x60, 4, 0x0b0b0a0a);
    assert.deepEqual([0, 1, 2, 3].map((i) => bridge.irqOfPirq(i)), [10, 10, 11, 11]);
    writeConfig(host, 1, 0, 0x60, 1, 0x08); // IRQ 8 is a reserved encoding
    assert.equal(bridge.irqOfPirq(0), null);
  });

  it('resets the machine through the reset control register at CF9h (bit 2), not through bit 1 alone', () => {
    const { host, resets } = board();
    host.ioWrite(0xcf9, 1, 0x02);
    assert.equal(host.ioRead(0xcf9, 1), 0x02);
    assert.equal(resets.length, 0);
    host.ioWrite(0xcf9, 1, 0x06);
    assert.equal(resets.length, 1);
  });

  it('decodes F0000h-FFFFFh by PAM0: ROM at reset, DRAM read-write (30h) for the copy, then read-only (10h)', () => {
    const { host, memory } = board();
    const read = (a: number) => memory.readPhysical(a, 1)[0];
    assert.equal(read(0xf0000), 0x5a, 'the BIOS ROM at reset');
    memory.writeSlow(0xf0000, 1, 0x11);
    assert.equal(read(0xf0000), 0x5a, 'a write to ROM is dropped');
    writeConfig(host, 0, 0, 0x59, 1, 0x30);
    assert.equal(read(0xf0000), 0x00, 'DRAM behind the ROM (empty)');
    assert.equal(memory.pageKind[0xf0], 0, 'read-write DRAM is plain RAM for the CPU');
    memory.ram[0xf0000] = 0x77; // the CPU's fast-path write
    writeConfig(host, 0, 0, 0x59, 1, 0x10);
    memory.writeSlow(0xf0000, 1, 0x99);
    assert.equal(read(0xf0000), 0x77, 'read-only DRAM keeps the copy');
    writeConfig(host, 0, 0, 0x59, 1, 0x00);
    assert.equal(read(0xf0000), 0x5a, 'back to the ROM');
    writeConfig(host, 0, 0, 0x59, 1, 0x20);
    memory.writeSlow(0xf0001, 1, 0x66);
    assert.equal(read(0xf0001), 0xea, 'write-only: reads still from ROM');
    writeConfig(host, 0, 0, 0x59, 1, 0x10);
    assert.deepEqual(memory.readPhysical(0xf0000, 2), [0x77, 0x66], 'DRAM kept both writes');
    assert.equal(read(0xe0000), 0xea, 'E0000h stays on the bus (PAM5 is 0)');
  });

  it('decodes C0000h-EFFFFh per 16 KiB nibble, and the host reset puts every range back on the bus', () => {
    const { host, memory } = board();
    writeConfig(host, 0, 0, 0x5a, 1, 0x03); // C0000h-C3FFFh read-write, C4000h-C7FFFh on the bus
    memory.writeSlow(0xc0000, 1, 0x42);
    memory.writeSlow(0xc4000, 1, 0x43);
    assert.equal(memory.readPhysical(0xc0000, 1)[0], 0x42);
    assert.equal(memory.readPhysical(0xc4000, 1)[0], 0xff, 'nothing on the bus there');
    host.reset();
    assert.equal(memory.readPhysical(0xc0000, 1)[0], 0xff);
    writeConfig(host, 0, 0, 0x5a, 1, 0x11);
    assert.equal(memory.readPhysical(0xc0000, 1)[0], 0x42, 'the DRAM kept its contents over the reset');
  });

  it('saves and restores the configuration and the shadow DRAM behind the bus (snapshots)', () => {
    const a = board();
    writeConfig(a.host, 0, 0, 0x59, 1, 0x30);
    a.memory.ram[0xf0010] = 0x31;
    writeConfig(a.host, 0, 0, 0x59, 1, 0x00); // the copy now waits behind the ROM
    writeConfig(a.host, 1, 0, 0x60, 4, 0x0b0b0a0a);
    const state = JSON.parse(JSON.stringify(a.host.saveState()));
    const b = board();
    b.memory.ram.set(a.memory.ram);
    b.host.loadState(state);
    assert.equal(readConfig(b.host, 1, 0, 0x60), 0x0b0b0a0a);
    assert.equal(b.memory.readPhysical(0xf0010, 1)[0], 0xea);
    writeConfig(b.host, 0, 0, 0x59, 1, 0x10);
    assert.equal(b.memory.readPhysical(0xf0010, 1)[0], 0x31);
  });
});
