import { strict as assert } from 'node:assert';
import { PIT_FREQUENCY_HZ, Pit8254, pitTickAt, pitTickStartNs } from '../../src/devices/pit';
import { FakeMachine, RecordingIrqLine } from './helpers';

describe('Pit8254', () => {
  let machine: FakeMachine;
  let irq0: RecordingIrqLine;
  let pit: Pit8254;
  beforeEach(() => {
    machine = new FakeMachine();
    irq0 = new RecordingIrqLine();
    pit = new Pit8254(machine.clock, irq0);
  });

  it('converts between guest time and PIT ticks exactly, even hours in', () => {
    assert.equal(pitTickAt(1e9), PIT_FREQUENCY_HZ);
    assert.equal(pitTickAt(838), 0);
    assert.equal(pitTickAt(839), 1);
    const hours = 5 * 3600 * 1e9 + 123456789;
    for (const tick of [0, 1, 12345, pitTickAt(hours), pitTickAt(hours) + 1]) {
      const ns = pitTickStartNs(tick);
      assert.equal(pitTickAt(ns), tick);
      assert.equal(pitTickAt(ns - 1), tick - 1);
    }
  });

  it('mode 2 on counter 0 at 100 Hz gives 99 IRQ0 edges in the first second and 100 per second after', () => {
    machine.instructions = 0;
    pit.ioWrite(0x43, 1, 0x34);
    pit.ioWrite(0x40, 1, 11932 & 0xff);
    pit.ioWrite(0x40, 1, 11932 >> 8);
    machine.runNs(1e9);
    // Count loaded at tick 1; edges at 1 + k*11932 for k >= 1; tick 1193182 is the last one reached.
    assert.equal(irq0.risingEdges, Math.floor((PIT_FREQUENCY_HZ - 1) / 11932));
    const before = irq0.risingEdges;
    machine.runNs(10e9);
    assert.equal(irq0.risingEdges - before, 1000);
  });

  it('mode 3 with count 0 (65536) runs at 18.2 Hz', () => {
    pit.ioWrite(0x43, 1, 0x36);
    pit.ioWrite(0x40, 1, 0);
    pit.ioWrite(0x40, 1, 0);
    machine.runNs(10e9);
    assert.equal(irq0.risingEdges, Math.floor((10 * PIT_FREQUENCY_HZ - 1) / 65536));
  });

  it('mode 0 on counter 0 raises IRQ0 once at terminal count and holds it', () => {
    pit.ioWrite(0x43, 1, 0x30);
    pit.ioWrite(0x40, 1, 100);
    assert.equal(irq0.level, false);
    pit.ioWrite(0x40, 1, 0);
    machine.runNs(pitTickStartNs(100));
    assert.equal(irq0.level, false, 'OUT rises N+1 clocks after the write');
    machine.runNs(pitTickStartNs(101) - machine.nowNs());
    assert.equal(irq0.level, true);
    machine.runNs(1e9);
    assert.equal(irq0.risingEdges, 1);
    // A new control word drops OUT.
    pit.ioWrite(0x43, 1, 0x30);
    assert.equal(irq0.level, false);
  });

  it('mode 0 on counter 2 polled through port 0x61 bit 5 times a 1 ms delay', () => {
    pit.ioWrite(0x61, 1, 0x01); // gate 2 on, speaker off
    pit.ioWrite(0x43, 1, 0xb0);
    pit.ioWrite(0x42, 1, 1193 & 0xff);
    pit.ioWrite(0x42, 1, 1193 >> 8);
    const start = machine.nowNs();
    assert.equal(pit.ioRead(0x61, 1) & 0x20, 0);
    let polls = 0;
    while ((pit.ioRead(0x61, 1) & 0x20) === 0) {
      machine.instructions += 4;
      polls++;
      assert.ok(polls < 1e6, 'delay loop never ends');
    }
    const waited = machine.nowNs() - start;
    assert.ok(waited >= pitTickStartNs(1194) && waited < pitTickStartNs(1194) + 40, `waited ${waited} ns`);
    assert.equal(pit.ioRead(0x61, 1) & 0x0f, 0x01);
  });

  it('gate low pauses mode 0 on counter 2', () => {
    pit.ioWrite(0x43, 1, 0xb0);
    pit.ioWrite(0x42, 1, 0x10);
    pit.ioWrite(0x42, 1, 0x00);
    machine.runNs(1e6);
    assert.equal(pit.describe().channels[2]?.count, 0x10, 'no gate, no counting');
    pit.ioWrite(0x61, 1, 0x01);
    machine.runNs(pitTickStartNs(5));
    const counted = pit.describe().channels[2]?.count ?? -1;
    assert.ok(counted < 0x10 && counted > 0x08, `count ${counted}`);
    pit.ioWrite(0x61, 1, 0x00);
    machine.runNs(1e6);
    assert.equal(pit.describe().channels[2]?.count, counted);
  });

  it('counter latch freezes the value read LSB then MSB', () => {
    pit.ioWrite(0x43, 1, 0x34);
    pit.ioWrite(0x40, 1, 0x00);
    pit.ioWrite(0x40, 1, 0x10); // 4096
    const loadTick = pitTickAt(machine.nowNs()) + 1;
    machine.runNs(pitTickStartNs(loadTick + 1000) - machine.nowNs());
    pit.ioWrite(0x43, 1, 0x00);
    machine.runNs(50_000);
    const lsb = pit.ioRead(0x40, 1);
    const msb = pit.ioRead(0x40, 1);
    assert.equal(lsb | (msb << 8), 4096 - 1000);
    // Unlatched reads follow the live count.
    const liveLsb = pit.ioRead(0x40, 1);
    const liveMsb = pit.ioRead(0x40, 1);
    assert.ok((liveLsb | (liveMsb << 8)) < 4096 - 1000);
  });

  it('read-back returns status (OUT, null count, RW, mode) then the count', () => {
    pit.ioWrite(0x43, 1, 0x34);
    pit.ioWrite(0x43, 1, 0xe2); // read-back status of counter 0
    assert.equal(pit.ioRead(0x40, 1), 0xc0 | 0x34, 'null count before a count is written');
    pit.ioWrite(0x40, 1, 0xe8);
    pit.ioWrite(0x40, 1, 0x03); // 1000
    machine.runNs(pitTickStartNs(11));
    pit.ioWrite(0x43, 1, 0xc2); // read-back count and status of counter 0
    assert.equal(pit.ioRead(0x40, 1), 0x80 | 0x34);
    const lsb = pit.ioRead(0x40, 1);
    const msb = pit.ioRead(0x40, 1);
    assert.equal(lsb | (msb << 8), 1000 - 10);
  });

  it('counts in BCD when asked', () => {
    pit.ioWrite(0x43, 1, 0x31); // counter 0, mode 0, BCD
    pit.ioWrite(0x40, 1, 0x00);
    pit.ioWrite(0x40, 1, 0x10); // BCD 1000
    machine.runNs(pitTickStartNs(13));
    pit.ioWrite(0x43, 1, 0x00);
    const lsb = pit.ioRead(0x40, 1);
    const msb = pit.ioRead(0x40, 1);
    assert.equal(lsb | (msb << 8), 0x0988);
  });

  it('mode 3 on counter 2 toggles OUT at half periods and gate low forces it high', () => {
    pit.ioWrite(0x61, 1, 0x03);
    pit.ioWrite(0x43, 1, 0xb6);
    pit.ioWrite(0x42, 1, 100);
    pit.ioWrite(0x42, 1, 0);
    assert.equal(pit.speakerFrequencyHz(), PIT_FREQUENCY_HZ / 100);
    machine.runNs(pitTickStartNs(1 + 25));
    assert.equal(pit.counter2Output(), true);
    machine.runNs(pitTickStartNs(1 + 75) - machine.nowNs());
    assert.equal(pit.counter2Output(), false);
    pit.ioWrite(0x61, 1, 0x02);
    assert.equal(pit.counter2Output(), true);
  });

  it('the refresh bit of port 0x61 toggles with guest time', () => {
    const first = pit.ioRead(0x61, 1) & 0x10;
    machine.runNs(15_085);
    assert.notEqual(pit.ioRead(0x61, 1) & 0x10, first);
    machine.runNs(15_085);
    assert.equal(pit.ioRead(0x61, 1) & 0x10, first);
  });

  it('round-trips its state mid-operation and keeps the IRQ0 schedule', () => {
    pit.ioWrite(0x43, 1, 0x34);
    pit.ioWrite(0x40, 1, 11932 & 0xff);
    pit.ioWrite(0x40, 1, 11932 >> 8);
    pit.ioWrite(0x43, 1, 0x00); // a latch pending across the save
    machine.runNs(0.5e9);
    const edgesAtSave = irq0.risingEdges;
    const saved = JSON.parse(JSON.stringify({ pit: pit.saveState(), clock: machine.clock.saveState() }));
    const instructionsAtSave = machine.instructions;
    machine.runNs(0.5e9);
    const edgesOriginal = irq0.risingEdges - edgesAtSave;

    const machine2 = new FakeMachine();
    const irq2 = new RecordingIrqLine();
    const pit2 = new Pit8254(machine2.clock, irq2);
    machine2.instructions = instructionsAtSave;
    machine2.clock.loadState(saved.clock);
    pit2.loadState(saved.pit);
    assert.equal(pit2.ioRead(0x40, 1) | (pit2.ioRead(0x40, 1) << 8), 11932, 'latched at load');
    machine2.runNs(0.5e9);
    assert.equal(irq2.risingEdges, edgesOriginal);
    assert.deepEqual(pit2.describe().channels[0]?.count, pit.describe().channels[0]?.count);
  });
});
