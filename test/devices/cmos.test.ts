import { strict as assert } from 'node:assert';
import { CmosRtc, FloppyType } from '../../src/devices/cmos';
import { FakeMachine, RecordingIrqLine } from './helpers';

function read(rtc: CmosRtc, index: number): number {
  rtc.ioWrite(0x70, 1, index);
  return rtc.ioRead(0x71, 1);
}

function write(rtc: CmosRtc, index: number, value: number): void {
  rtc.ioWrite(0x70, 1, index);
  rtc.ioWrite(0x71, 1, value);
}

describe('CmosRtc', () => {
  let machine: FakeMachine;
  let irq8: RecordingIrqLine;
  let rtc: CmosRtc;
  beforeEach(() => {
    machine = new FakeMachine();
    irq8 = new RecordingIrqLine();
    rtc = new CmosRtc(machine.clock, irq8);
  });

  it('starts at 2026-01-01 00:00:00 in BCD, 24-hour', () => {
    assert.deepEqual(
      [0, 2, 4, 6, 7, 8, 9, 0x32].map((i) => read(rtc, i)),
      [0x00, 0x00, 0x00, 0x05, 0x01, 0x01, 0x26, 0x20], // a Thursday
    );
    assert.equal(read(rtc, 0x0a), 0x26);
    assert.equal(read(rtc, 0x0b), 0x02);
    assert.equal(read(rtc, 0x0d), 0x80);
  });

  it('advances with guest time', () => {
    machine.runNs(3661.5e9);
    assert.deepEqual([4, 2, 0].map((i) => read(rtc, i)), [0x01, 0x01, 0x01]);
    assert.equal(rtc.describe().time, '2026-01-01T01:01:01Z');
  });

  it('reads binary and 12-hour forms per register B', () => {
    machine.runNs(13 * 3600e9 + 45e9);
    write(rtc, 0x0b, 0x04); // binary, 12-hour
    assert.equal(read(rtc, 0x04), 0x81, '1 PM');
    assert.equal(read(rtc, 0x00), 45);
    write(rtc, 0x0b, 0x06); // binary, 24-hour
    assert.equal(read(rtc, 0x04), 13);
  });

  it('is set through SET and continues from the written time', () => {
    write(rtc, 0x0b, 0x82);
    write(rtc, 0x04, 0x23);
    write(rtc, 0x02, 0x59);
    write(rtc, 0x00, 0x58);
    machine.runNs(5e9);
    assert.equal(read(rtc, 0x00), 0x58, 'halted while SET');
    assert.equal(read(rtc, 0x0a) & 0x80, 0, 'no UIP while SET');
    write(rtc, 0x0b, 0x02);
    machine.runNs(2e9);
    assert.deepEqual([4, 2, 0, 7, 6].map((i) => read(rtc, i)), [0x00, 0x00, 0x00, 0x02, 0x06]);
  });

  it('raises IRQ8 1024 times per guest second at the default periodic rate', () => {
    irq8.onRise = () => read(rtc, 0x0c);
    write(rtc, 0x0b, 0x42);
    machine.runNs(1e9);
    assert.equal(irq8.risingEdges, 1024);
    write(rtc, 0x0a, 0x2f); // 2 Hz
    const before = irq8.risingEdges;
    machine.runNs(3e9);
    assert.equal(irq8.risingEdges - before, 6);
  });

  it('holds IRQ8 until register C is read, and C reports the flags', () => {
    write(rtc, 0x0b, 0x42);
    machine.runNs(2e6);
    assert.equal(irq8.level, true);
    assert.equal(irq8.risingEdges, 1);
    assert.equal(read(rtc, 0x0c), 0xc0);
    assert.equal(irq8.level, false);
    assert.equal(read(rtc, 0x0c), 0x00);
  });

  it('gives one update-ended interrupt per guest second', () => {
    irq8.onRise = () => {
      assert.equal(read(rtc, 0x0c) & 0x90, 0x90);
    };
    write(rtc, 0x0b, 0x12);
    machine.runNs(5.5e9);
    assert.equal(irq8.risingEdges, 5);
  });

  it('fires the alarm at the matching second', () => {
    write(rtc, 0x01, 0x03);
    write(rtc, 0x03, 0x00);
    write(rtc, 0x05, 0xc0); // any hour
    write(rtc, 0x0b, 0x22);
    machine.runNs(2.5e9);
    assert.equal(irq8.risingEdges, 0);
    machine.runNs(1e9);
    assert.equal(irq8.risingEdges, 1);
    assert.equal(read(rtc, 0x0c) & 0xa0, 0xa0);
  });

  it('sets UIP in the 2.228 ms before the registers change', () => {
    machine.runNs(0.5e9);
    assert.equal(read(rtc, 0x0a) & 0x80, 0);
    machine.runNs(0.499e9);
    assert.equal(read(rtc, 0x0a) & 0x80, 0x80);
    assert.equal(read(rtc, 0x00), 0x00);
    machine.runNs(0.002e9);
    assert.equal(read(rtc, 0x0a) & 0x80, 0);
    assert.equal(read(rtc, 0x00), 0x01);
  });

  it('keeps the NMI mask bit of the index port', () => {
    rtc.ioWrite(0x70, 1, 0x8f);
    assert.equal(rtc.nmiMasked, true);
    rtc.ioWrite(0x70, 1, 0x0f);
    assert.equal(rtc.nmiMasked, false);
  });

  it('fills the memory-size, floppy and equipment bytes with a valid checksum', () => {
    rtc.setMemorySize(32 * 1024 * 1024);
    rtc.setFloppyTypes(FloppyType.Mb1_44);
    rtc.setEquipmentByte(0x41);
    assert.deepEqual([0x15, 0x16, 0x17, 0x18, 0x30, 0x31, 0x34, 0x35].map((i) => read(rtc, i)), [
      0x80, 0x02, 0x00, 0x7c, 0x00, 0x7c, 0x00, 0x01,
    ]);
    assert.equal(read(rtc, 0x10), 0x40);
    let sum = 0;
    for (let i = 0x10; i <= 0x2d; i++) sum += read(rtc, i);
    assert.equal((read(rtc, 0x2e) << 8) | read(rtc, 0x2f), sum);
    rtc.setMemorySize(3 * 1024 * 1024 * 1024);
    assert.equal(read(rtc, 0x17) | (read(rtc, 0x18) << 8), 0xffff, 'capped');
  });

  it('starts from a configured time', () => {
    const other = new CmosRtc(machine.clock, irq8, { startTime: new Date(Date.UTC(1999, 11, 31, 23, 59, 59)) });
    assert.deepEqual([0x32, 9, 8, 7, 4, 2, 0].map((i) => read(other, i)), [0x19, 0x99, 0x12, 0x31, 0x23, 0x59, 0x59]);
    machine.runNs(1e9);
    assert.deepEqual([0x32, 9, 8, 7].map((i) => read(other, i)), [0x20, 0x00, 0x01, 0x01]);
  });

  it('round-trips its state mid-operation', () => {
    write(rtc, 0x0b, 0x42);
    write(rtc, 0x40, 0x5a);
    machine.runNs(0.25e9 + 1234);
    const saved = JSON.parse(JSON.stringify({ rtc: rtc.saveState(), clock: machine.clock.saveState() }));
    const at = machine.instructions;
    irq8.onRise = () => read(rtc, 0x0c);
    assert.equal(irq8.level, true);
    read(rtc, 0x0c);
    const edgesAtSave = irq8.risingEdges;
    machine.runNs(0.5e9);
    const originalEdges = irq8.risingEdges - edgesAtSave;
    assert.equal(originalEdges, 512);

    const machine2 = new FakeMachine();
    const irq2 = new RecordingIrqLine();
    const rtc2 = new CmosRtc(machine2.clock, irq2, { startTime: 0 });
    machine2.instructions = at;
    machine2.clock.loadState(saved.clock);
    rtc2.loadState(saved.rtc);
    irq2.onRise = () => read(rtc2, 0x0c);
    assert.equal(irq2.level, true, 'pending IRQ8 restored');
    read(rtc2, 0x0c);
    const edgesAtLoad = irq2.risingEdges;
    machine2.runNs(0.5e9);
    assert.equal(irq2.risingEdges - edgesAtLoad, originalEdges);
    assert.equal(read(rtc2, 0x40), 0x5a);
    assert.equal(rtc2.describe().time, rtc.describe().time);
  });
});
