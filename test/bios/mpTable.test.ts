import { strict as assert } from 'node:assert';
import { buildRom, ROM_BASE } from '../../src/devices/bios/rom';

/** Find the MP floating pointer as an OS does: "_MP_" on a 16-byte boundary in F0000-FFFFF, with a good checksum. */
function findFloatingPointer(image: Uint8Array): number {
  for (let off = 0; off < image.length; off += 16) {
    if (String.fromCharCode(...image.subarray(off, off + 4)) !== '_MP_') continue;
    if (image.subarray(off, off + 16).reduce((s, b) => (s + b) & 0xff, 0) === 0) return off;
  }
  return -1;
}

function u16(b: Uint8Array, at: number): number {
  return b[at] | (b[at + 1] << 8);
}
function u32(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}

describe('BIOS MP table (MP spec 1.4)', () => {
  for (const cpus of [1, 2, 4, 64]) {
    it(`describes ${cpus} processor(s), the ISA bus, the IOAPIC and the interrupt routing, with right checksums`, () => {
      const { image } = buildRom([], cpus);
      const fp = findFloatingPointer(image);
      assert.ok(fp >= 0, 'floating pointer found');
      assert.equal(image[fp + 8], 1, 'one paragraph');
      assert.equal(image[fp + 9], 4, 'revision 1.4');
      assert.equal(image[fp + 11], 0, 'a configuration table, not a default configuration');
      const tableOff = u32(image, fp + 4) - ROM_BASE;
      assert.equal(String.fromCharCode(...image.subarray(tableOff, tableOff + 4)), 'PCMP');
      const length = u16(image, tableOff + 4);
      assert.equal(image.subarray(tableOff, tableOff + length).reduce((s, b) => (s + b) & 0xff, 0), 0, 'table checksum');
      assert.equal(u32(image, tableOff + 36), 0xfee00000, 'local APIC address');
      const count = u16(image, tableOff + 34);
      const processors: { id: number; flags: number }[] = [];
      const ioInts: [number, number][] = [];
      let ioApic: { id: number; address: number } | null = null;
      let bus = '';
      let at = tableOff + 44;
      for (let i = 0; i < count; i++) {
        const type = image[at];
        if (type === 0) {
          processors.push({ id: image[at + 1], flags: image[at + 3] });
          assert.equal(image[at + 2], 0x14, 'local APIC version');
          assert.equal((u32(image, at + 8) >> 9) & 1, 1, 'APIC feature flag');
          at += 20;
          continue;
        }
        if (type === 1) bus = String.fromCharCode(...image.subarray(at + 2, at + 8));
        if (type === 2) ioApic = { id: image[at + 1], address: u32(image, at + 4) };
        if (type === 3) {
          assert.equal(image[at + 6], ioApic?.id, 'routed to the IOAPIC');
          ioInts.push([image[at + 5], image[at + 7]]);
        }
        at += 8;
      }
      assert.equal(at, tableOff + length, 'the entries fill the table');
      assert.deepEqual(processors, Array.from({ length: cpus }, (_, id) => ({ id, flags: id === 0 ? 3 : 1 })));
      assert.equal(bus, 'ISA   ');
      assert.deepEqual(ioApic, { id: cpus, address: 0xfec00000 });
      // IRQ0 on INTIN2 (the interrupt source override every PC has), IRQ2 (the cascade) absent, the others identity.
      assert.deepEqual(ioInts, [[0, 2], [1, 1], ...Array.from({ length: 13 }, (_, k): [number, number] => [k + 3, k + 3])]);
      assert.equal(image.reduce((s, b) => (s + b) & 0xff, 0), 0, 'the ROM checksum still holds');
    });
  }
});
