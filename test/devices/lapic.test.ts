import { strict as assert } from 'node:assert';
import { ApicBus } from '../../src/devices/apicBus';
import { ESR_RECEIVE_ILLEGAL_VECTOR, ESR_SEND_ILLEGAL_VECTOR, LocalApic } from '../../src/devices/lapic';
import { FakeMachine } from './helpers';

/** What a local APIC did to its CPU. */
class FakeCpu {
  intr = false;
  nmis = 0;
  inits = 0;
  startups: number[] = [];
  apicEnabled = true;
  pins = {
    setIntr: (level: boolean) => (this.intr = level),
    nmi: () => this.nmis++,
    init: () => this.inits++,
    startup: (vector: number) => this.startups.push(vector),
  };
}

const ID = 0x20, TPR = 0x80, PPR = 0xa0, EOI = 0xb0, LDR = 0xd0, DFR = 0xe0, SVR = 0xf0, ESR = 0x280;
const ICR_LO = 0x300, ICR_HI = 0x310, LVT_TIMER = 0x320, LVT_LINT0 = 0x350, LVT_ERROR = 0x370;
const INITIAL = 0x380, CURRENT = 0x390, DIVIDE = 0x3e0;

function isrBit(apic: LocalApic, v: number): boolean {
  return ((apic.readRegister(0x100 + (v >> 5) * 0x10) >>> (v & 31)) & 1) === 1;
}
function irrBit(apic: LocalApic, v: number): boolean {
  return ((apic.readRegister(0x200 + (v >> 5) * 0x10) >>> (v & 31)) & 1) === 1;
}

describe('LocalApic', () => {
  let m: FakeMachine;
  let bus: ApicBus;
  let cpus: FakeCpu[];
  let apics: LocalApic[];
  let picAcks: number;

  function make(n: number): void {
    m = new FakeMachine();
    bus = new ApicBus();
    cpus = [];
    apics = [];
    picAcks = 0;
    for (let i = 0; i < n; i++) {
      const cpu = new FakeCpu();
      cpus.push(cpu);
      apics.push(new LocalApic(i, m.clock, bus, cpu.pins, { acknowledge: () => (picAcks++, 0x08) }, () => cpu.apicEnabled));
    }
  }

  function enable(apic: LocalApic, spurious = 0xff): void {
    apic.writeRegister(SVR, 0x100 | spurious);
  }

  function send(from: LocalApic, lo: number, dest = 0): void {
    from.writeRegister(ICR_HI, dest << 24);
    from.writeRegister(ICR_LO, lo);
  }

  beforeEach(() => make(4));

  it('reports its ID, the version with six LVT entries, and resets with everything masked and software-disabled', () => {
    assert.equal(apics[2].readRegister(ID), 0x02000000);
    assert.equal(apics[0].readRegister(0x30), 0x00050014);
    assert.equal(apics[0].readRegister(SVR), 0xff);
    for (let off = 0x320; off <= 0x370; off += 0x10) assert.equal(apics[0].readRegister(off), 0x10000);
    assert.equal(apics[0].readRegister(DFR), 0xffffffff);
    // Software-disabled: LVT writes cannot clear the mask.
    apics[0].writeRegister(LVT_TIMER, 0x40);
    assert.equal(apics[0].readRegister(LVT_TIMER), 0x10040);
  });

  it('delivers a fixed IPI by physical destination into IRR, to ISR on acknowledge, and clears it on EOI', () => {
    apics.forEach((a) => enable(a));
    send(apics[0], 0x0000_4041, 2); // fixed, vector 41h, assert
    assert.equal(cpus[2].intr, true);
    assert.equal(cpus[1].intr, false);
    assert.equal(irrBit(apics[2], 0x41), true);
    assert.equal(apics[2].acknowledge(), 0x41);
    assert.equal(irrBit(apics[2], 0x41), false);
    assert.equal(isrBit(apics[2], 0x41), true);
    assert.equal(cpus[2].intr, false);
    assert.equal(apics[2].readRegister(PPR), 0x40);
    apics[2].writeRegister(EOI, 0);
    assert.equal(isrBit(apics[2], 0x41), false);
    assert.equal(apics[2].readRegister(PPR), 0);
  });

  it('honours the shorthands: self, all including self, all excluding self', () => {
    apics.forEach((a) => enable(a));
    send(apics[1], 0x0004_4050); // self
    assert.deepEqual(cpus.map((c) => c.intr), [false, true, false, false]);
    apics[1].acknowledge();
    send(apics[1], 0x000c_4051); // all excluding self
    assert.deepEqual(cpus.map((c) => c.intr), [true, false, true, true]);
    send(apics[1], 0x0008_4052); // all including self
    assert.deepEqual(apics.map((a) => irrBit(a, 0x52)), [true, true, true, true]);
  });

  it('matches logical destinations in the flat and cluster models, and broadcasts to FFh', () => {
    apics.forEach((a, i) => {
      enable(a);
      a.writeRegister(LDR, (1 << i) << 24);
    });
    send(apics[0], 0x0000_4860, 0b1010); // logical, to bits 1 and 3
    assert.deepEqual(apics.map((a) => irrBit(a, 0x60)), [false, true, false, true]);
    // Cluster model: cluster 2, members 0 and 1.
    apics.forEach((a, i) => {
      a.writeRegister(DFR, 0x0fffffff);
      a.writeRegister(LDR, (0x20 | (1 << (i & 1))) << 24);
    });
    apics[3].writeRegister(LDR, 0x11 << 24);
    send(apics[0], 0x0000_4861, 0x23);
    assert.deepEqual(apics.map((a) => irrBit(a, 0x61)), [true, true, true, false]);
    send(apics[0], 0x0000_4062, 0xff); // physical broadcast
    assert.deepEqual(apics.map((a) => irrBit(a, 0x62)), [true, true, true, true]);
  });

  it('sends lowest-priority to the target with the lowest task priority', () => {
    apics.forEach((a) => enable(a));
    apics[0].writeRegister(TPR, 0x30);
    apics[1].writeRegister(TPR, 0x20);
    apics[2].writeRegister(TPR, 0x20);
    apics[3].writeRegister(TPR, 0x50);
    send(apics[0], 0x0000_4170, 0xff);
    assert.deepEqual(apics.map((a) => irrBit(a, 0x70)), [false, true, false, false]);
  });

  it('delivers NMI, INIT and Start-up messages to the CPU, and ignores INIT level de-assert', () => {
    enable(apics[0]);
    send(apics[0], 0x0000_4400, 1); // NMI
    assert.equal(cpus[1].nmis, 1);
    send(apics[0], 0x000c_4500); // INIT assert, all excluding self
    assert.deepEqual(cpus.map((c) => c.inits), [0, 1, 1, 1]);
    send(apics[0], 0x0008_8500); // INIT level de-assert
    assert.deepEqual(cpus.map((c) => c.inits), [0, 1, 1, 1]);
    send(apics[0], 0x000c_4608); // SIPI vector 08h
    assert.deepEqual(cpus.map((c) => c.startups), [[], [8], [8], [8]]);
  });

  it('does not reach a hardware-disabled APIC', () => {
    apics.forEach((a) => enable(a));
    cpus[3].apicEnabled = false;
    send(apics[0], 0x0008_4055);
    assert.deepEqual(apics.map((a) => irrBit(a, 0x55)), [true, true, true, false]);
  });

  it('takes only a higher priority class than the processor priority, nesting by class (SDM 11.8.3)', () => {
    const a = apics[0];
    enable(a);
    a.writeRegister(TPR, 0x40);
    send(a, 0x0004_4045); // class 4 = TPR class: held
    assert.equal(cpus[0].intr, false);
    send(a, 0x0004_4055); // class 5: taken
    assert.equal(cpus[0].intr, true);
    assert.equal(a.acknowledge(), 0x55);
    send(a, 0x0004_4058); // same class as in service: held
    assert.equal(cpus[0].intr, false);
    send(a, 0x0004_4090); // higher class: nests
    assert.equal(a.acknowledge(), 0x90);
    a.writeRegister(EOI, 0); // ends 90h, the highest in service
    assert.equal(isrBit(a, 0x90), false);
    assert.equal(isrBit(a, 0x55), true);
    assert.equal(cpus[0].intr, false);
    a.writeRegister(EOI, 0); // ends 55h: 58h may come now; 45h still below TPR
    assert.equal(a.acknowledge(), 0x58);
    a.writeRegister(EOI, 0);
    a.writeRegister(TPR, 0);
    assert.equal(a.acknowledge(), 0x45);
  });

  it('answers the spurious vector when the request went away before the acknowledge', () => {
    const a = apics[0];
    enable(a, 0xef);
    send(a, 0x0004_4060);
    assert.equal(cpus[0].intr, true);
    a.writeRegister(TPR, 0x80);
    assert.equal(a.acknowledge(), 0xef);
    assert.equal(isrBit(a, 0xef), false);
  });

  it('holds fixed interrupts while software-disabled and flags illegal vectors in ESR', () => {
    const a = apics[0];
    send(a, 0x0004_4060);
    assert.equal(irrBit(a, 0x60), true);
    assert.equal(cpus[0].intr, false);
    enable(a);
    assert.equal(cpus[0].intr, true);
    a.writeRegister(LVT_ERROR, 0xfe);
    send(a, 0x0004_4005); // illegal vector: not sent, the error interrupt fires
    a.writeRegister(ESR, 0);
    assert.equal(a.readRegister(ESR), ESR_SEND_ILLEGAL_VECTOR);
    assert.equal(irrBit(a, 0xfe), true);
    a.receive({ vector: 3, mode: 0, logical: false, destination: 0, level: false });
    a.writeRegister(ESR, 0);
    assert.equal(a.readRegister(ESR), ESR_RECEIVE_ILLEGAL_VECTOR);
  });

  it('runs the timer one-shot on virtual time, with the divider', () => {
    const a = apics[0];
    enable(a);
    a.writeRegister(DIVIDE, 0x3); // divide by 16
    a.writeRegister(LVT_TIMER, 0x30);
    a.writeRegister(INITIAL, 1000); // 16 000 ns
    m.runNs(8000);
    assert.equal(a.readRegister(CURRENT), 500);
    assert.equal(cpus[0].intr, false);
    m.runNs(8000);
    assert.equal(cpus[0].intr, true);
    assert.equal(a.acknowledge(), 0x30);
    a.writeRegister(EOI, 0);
    assert.equal(a.readRegister(CURRENT), 0);
    m.runNs(100_000);
    assert.equal(cpus[0].intr, false, 'one-shot fires once');
  });

  it('runs the timer periodically, reloading the count', () => {
    const a = apics[0];
    enable(a);
    a.writeRegister(DIVIDE, 0xb); // divide by 1
    a.writeRegister(LVT_TIMER, 0x20031);
    a.writeRegister(INITIAL, 2000);
    let fired = 0;
    for (let i = 0; i < 10; i++) {
      m.runNs(2000);
      if (cpus[0].intr) {
        fired++;
        a.acknowledge();
        a.writeRegister(EOI, 0);
      }
    }
    assert.equal(fired, 10);
    m.runNs(500);
    assert.equal(a.readRegister(CURRENT), 1500);
    // Writing 0 to the initial count stops it.
    a.writeRegister(INITIAL, 0);
    m.runNs(10_000);
    assert.equal(cpus[0].intr, false);
  });

  it('counts a masked timer down without interrupting', () => {
    const a = apics[0];
    enable(a);
    a.writeRegister(DIVIDE, 0xb);
    a.writeRegister(LVT_TIMER, 0x10040);
    a.writeRegister(INITIAL, 100);
    m.runNs(50);
    assert.equal(a.readRegister(CURRENT), 50);
    m.runNs(100);
    assert.equal(cpus[0].intr, false);
    assert.equal(a.readRegister(CURRENT), 0);
  });

  it('passes the 8259 through LINT0 while disabled or in ExtINT mode, and blocks it when LINT0 is masked', () => {
    const a = apics[0];
    a.setLint0(true);
    assert.equal(cpus[0].intr, true, 'software-disabled: the PIC reaches the CPU');
    assert.equal(a.acknowledge(), 0x08);
    assert.equal(picAcks, 1);
    enable(a);
    assert.equal(cpus[0].intr, false, 'enabled with LINT0 masked: blocked');
    a.writeRegister(LVT_LINT0, 0x700);
    assert.equal(cpus[0].intr, true, 'virtual wire: ExtINT');
    // A local vector outranks the PIC.
    send(a, 0x0004_4040);
    assert.equal(a.acknowledge(), 0x40);
    assert.equal(a.acknowledge(), 0x08);
  });

  it('keeps its ID over an INIT and restores a saved state', () => {
    const a = apics[1];
    enable(a);
    a.writeRegister(ID, 0x07000000);
    a.writeRegister(LVT_TIMER, 0x20041);
    a.writeRegister(INITIAL, 5000);
    send(a, 0x0004_4077);
    m.runNs(1000);
    const saved = a.saveState();
    const count = a.readRegister(CURRENT);
    a.init();
    assert.equal(a.readRegister(ID), 0x07000000);
    assert.equal(a.readRegister(SVR), 0xff);
    assert.equal(irrBit(a, 0x77), false);
    a.loadState(JSON.parse(JSON.stringify(saved)));
    assert.equal(a.readRegister(CURRENT), count);
    assert.equal(irrBit(a, 0x77), true);
    assert.equal(cpus[1].intr, true);
  });
});
