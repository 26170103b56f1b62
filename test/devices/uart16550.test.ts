import { strict as assert } from 'node:assert';
import { Uart16550 } from '../../src/devices/uart16550';
import { FakeMachine, RecordingIrqLine } from './helpers';

const COM1 = 0x3f8;

describe('Uart16550', () => {
  let machine: FakeMachine;
  let irq4: RecordingIrqLine;
  let uart: Uart16550;
  let sent: number[];

  /** The usual firmware/kernel init: 115200 8N1, FIFOs on (trigger `fcr`), DTR+RTS+OUT2. */
  function init(fcr = 0xc7, ier = 0x00): void {
    uart.ioWrite(COM1 + 1, 1, 0x00);
    uart.ioWrite(COM1 + 3, 1, 0x80);
    uart.ioWrite(COM1 + 0, 1, 0x01);
    uart.ioWrite(COM1 + 1, 1, 0x00);
    uart.ioWrite(COM1 + 3, 1, 0x03);
    uart.ioWrite(COM1 + 2, 1, fcr);
    uart.ioWrite(COM1 + 4, 1, 0x0b);
    uart.ioWrite(COM1 + 1, 1, ier);
  }

  beforeEach(() => {
    machine = new FakeMachine();
    irq4 = new RecordingIrqLine();
    uart = new Uart16550(machine.clock, irq4);
    sent = [];
    uart.onTransmit = (b) => sent.push(b);
  });

  it('transmits polled bytes at once with THRE and TEMT always set', () => {
    init();
    for (const ch of 'Hi\n') {
      assert.equal(uart.ioRead(COM1 + 5, 1) & 0x60, 0x60);
      uart.ioWrite(COM1, 1, ch.charCodeAt(0));
    }
    assert.deepEqual(sent, [0x48, 0x69, 0x0a]);
    assert.equal(uart.describe().baud, 115200);
    assert.equal(uart.ioRead(COM1 + 3, 1), 0x03);
  });

  it('keeps the divisor behind DLAB and the scratch register', () => {
    uart.ioWrite(COM1 + 3, 1, 0x80);
    uart.ioWrite(COM1 + 0, 1, 0x0c);
    uart.ioWrite(COM1 + 1, 1, 0x00);
    assert.equal(uart.ioRead(COM1 + 0, 1), 0x0c);
    uart.ioWrite(COM1 + 3, 1, 0x03);
    assert.equal(uart.describe().baud, 9600);
    uart.ioWrite(COM1 + 7, 1, 0xa5);
    assert.equal(uart.ioRead(COM1 + 7, 1), 0xa5);
  });

  it('loops transmit back to receive and modem outputs to inputs in loopback mode', () => {
    init();
    uart.ioWrite(COM1 + 4, 1, 0x1e); // loopback, RTS, OUT1, OUT2
    assert.equal(uart.ioRead(COM1 + 6, 1) & 0xf0, 0xd0, 'CTS=RTS, RI=OUT1, DCD=OUT2, DSR=DTR(0)');
    uart.ioWrite(COM1, 1, 0xae);
    assert.deepEqual(sent, []);
    assert.equal(uart.ioRead(COM1 + 5, 1) & 0x01, 0x01);
    assert.equal(uart.ioRead(COM1, 1), 0xae);
    assert.equal(uart.ioRead(COM1 + 5, 1) & 0x01, 0x00);
    uart.ioWrite(COM1 + 4, 1, 0x11); // loopback, DTR only
    assert.equal(uart.ioRead(COM1 + 6, 1), 0x20 | 0x0b | 0x04, 'DSR now; deltas for CTS, DSR, DCD; RI trailing edge');
    assert.equal(uart.ioRead(COM1 + 6, 1), 0x20, 'deltas clear on read');
  });

  it('holds 16 bytes in the FIFO and flags an overrun', () => {
    init();
    uart.ioWrite(COM1 + 4, 1, 0x10);
    for (let i = 0; i < 20; i++) uart.ioWrite(COM1, 1, 0x40 + i);
    assert.equal(uart.ioRead(COM1 + 5, 1) & 0x03, 0x03);
    assert.equal(uart.ioRead(COM1 + 5, 1) & 0x02, 0x00, 'OE clears on LSR read');
    const got: number[] = [];
    while (uart.ioRead(COM1 + 5, 1) & 1) got.push(uart.ioRead(COM1, 1));
    assert.deepEqual(got, Array.from({ length: 16 }, (_, i) => 0x40 + i));
  });

  it('raises the THRE interrupt on IER write, clears it on IIR read and after a THR write raises it again', () => {
    init(0xc7, 0x00);
    assert.equal(irq4.level, false);
    uart.ioWrite(COM1 + 1, 1, 0x02);
    assert.equal(irq4.level, true);
    assert.equal(uart.ioRead(COM1 + 2, 1), 0xc2);
    assert.equal(irq4.level, false);
    assert.equal(uart.ioRead(COM1 + 2, 1), 0xc1);
    uart.ioWrite(COM1 + 1, 1, 0x00);
    uart.ioWrite(COM1 + 1, 1, 0x02);
    assert.equal(uart.ioRead(COM1 + 2, 1), 0xc2, 'as Linux probes for UART_BUG_THRE');
    uart.ioWrite(COM1, 1, 0x41);
    assert.equal(irq4.level, true);
    assert.equal(irq4.risingEdges, 3);
    assert.deepEqual(sent, [0x41]);
  });

  it('signals received data at the FIFO trigger level, else after the character timeout', () => {
    init(0x41, 0x01); // FIFO on, trigger level 4, RX interrupt
    uart.receive('ab');
    assert.equal(irq4.level, false);
    assert.equal(uart.ioRead(COM1 + 2, 1), 0xc1);
    machine.runNs(Math.ceil(4 * uart.characterTimeNs()) + 10);
    assert.equal(irq4.level, true);
    assert.equal(uart.ioRead(COM1 + 2, 1), 0xcc);
    assert.equal(uart.ioRead(COM1, 1), 0x61);
    assert.equal(irq4.level, false, 'a read restarts the timeout');
    assert.equal(uart.ioRead(COM1, 1), 0x62);
    uart.receive('cdefg');
    assert.equal(irq4.level, true);
    assert.equal(uart.ioRead(COM1 + 2, 1), 0xc4);
    const got: number[] = [];
    while (uart.ioRead(COM1 + 5, 1) & 1) got.push(uart.ioRead(COM1, 1));
    assert.equal(String.fromCharCode(...got), 'cdefg');
    assert.equal(irq4.level, false);
  });

  it('feeds a long host input through the FIFO as the guest reads', () => {
    init();
    const text = 'The quick brown fox jumps over the lazy dog.';
    uart.receive(text);
    assert.equal(uart.describe().rxFifo.length, 16);
    let got = '';
    while (uart.ioRead(COM1 + 5, 1) & 1) got += String.fromCharCode(uart.ioRead(COM1, 1));
    assert.equal(got, text);
    assert.equal(uart.pendingInput(), 0);
  });

  it('a non-FIFO UART holds one byte and interrupts per byte', () => {
    init(0x00, 0x01);
    uart.receive([1, 2]);
    assert.equal(uart.ioRead(COM1 + 2, 1), 0x04);
    assert.equal(uart.ioRead(COM1, 1), 1);
    assert.equal(irq4.level, true, 'the next byte arrived');
    assert.equal(uart.ioRead(COM1, 1), 2);
    assert.equal(irq4.level, false);
  });

  it('keeps the IRQ line quiet without OUT2', () => {
    init(0x07, 0x03); // trigger level 1
    uart.ioWrite(COM1 + 4, 1, 0x03);
    uart.receive('x');
    assert.equal(irq4.level, false);
    assert.equal(uart.ioRead(COM1 + 2, 1) & 0x0f, 0x04);
    uart.ioWrite(COM1 + 4, 1, 0x0b);
    assert.equal(irq4.level, true);
  });

  it('round-trips its state mid-operation', () => {
    init(0x81, 0x01);
    uart.receive('0123456789abcdefXYZ');
    uart.ioRead(COM1, 1);
    const saved = JSON.parse(JSON.stringify(uart.saveState()));
    const copy = new Uart16550(machine.clock, new RecordingIrqLine());
    copy.loadState(saved);
    assert.deepEqual(copy.describe(), uart.describe());
    let got = '';
    while (copy.ioRead(COM1 + 5, 1) & 1) got += String.fromCharCode(copy.ioRead(COM1, 1));
    assert.equal(got, '123456789abcdefXYZ');
  });
});
