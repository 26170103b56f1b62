// The "Devices" scope: the board's interrupt controllers, timer, RTC and
// serial port as each device describes itself (src/vmm/inspect.ts's
// describeDevices), with register bits decoded. Read-only: a debugger that
// wrote device registers behind the guest's back would change what it sees.

import { describeDevices, Pic8259ChipView, PitChannelView, RtcView, Uart16550View } from '../vmm/inspect';
import type { VmexitRuntime } from './runtime';
import { hex, StateNode } from './registerView';

function irqList(mask: number, first: number): string {
  const on: string[] = [];
  for (let i = 0; i < 8; i++) if ((mask >>> i) & 1) on.push(`IRQ${first + i}`);
  return on.length ? on.join(' ') : '—';
}

function bitList(value: number, bits: readonly [string, number][]): string {
  const on = bits.filter(([, b]) => (value >>> b) & 1).map(([n]) => n);
  return on.length ? on.join(' ') : '—';
}

function regNode(name: string, value: number, digits: number, bits: readonly [string, number][], title?: string): StateNode {
  return {
    name,
    value: `${hex(value, digits)} [${bitList(value, bits)}]`,
    type: title,
    children: () => bits.map(([n, b]) => ({ name: n, value: String((value >>> b) & 1) })),
  };
}

function picChip(name: string, chip: Pic8259ChipView, first: number): StateNode {
  const mode = [
    chip.initialised ? 'initialised' : 'awaiting ICWs',
    chip.autoEoi ? 'auto EOI' : 'normal EOI',
    chip.specialFullyNested ? 'special fully nested' : 'fully nested',
  ];
  if (chip.specialMask) mode.push('special mask');
  return {
    name,
    value: `IRR ${hex(chip.irr, 2)} ISR ${hex(chip.isr, 2)} IMR ${hex(chip.imr, 2)}, vectors ${hex(chip.vectorBase, 2)}-${hex(chip.vectorBase + 7, 2)}`,
    children: () => [
      { name: 'IRR', value: `${hex(chip.irr, 2)} [${irqList(chip.irr, first)}]`, type: 'interrupt requests waiting' },
      { name: 'ISR', value: `${hex(chip.isr, 2)} [${irqList(chip.isr, first)}]`, type: 'in service (no EOI yet)' },
      { name: 'IMR', value: `${hex(chip.imr, 2)} [${irqList(chip.imr, first)}]`, type: 'masked' },
      { name: 'vector base', value: hex(chip.vectorBase, 2), type: `IRQ${first} → INT ${hex(chip.vectorBase, 2)}` },
      { name: 'mode', value: mode.join(', ') },
      { name: 'level triggered', value: `${hex(chip.levelTriggered, 2)} [${irqList(chip.levelTriggered, first)}]`, type: 'ELCR' },
      { name: 'highest priority', value: `IRQ${first + chip.highestPriorityIrq}` },
      { name: 'read register', value: chip.readRegister, type: 'what a read of the command port returns (OCW3)' },
    ],
  };
}

const PIT_MODES = [
  'interrupt on terminal count',
  'hardware one-shot',
  'rate generator',
  'square wave',
  'software strobe',
  'hardware strobe',
  'rate generator',
  'square wave',
] as const;

function pitChannel(index: number, ch: PitChannelView): StateNode {
  const use = ['IRQ0 (system timer)', 'DRAM refresh', 'PC speaker'][index];
  return {
    name: `channel ${index}`,
    value: `mode ${ch.mode} (${PIT_MODES[ch.mode] ?? '?'}), count ${hex(ch.count, 4)} of ${hex(ch.initialCount, 4)}, OUT ${ch.out ? 'high' : 'low'}`,
    type: use,
    children: () => [
      { name: 'mode', value: `${ch.mode} (${PIT_MODES[ch.mode] ?? '?'})` },
      { name: 'count', value: `${hex(ch.count, 4)} (${ch.count})`, type: 'current counter' },
      { name: 'initial count', value: `${hex(ch.initialCount, 4)} (${ch.initialCount === 0 ? 65536 : ch.initialCount})`, type: 'reload value' },
      { name: 'OUT', value: ch.out ? 'high' : 'low' },
      { name: 'GATE', value: ch.gate ? 'high' : 'low' },
      { name: 'access', value: ch.access },
      { name: 'BCD', value: ch.bcd ? 'yes' : 'no' },
      { name: 'null count', value: ch.nullCount ? 'yes' : 'no', type: 'a new count is written but not loaded yet' },
      { name: 'latched count', value: ch.latchedCount === null ? '—' : hex(ch.latchedCount, 4) },
      { name: 'latched status', value: ch.latchedStatus === null ? '—' : hex(ch.latchedStatus, 2) },
    ],
  };
}

const RTC_A_BITS: readonly [string, number][] = [['UIP', 7]];
const RTC_B_BITS: readonly [string, number][] = [['SET', 7], ['PIE', 6], ['AIE', 5], ['UIE', 4], ['SQWE', 3], ['DM', 2], ['24/12', 1], ['DSE', 0]];
const RTC_C_BITS: readonly [string, number][] = [['IRQF', 7], ['PF', 6], ['AF', 5], ['UF', 4]];
const RTC_D_BITS: readonly [string, number][] = [['VRT', 7]];

function rtcNode(rtc: RtcView): StateNode {
  const a = rtc.registerA;
  return {
    name: 'RTC/CMOS',
    value: `${rtc.time}${rtc.halted ? ' (halted: SET)' : ''}`,
    children: () => [
      { name: 'time', value: rtc.time, type: `${rtc.binary ? 'binary' : 'BCD'}, ${rtc.hour24 ? '24-hour' : '12-hour'}` },
      { ...regNode('register A', a, 2, RTC_A_BITS), type: `divider ${(a >>> 4) & 7}, rate ${a & 15}${rtc.periodicHz === null ? ', periodic off' : `, periodic ${rtc.periodicHz} Hz`}` },
      regNode('register B', rtc.registerB, 2, RTC_B_BITS),
      regNode('register C', rtc.registerC, 2, RTC_C_BITS, 'flags pending (reading clears them)'),
      regNode('register D', rtc.registerD, 2, RTC_D_BITS),
      { name: 'index', value: hex(rtc.index, 2), type: 'port 70h selection' },
      { name: 'NMI', value: rtc.nmiDisabled ? 'disabled' : 'enabled', type: 'port 70h bit 7' },
      { name: 'IRQ8', value: rtc.irq8High ? 'high' : 'low' },
    ],
  };
}

const IER_BITS: readonly [string, number][] = [['ERBFI', 0], ['ETBEI', 1], ['ELSI', 2], ['EDSSI', 3]];
const LSR_BITS: readonly [string, number][] = [['DR', 0], ['OE', 1], ['PE', 2], ['FE', 3], ['BI', 4], ['THRE', 5], ['TEMT', 6], ['RXFE', 7]];
const MCR_BITS: readonly [string, number][] = [['DTR', 0], ['RTS', 1], ['OUT1', 2], ['OUT2', 3], ['LOOP', 4]];
const MSR_BITS: readonly [string, number][] = [['DCTS', 0], ['DDSR', 1], ['TERI', 2], ['DDCD', 3], ['CTS', 4], ['DSR', 5], ['RI', 6], ['DCD', 7]];

function lcrText(lcr: number): string {
  const parity = lcr & 8 ? ['odd', 'even', 'mark', 'space'][(lcr >>> 4) & 3] : 'none';
  const parts = [`${5 + (lcr & 3)} data bits`, `parity ${parity}`, `${lcr & 4 ? ((lcr & 3) === 0 ? '1.5' : '2') : '1'} stop bit${lcr & 4 ? 's' : ''}`];
  if (lcr & 0x40) parts.push('break');
  if (lcr & 0x80) parts.push('DLAB');
  return parts.join(', ');
}

function iirText(iir: number): string {
  if (iir & 1) return 'no interrupt pending';
  return ({ 6: 'receiver line status', 4: 'received data available', 0xc: 'character timeout', 2: 'transmitter empty', 0: 'modem status' } as Record<number, string>)[iir & 0xe] ?? 'reserved';
}

function uartNode(u: Uart16550View): StateNode {
  const frame = `${5 + (u.lcr & 3)}${(u.lcr & 8 ? ['O', 'E', 'M', 'S'][(u.lcr >>> 4) & 3] : 'N')}${u.lcr & 4 ? 2 : 1}`;
  return {
    name: `UART (COM1 ${hex(u.basePort, 3)})`,
    value: `${u.baud} baud ${frame}, LSR ${hex(u.lsr, 2)}, ${u.rxFifo.length} byte(s) received`,
    children: () => [
      { name: 'LCR', value: `${hex(u.lcr, 2)} (${lcrText(u.lcr)})`, type: 'line control' },
      regNode('IER', u.ier, 2, IER_BITS, 'interrupt enable'),
      { name: 'IIR', value: `${hex(u.iir, 2)} (${iirText(u.iir)}${u.iir & 0xc0 ? ', FIFOs enabled' : ''})`, type: 'interrupt identification' },
      regNode('LSR', u.lsr, 2, LSR_BITS, 'line status'),
      regNode('MCR', u.mcr, 2, MCR_BITS, 'modem control'),
      regNode('MSR', u.msr, 2, MSR_BITS, 'modem status'),
      { name: 'SCR', value: hex(u.scr, 2), type: 'scratch' },
      { name: 'divisor', value: `${hex(u.divisor, 4)} (${u.baud} baud)` },
      { name: 'FIFO', value: u.fifoEnabled ? `enabled, receive trigger ${u.rxTriggerLevel}` : 'off (16450 mode)' },
      { name: 'receive FIFO', value: u.rxFifo.length ? u.rxFifo.map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ') : 'empty' },
      { name: 'host queue', value: String(u.hostQueueLength), type: 'bytes typed by the host, not yet in the FIFO' },
      { name: 'loopback', value: u.loopback ? 'on' : 'off' },
      { name: 'IRQ4', value: u.irqHigh ? 'high' : 'low' },
    ],
  };
}

/** The Devices scope. */
export function deviceNodes(runtime: VmexitRuntime): StateNode[] {
  const d = describeDevices(runtime.machine);
  const pit = d.pit;
  return [
    {
      name: 'PIC',
      value: `master IRR ${hex(d.pic.master.irr, 2)} ISR ${hex(d.pic.master.isr, 2)} IMR ${hex(d.pic.master.imr, 2)}; slave IRR ${hex(d.pic.slave.irr, 2)} ISR ${hex(d.pic.slave.isr, 2)} IMR ${hex(d.pic.slave.imr, 2)}; INTR ${d.pic.intr ? 'high' : 'low'}`,
      children: () => [picChip('master', d.pic.master, 0), picChip('slave', d.pic.slave, 8), { name: 'INTR', value: d.pic.intr ? 'high' : 'low', type: 'to the CPU' }],
    },
    {
      name: 'PIT',
      value: pit.channels.map((c, i) => `ch${i} mode ${c.mode} count ${hex(c.count, 4)}`).join('; '),
      children: () => [
        ...pit.channels.map((c, i) => pitChannel(i, c)),
        { name: 'speaker', value: `gate ${pit.speakerGate ? 'on' : 'off'}, data ${pit.speakerDataEnable ? 'on' : 'off'}`, type: 'port 61h bits 0-1' },
        { name: 'IRQ0', value: pit.irq0High ? 'high' : 'low' },
        { name: 'next IRQ0', value: pit.nextIrq0Ns === null ? '—' : `${pit.nextIrq0Ns} ns guest time` },
      ],
    },
    rtcNode(d.rtc),
    uartNode(d.uart),
  ];
}
