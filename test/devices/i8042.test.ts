import { strict as assert } from 'node:assert';
import { I8042 } from '../../src/devices/i8042';
import { SET2_TO_SET1 } from '../../src/devices/scancodes';
import { RecordingIrqLine } from './helpers';

describe('I8042', () => {
  let irq1: RecordingIrqLine;
  let irq12: RecordingIrqLine;
  let a20: boolean[];
  let resets: number;
  let kbc: I8042;

  function command(cmd: number, data?: number): void {
    kbc.ioWrite(0x64, 1, cmd);
    if (data !== undefined) kbc.ioWrite(0x60, 1, data);
  }

  /** Everything in the output buffer, read by polling the status register. */
  function drain(): number[] {
    const out: number[] = [];
    while (kbc.ioRead(0x64, 1) & 1) out.push(kbc.ioRead(0x60, 1));
    return out;
  }

  beforeEach(() => {
    irq1 = new RecordingIrqLine();
    irq12 = new RecordingIrqLine();
    a20 = [];
    resets = 0;
    kbc = new I8042(irq1, irq12, { setA20: (e) => a20.push(e), requestReset: () => resets++ });
  });

  it('passes the controller and interface self tests', () => {
    command(0xaa);
    assert.equal(kbc.ioRead(0x64, 1) & 0x0d, 0x0d, 'OBF, system flag, last write was a command');
    assert.deepEqual(drain(), [0x55]);
    command(0xab);
    command(0xa9);
    assert.deepEqual(drain(), [0x00, 0x00]);
    assert.equal(kbc.ioRead(0x64, 1) & 0x01, 0);
  });

  it('reads and writes the configuration byte', () => {
    command(0x20);
    assert.deepEqual(drain(), [0x45]);
    command(0x60, 0x65);
    assert.equal(kbc.ioRead(0x64, 1) & 0x08, 0, 'last write was data');
    command(0x20);
    assert.deepEqual(drain(), [0x65]);
  });

  it('switches A20 through the output port and the DD/DF shorthands', () => {
    command(0xd0);
    assert.equal(drain()[0]! & 0x03, 0x01, 'A20 off, not in reset');
    command(0xd1, 0xdf);
    assert.deepEqual(a20, [true]);
    assert.equal(kbc.a20Enabled, true);
    command(0xd0);
    assert.equal(drain()[0]! & 0x03, 0x03);
    command(0xdd);
    command(0xdf);
    assert.deepEqual(a20, [true, false, true]);
    assert.equal(resets, 0);
  });

  it('resets the CPU on FE and on an output port write with bit 0 clear', () => {
    command(0xfe);
    assert.equal(resets, 1);
    command(0xff);
    assert.equal(resets, 1, '0xFF pulses nothing');
    command(0xd1, 0xdc);
    assert.equal(resets, 2);
  });

  it('answers keyboard commands, translating through set 1 when the translate bit is set', () => {
    kbc.ioWrite(0x60, 1, 0xff);
    assert.deepEqual(drain(), [0xfa, 0xaa]);
    kbc.ioWrite(0x60, 1, 0xf2);
    assert.deepEqual(drain(), [0xfa, 0xab, 0x41], 'AB 83 translated');
    command(0x60, 0x05); // translation off
    kbc.ioWrite(0x60, 1, 0xf2);
    assert.deepEqual(drain(), [0xfa, 0xab, 0x83]);
    kbc.ioWrite(0x60, 1, 0xed);
    kbc.ioWrite(0x60, 1, 0x04);
    assert.deepEqual(drain(), [0xfa, 0xfa]);
    assert.equal(kbc.describe().leds.capsLock, true);
    kbc.ioWrite(0x60, 1, 0xf3);
    kbc.ioWrite(0x60, 1, 0x20);
    kbc.ioWrite(0x60, 1, 0xee);
    kbc.ioWrite(0x60, 1, 0xf0);
    kbc.ioWrite(0x60, 1, 0x00);
    assert.deepEqual(drain(), [0xfa, 0xfa, 0xee, 0xfa, 0xfa, 0x02]);
    kbc.ioWrite(0x60, 1, 0xf5);
    kbc.pressKey('KeyA');
    kbc.ioWrite(0x60, 1, 0xf4);
    assert.deepEqual(drain(), [0xfa, 0xfa], 'no key while scanning is off');
  });

  it('types text as set 1 scan codes with shift, raising IRQ1 per byte', () => {
    let delivered: number[] = [];
    let pending = false;
    irq1.onRise = () => {
      pending = true;
    };
    /** What the CPU and an INT 9 handler do: one byte read per interrupt. */
    const serviceInterrupts = (): void => {
      while (pending) {
        pending = false;
        delivered.push(kbc.ioRead(0x60, 1));
      }
    };
    kbc.typeText('aB\n');
    serviceInterrupts();
    assert.deepEqual(delivered, [0x1e, 0x9e, 0x2a, 0x30, 0xb0, 0xaa, 0x1c, 0x9c]);
    assert.equal(irq1.risingEdges, 8);
    delivered = [];
    kbc.pressKey('ArrowUp');
    kbc.releaseKey(0xe048);
    serviceInterrupts();
    assert.deepEqual(delivered, [0xe0, 0x48, 0xe0, 0xc8]);
  });

  it('sends raw set 2 without translation and set 1 when selected', () => {
    command(0x60, 0x01); // IRQ1 on, translation off
    kbc.pressKey('KeyA');
    kbc.releaseKey('KeyA');
    kbc.pressKey('ControlRight');
    kbc.releaseKey('ControlRight');
    assert.deepEqual(drain(), [0x1c, 0xf0, 0x1c, 0xe0, 0x14, 0xe0, 0xf0, 0x14]);
    kbc.ioWrite(0x60, 1, 0xf0);
    kbc.ioWrite(0x60, 1, 0x01);
    drain();
    kbc.typeText('z');
    assert.deepEqual(drain(), [0x2c, 0xac]);
  });

  it('holds keys while the keyboard interface is disabled and IRQ1 off in the config byte', () => {
    command(0xad);
    kbc.typeText('x');
    assert.equal(kbc.ioRead(0x64, 1) & 1, 0);
    command(0x60, 0x44); // interface on, IRQ1 off
    assert.equal(irq1.risingEdges, 0);
    assert.equal(irq1.level, false);
    assert.deepEqual(drain(), [0x2d, 0xad]);
  });

  it('derives the set 2 to set 1 translation from the key table', () => {
    assert.equal(SET2_TO_SET1[0x1c], 0x1e); // A
    assert.equal(SET2_TO_SET1[0x83], 0x41); // F7
    assert.equal(SET2_TO_SET1[0x77], 0x45); // Num Lock
    assert.equal(SET2_TO_SET1[0xe0], 0xe0);
    assert.equal(SET2_TO_SET1[0xfa], 0xfa);
  });

  it('answers mouse commands on the aux port with IRQ12', () => {
    command(0x60, 0x47); // IRQ1 + IRQ12
    command(0xa8);
    command(0xd4, 0xf2);
    assert.equal(kbc.ioRead(0x64, 1) & 0x21, 0x21, 'aux data in the buffer');
    assert.equal(irq12.level, true);
    assert.deepEqual(drain(), [0xfa, 0x00]);
    command(0xd4, 0xff);
    assert.deepEqual(drain(), [0xfa, 0xaa, 0x00]);
    command(0xd3, 0x5a); // aux loopback
    assert.deepEqual(drain(), [0x5a]);
    assert.equal(irq12.level, false);
  });

  it('round-trips its state with bytes queued', () => {
    kbc.typeText('hi');
    assert.equal(kbc.ioRead(0x60, 1), 0x23);
    const saved = JSON.parse(JSON.stringify(kbc.saveState()));
    const copy = new I8042(new RecordingIrqLine(), null, { setA20: () => {}, requestReset: () => {} });
    copy.loadState(saved);
    const rest: number[] = [];
    while (copy.ioRead(0x64, 1) & 1) rest.push(copy.ioRead(0x60, 1));
    assert.deepEqual(rest, [0xa3, 0x17, 0x97]);
  });
});
