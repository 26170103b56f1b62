// The PIT, RTC and UART wired to the PIC pair as a PC board wires them, with
// a stand-in CPU that takes an interrupt whenever INTR is high and its
// handler sends EOI: vectors arrive at the programmed rates.
import { strict as assert } from 'node:assert';
import { CmosRtc } from '../../src/devices/cmos';
import { Pic8259Pair } from '../../src/devices/pic';
import { Pit8254 } from '../../src/devices/pit';
import { Uart16550 } from '../../src/devices/uart16550';
import { FakeMachine } from './helpers';

describe('PIC with PIT, RTC and UART', () => {
  it('delivers IRQ0, IRQ8 (cascaded) and IRQ4 at the right vectors and rates', () => {
    const machine = new FakeMachine();
    const pic = new Pic8259Pair();
    const pit = new Pit8254(machine.clock, pic.irqLine(0));
    const rtc = new CmosRtc(machine.clock, pic.irqLine(8));
    const uart = new Uart16550(machine.clock, pic.irqLine(4));
    const counts = new Map<number, number>();
    let received = '';

    // Stand-in CPU: IF=1 always; an interrupt handler runs to completion at once.
    let inHandler = false;
    const takeInterrupts = (): void => {
      if (inHandler) return;
      inHandler = true;
      while (pic.intrLevel()) {
        const vector = pic.acknowledge();
        counts.set(vector, (counts.get(vector) ?? 0) + 1);
        if (vector === 0x70) {
          rtc.ioWrite(0x70, 1, 0x0c);
          rtc.ioRead(0x71, 1);
        }
        if (vector === 0x0c) {
          while (uart.ioRead(0x3fd, 1) & 1) received += String.fromCharCode(uart.ioRead(0x3f8, 1));
        }
        if (vector >= 0x70) pic.ioWrite(0xa0, 1, 0x20);
        pic.ioWrite(0x20, 1, 0x20);
      }
      inHandler = false;
    };
    pic.onIntrChange = (level) => {
      if (level) takeInterrupts();
    };

    // SeaBIOS-style PIC setup, everything unmasked.
    for (const [port, value] of [
      [0x20, 0x11], [0xa0, 0x11], [0x21, 0x08], [0xa1, 0x70], [0x21, 0x04], [0xa1, 0x02], [0x21, 0x01], [0xa1, 0x01],
      [0x21, 0x00], [0xa1, 0x00],
    ] as const) {
      pic.ioWrite(port, 1, value);
    }
    // PIT channel 0: mode 3, 18.2 Hz.
    pit.ioWrite(0x43, 1, 0x36);
    pit.ioWrite(0x40, 1, 0);
    pit.ioWrite(0x40, 1, 0);
    // RTC: 2 Hz periodic (rate 0x0F) + PIE.
    rtc.ioWrite(0x70, 1, 0x0a);
    rtc.ioWrite(0x71, 1, 0x2f);
    rtc.ioWrite(0x70, 1, 0x0b);
    rtc.ioWrite(0x71, 1, 0x42);
    // UART: RX interrupts, FIFO trigger 1, OUT2.
    uart.ioWrite(0x3fa, 1, 0x07);
    uart.ioWrite(0x3fc, 1, 0x0b);
    uart.ioWrite(0x3f9, 1, 0x01);

    machine.runNs(0.5e9);
    uart.receive('ok');
    machine.runNs(0.5e9);

    assert.equal(counts.get(0x08), Math.floor((1193182 - 1) / 65536));
    assert.equal(counts.get(0x70), 2);
    assert.equal(counts.get(0x0c), 1);
    assert.equal(received, 'ok');
    assert.equal(counts.get(0x0f), undefined, 'no spurious IRQ7');
    assert.deepEqual(pic.describe().master.isr, 0);
  });
});
