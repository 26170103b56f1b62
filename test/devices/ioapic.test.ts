import { strict as assert } from 'node:assert';
import { ApicBus, ApicBusMember, ApicMessage } from '../../src/devices/apicBus';
import { IoApic } from '../../src/devices/ioapic';

/** A bus member that records the messages it receives. */
function member(apicId: number): ApicBusMember & { got: ApicMessage[] } {
  const got: ApicMessage[] = [];
  return { present: true, apicId, logicalId: 1 << apicId, flatModel: true, taskPriority: 0, got, receive: (m) => got.push(m) };
}

describe('IoApic', () => {
  let bus: ApicBus;
  let cpus: ReturnType<typeof member>[];
  let io: IoApic;

  function write(index: number, value: number): void {
    io.mmioWrite(0xfec00000, 4, index);
    io.mmioWrite(0xfec00010, 4, value);
  }
  function read(index: number): number {
    io.mmioWrite(0xfec00000, 4, index);
    return io.mmioRead(0xfec00010, 4);
  }

  beforeEach(() => {
    bus = new ApicBus();
    cpus = [member(0), member(1)];
    cpus.forEach((c) => bus.attach(c));
    io = new IoApic(bus, 2);
  });

  it('reads its ID, version (24 entries) and a masked redirection table at reset', () => {
    assert.equal(read(0), 0x02000000, 'the ID the board gave it');
    write(0, 0x05000000);
    assert.equal(read(0), 0x05000000);
    assert.equal(read(1), 0x00170011);
    for (let pin = 0; pin < 24; pin++) assert.equal(read(0x10 + 2 * pin), 0x10000);
    io.setPin(4, true);
    assert.deepEqual(cpus.map((c) => c.got.length), [0, 0], 'masked pins send nothing');
  });

  it('sends an edge-triggered entry to its physical destination on each rising edge', () => {
    write(0x10 + 2 * 4, 0x31); // pin 4: vector 31h, fixed, physical, edge, unmasked
    write(0x11 + 2 * 4, 0x01000000);
    io.setPin(4, true);
    io.setPin(4, false);
    io.setPin(4, true);
    assert.equal(cpus[0].got.length, 0);
    assert.deepEqual(cpus[1].got, [
      { vector: 0x31, mode: 0, logical: false, destination: 1, level: false },
      { vector: 0x31, mode: 0, logical: false, destination: 1, level: false },
    ]);
  });

  it('inverts active-low pins and routes logical destinations', () => {
    write(0x10 + 2 * 9, 0x2840); // active low, logical
    write(0x11 + 2 * 9, 0x03000000); // both CPUs
    io.setPin(9, true); // inactive
    assert.equal(cpus[0].got.length, 0);
    io.setPin(9, false); // falling edge: active
    assert.deepEqual(cpus.map((c) => c.got.length), [1, 1]);
  });

  it('holds a level-triggered entry in remote IRR until the EOI, then resends while asserted', () => {
    write(0x10 + 2 * 11, 0x8052); // level, vector 52h
    io.setPin(11, true);
    assert.equal(cpus[0].got.length, 1);
    assert.equal(cpus[0].got[0].level, true);
    assert.equal(read(0x10 + 2 * 11) & 0x4000, 0x4000, 'remote IRR');
    io.setPin(11, false);
    io.setPin(11, true);
    assert.equal(cpus[0].got.length, 1, 'nothing more while remote IRR is set');
    bus.onLevelEoi(0x52);
    assert.equal(cpus[0].got.length, 2, 'still asserted: sent again');
    io.setPin(11, false);
    bus.onLevelEoi(0x52);
    assert.equal(read(0x10 + 2 * 11) & 0x4000, 0);
    assert.equal(cpus[0].got.length, 2);
  });

  it('sends an asserted level interrupt when its entry is unmasked, and keeps remote IRR read-only', () => {
    io.setPin(5, true);
    write(0x10 + 2 * 5, 0x18060); // level, masked
    assert.equal(cpus[0].got.length, 0);
    write(0x10 + 2 * 5, 0x8060);
    assert.equal(cpus[0].got.length, 1);
    write(0x10 + 2 * 5, 0x8060 & ~0x4000);
    assert.equal(read(0x10 + 2 * 5) & 0x4000, 0x4000);
  });

  it('saves and restores its registers', () => {
    write(0x10, 0x0a34);
    write(0x11, 0x05000000);
    io.setPin(3, true);
    const s = JSON.parse(JSON.stringify(io.saveState()));
    io.reset();
    assert.equal(read(0x10), 0x10000);
    io.loadState(s);
    assert.equal(read(0x10), 0x0a34);
    assert.equal(read(0x11), 0x05000000);
  });
});
