import { strict as assert } from 'node:assert';
import { Pic8259Pair } from '../../src/devices/pic';

/** The sequence SeaBIOS and Linux use: ICW1 edge+ICW4, vectors 0x08/0x70 (BIOS) or 0x20/0x28, cascade on IR2, 8086 mode. */
function initPic(pic: Pic8259Pair, masterBase = 0x08, slaveBase = 0x70, icw4 = 0x01): void {
  pic.ioWrite(0x20, 1, 0x11);
  pic.ioWrite(0xa0, 1, 0x11);
  pic.ioWrite(0x21, 1, masterBase);
  pic.ioWrite(0xa1, 1, slaveBase);
  pic.ioWrite(0x21, 1, 0x04);
  pic.ioWrite(0xa1, 1, 0x02);
  pic.ioWrite(0x21, 1, icw4);
  pic.ioWrite(0xa1, 1, icw4);
  pic.ioWrite(0x21, 1, 0x00);
  pic.ioWrite(0xa1, 1, 0x00);
}

function pulse(pic: Pic8259Pair, irq: number): void {
  pic.irqLine(irq).setLevel(true);
  pic.irqLine(irq).setLevel(false);
}

describe('Pic8259Pair', () => {
  let pic: Pic8259Pair;
  let intrChanges: boolean[];
  beforeEach(() => {
    pic = new Pic8259Pair();
    intrChanges = [];
    pic.onIntrChange = (level) => intrChanges.push(level);
    initPic(pic);
  });

  it('delivers a master IRQ with the ICW2 vector and sets ISR', () => {
    pulse(pic, 0);
    assert.equal(pic.intrLevel(), true);
    assert.deepEqual(intrChanges, [true]);
    assert.equal(pic.acknowledge(), 0x08);
    assert.equal(pic.intrLevel(), false);
    pic.ioWrite(0x20, 1, 0x0b); // OCW3: read ISR
    assert.equal(pic.ioRead(0x20, 1), 0x01);
    pic.ioWrite(0x20, 1, 0x20); // non-specific EOI
    assert.equal(pic.ioRead(0x20, 1), 0x00);
  });

  it('delivers slave IRQs through the cascade and needs EOI to both chips', () => {
    pulse(pic, 14);
    assert.equal(pic.intrLevel(), true);
    assert.equal(pic.acknowledge(), 0x76);
    pic.ioWrite(0x20, 1, 0x0b);
    pic.ioWrite(0xa0, 1, 0x0b);
    assert.equal(pic.ioRead(0x20, 1), 0x04);
    assert.equal(pic.ioRead(0xa0, 1), 0x40);
    // A lower-priority slave request waits until both EOIs.
    pulse(pic, 15);
    assert.equal(pic.intrLevel(), false);
    pic.ioWrite(0xa0, 1, 0x20);
    assert.equal(pic.intrLevel(), false, 'master ISR bit 2 still blocks');
    pic.ioWrite(0x20, 1, 0x20);
    assert.equal(pic.intrLevel(), true);
    assert.equal(pic.acknowledge(), 0x77);
  });

  it('keeps priority order and nests higher-priority requests', () => {
    pulse(pic, 5);
    pulse(pic, 3);
    assert.equal(pic.acknowledge(), 0x0b);
    assert.equal(pic.intrLevel(), false, 'IRQ5 is lower than IRQ3 in service');
    pulse(pic, 1);
    assert.equal(pic.intrLevel(), true);
    assert.equal(pic.acknowledge(), 0x09);
    pic.ioWrite(0x20, 1, 0x20); // EOI clears IRQ1 (highest in service)
    pic.ioWrite(0x20, 1, 0x0b);
    assert.equal(pic.ioRead(0x20, 1), 0x08);
    pic.ioWrite(0x20, 1, 0x63); // specific EOI for IR3
    assert.equal(pic.acknowledge(), 0x0d);
  });

  it('masks through OCW1 and reads IMR back; IRR still latches masked requests', () => {
    pic.ioWrite(0x21, 1, 0x01);
    assert.equal(pic.ioRead(0x21, 1), 0x01);
    pulse(pic, 0);
    assert.equal(pic.intrLevel(), false);
    pic.ioWrite(0x20, 1, 0x0a); // read IRR
    assert.equal(pic.ioRead(0x20, 1), 0x01);
    pic.ioWrite(0x21, 1, 0x00);
    assert.equal(pic.intrLevel(), true);
    assert.equal(pic.acknowledge(), 0x08);
  });

  it('answers a spurious IRQ7 when the request is masked before INTA', () => {
    pulse(pic, 4);
    assert.equal(pic.intrLevel(), true);
    pic.ioWrite(0x21, 1, 0x10);
    assert.equal(pic.acknowledge(), 0x0f);
    pic.ioWrite(0x20, 1, 0x0b);
    assert.equal(pic.ioRead(0x20, 1), 0x00, 'spurious IRQ7 sets no ISR bit');
  });

  it('answers the master spurious IRQ7 when a slave request goes away before INTA', () => {
    pic.irqLine(12).setLevel(true);
    pic.ioWrite(0xa1, 1, 0x10);
    // The slave's INT dropped, so the master no longer requests: spurious IRQ7 on the master.
    assert.equal(pic.acknowledge(), 0x0f);
  });

  it('supports level-triggered lines through the ELCR', () => {
    pic.ioWrite(0x4d1, 1, 0xff);
    assert.equal(pic.ioRead(0x4d1, 1), 0xde, 'IRQ8 and IRQ13 stay edge-triggered');
    pic.irqLine(11).setLevel(true);
    assert.equal(pic.acknowledge(), 0x73);
    pic.ioWrite(0xa0, 1, 0x20);
    pic.ioWrite(0x20, 1, 0x20);
    assert.equal(pic.intrLevel(), true, 'a held level re-requests after EOI');
    pic.irqLine(11).setLevel(false);
    assert.equal(pic.intrLevel(), false);
  });

  it('an edge line held high requests once', () => {
    pic.irqLine(4).setLevel(true);
    assert.equal(pic.acknowledge(), 0x0c);
    pic.ioWrite(0x20, 1, 0x20);
    assert.equal(pic.intrLevel(), false);
    pic.irqLine(4).setLevel(false);
    pic.irqLine(4).setLevel(true);
    assert.equal(pic.intrLevel(), true);
  });

  it('auto-EOI mode leaves ISR clear', () => {
    initPic(pic, 0x20, 0x28, 0x03);
    pulse(pic, 6);
    assert.equal(pic.acknowledge(), 0x26);
    pic.ioWrite(0x20, 1, 0x0b);
    assert.equal(pic.ioRead(0x20, 1), 0);
    pulse(pic, 7);
    assert.equal(pic.acknowledge(), 0x27);
  });

  it('rotates priority on EOI and with set-priority', () => {
    pic.ioWrite(0x20, 1, 0xc4); // set priority: IR4 lowest, IR5 highest
    pulse(pic, 3);
    pulse(pic, 6);
    assert.equal(pic.acknowledge(), 0x0e);
    pic.ioWrite(0x20, 1, 0xa0); // rotate on non-specific EOI: IR6 becomes lowest
    assert.equal(pic.describe().master.highestPriorityIrq, 7);
    assert.equal(pic.acknowledge(), 0x0b);
    pic.ioWrite(0x20, 1, 0xe3); // rotate on specific EOI 3
    assert.equal(pic.describe().master.highestPriorityIrq, 4);
  });

  it('poll mode returns 0x80|level and acknowledges', () => {
    pulse(pic, 5);
    pic.ioWrite(0x20, 1, 0x0c);
    assert.equal(pic.ioRead(0x20, 1), 0x85);
    assert.equal(pic.intrLevel(), false);
    pic.ioWrite(0x20, 1, 0x0c);
    assert.equal(pic.ioRead(0x20, 1), 0x00);
    pic.ioWrite(0x20, 1, 0x0b);
    assert.equal(pic.ioRead(0x20, 1), 0x20);
  });

  it('special mask mode lets lower priorities through a masked in-service level', () => {
    pulse(pic, 1);
    assert.equal(pic.acknowledge(), 0x09);
    pulse(pic, 6);
    assert.equal(pic.intrLevel(), false);
    pic.ioWrite(0x21, 1, 0x02);
    pic.ioWrite(0x20, 1, 0x68); // set special mask
    assert.equal(pic.intrLevel(), true);
    assert.equal(pic.acknowledge(), 0x0e);
    pic.ioWrite(0x20, 1, 0x48); // reset special mask
    assert.equal(pic.describe().master.specialMask, false);
  });

  it('ICW1 clears masks, ISR and the edge latches', () => {
    pic.ioWrite(0x21, 1, 0xff);
    pulse(pic, 3);
    initPic(pic);
    assert.equal(pic.intrLevel(), false);
    assert.equal(pic.describe().master.irr, 0);
  });

  it('round-trips its state mid-operation', () => {
    pulse(pic, 9);
    pulse(pic, 3);
    assert.equal(pic.acknowledge(), 0x71);
    const saved = JSON.parse(JSON.stringify(pic.saveState()));
    const copy = new Pic8259Pair();
    copy.loadState(saved);
    assert.deepEqual(copy.describe(), pic.describe());
    copy.ioWrite(0xa0, 1, 0x20);
    copy.ioWrite(0x20, 1, 0x20);
    assert.equal(copy.acknowledge(), 0x0b);
  });
});
