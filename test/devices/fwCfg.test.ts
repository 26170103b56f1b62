// QEMU's fw_cfg as SeaBIOS reads it: the selector and data ports, the file
// directory, etc/e820, and the DMA interface.

import { strict as assert } from 'node:assert';
import { GuestMemory } from '../../src/vmm/guestMemory';
import { FwCfg } from '../../src/devices/fwCfg';

function device(cpus = 2): { fw: FwCfg; memory: GuestMemory } {
  const memory = new GuestMemory(32 << 20);
  return { fw: new FwCfg({ memoryBytes: 32 << 20, cpus }, memory), memory };
}

function readItem(fw: FwCfg, key: number, length: number): number[] {
  fw.ioWrite(0x510, 2, key);
  return Array.from({ length }, () => fw.ioRead(0x511, 1));
}

/** The file directory as SeaBIOS parses it: name -> [key, size]. */
function directory(fw: FwCfg): Map<string, [number, number]> {
  fw.ioWrite(0x510, 2, 0x19);
  const byte = () => fw.ioRead(0x511, 1);
  const be = (n: number) => Array.from({ length: n }, byte).reduce((v, b) => v * 256 + b, 0);
  const count = be(4);
  const out = new Map<string, [number, number]>();
  for (let i = 0; i < count; i++) {
    const size = be(4);
    const key = be(2);
    be(2);
    const name = Buffer.from(Array.from({ length: 56 }, byte)).toString('latin1').replace(/\0.*$/s, '');
    out.set(name, [key, size]);
  }
  return out;
}

describe('fw_cfg (QEMU firmware configuration)', () => {
  it('answers the "QEMU" signature, the interface ID with DMA, and zeros past an item', () => {
    const { fw } = device();
    assert.equal(Buffer.from(readItem(fw, 0, 4)).toString('latin1'), 'QEMU');
    assert.deepEqual(readItem(fw, 1, 4), [3, 0, 0, 0]);
    assert.deepEqual(readItem(fw, 0, 6).slice(4), [0, 0], 'past the end');
    assert.deepEqual(readItem(fw, 0x1234, 2), [0, 0], 'an unknown key');
    assert.deepEqual(readItem(fw, 0x05, 2), [2, 0], 'CPUs');
    assert.deepEqual(readItem(fw, 0x0f, 2), [2, 0], 'max CPUs');
    assert.deepEqual(readItem(fw, 0x03, 8), [0, 0, 0, 2, 0, 0, 0, 0], 'RAM size');
    assert.deepEqual(readItem(fw, 0x8002, 1), [1], 'IRQ0 override');
  });

  it('lists etc/e820 and etc/boot-cpus in the directory, with the RAM map QEMU gives', () => {
    const { fw } = device(3);
    const dir = directory(fw);
    assert.deepEqual([...dir.keys()], ['etc/boot-cpus', 'etc/e820']);
    const [key, size] = dir.get('etc/e820')!;
    assert.equal(size, 20);
    const e820 = Buffer.from(readItem(fw, key, size));
    assert.equal(e820.readBigUInt64LE(0), 0n);
    assert.equal(e820.readBigUInt64LE(8), 32n << 20n);
    assert.equal(e820.readUInt32LE(16), 1);
    const [cpusKey] = dir.get('etc/boot-cpus')!;
    assert.deepEqual(readItem(fw, cpusKey, 2), [3, 0]);
  });

  it('runs a DMA descriptor (select + read, then skip + read) and clears its control word', () => {
    const { fw, memory } = device();
    const desc = 0x1000;
    const put = (control: number, length: number, target: number) => {
      const d = Buffer.alloc(16);
      d.writeUInt32BE(control, 0);
      d.writeUInt32BE(length, 4);
      d.writeUInt32BE(target, 12);
      memory.writePhysical(desc, d);
      fw.ioWrite(0x514, 4, 0);
      fw.ioWrite(0x518, 4, Buffer.from([0, 0, 0x10, 0]).readUInt32LE(0)); // big-endian address, as outl of cpu_to_be32
    };
    put((0x0000 << 16) | 0x08 | 0x02, 4, 0x2000);
    assert.equal(Buffer.from(memory.readPhysical(0x2000, 4) as number[]).toString('latin1'), 'QEMU');
    assert.deepEqual(memory.readPhysical(desc, 4), [0, 0, 0, 0], 'control cleared: done without error');
    put((0x19 << 16) | 0x08 | 0x04, 4, 0); // select the directory, skip the count
    put(0x02, 4, 0x3000); // read the first entry's size
    assert.deepEqual(memory.readPhysical(0x3000, 4), [0, 0, 0, 2], 'etc/boot-cpus is 2 bytes');
    put(0x10, 4, 0x3000); // a write: no item is writable
    assert.deepEqual(memory.readPhysical(desc, 4), [0, 0, 0, 1], 'error bit');
    assert.equal(Buffer.from([0x514, 0x515, 0x516, 0x517, 0x518, 0x519, 0x51a, 0x51b].map((p) => fw.ioRead(p, 1))).toString('latin1'), 'QEMU CFG');
  });
});
