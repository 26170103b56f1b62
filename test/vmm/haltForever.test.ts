// Run loops and a guest that halts with interrupts enabled (issue 8, defect
// 1), driven through PcMachine as the CLI and the debugger drive it: a run
// returns within its budget in guest time even when no instruction retires
// (time skipped in HLT counts, and a skip stops at the budget's end), and a
// guest that nothing can wake is reported as `unwakeable` with the reason.
// The reasoning itself (src/vmm/wakeSources.ts) is checked on a bare Vm:
// each interrupt path opened in turn wakes the guest, the masked ones do not.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { ATTR_REAL_CODE, CS, IF } from '../../src/cpu/state';
import { NS_PER_INSTRUCTION } from '../../src/devices/clock';
import { DiskImage, PcMachine } from '../../src/vmm/pc';
import { Vm } from '../../src/vmm/vm';
import { nothingWakes } from '../../src/vmm/wakeSources';
import { assemble, floppyImage } from '../guests/harness';

function machineFor(defines: Record<string, true>, cpus = 1): PcMachine {
  const program = new Uint8Array(fs.readFileSync(assemble('masked', defines)));
  return new PcMachine({
    memoryBytes: 32 << 20,
    bios: null,
    floppy: DiskImage.floppy(floppyImage(program), 'masked.img'),
    hardDisk: null,
    boot: 'a',
    cpus,
  });
}

describe('run loops and a halted guest', function () {
  this.timeout(60_000);

  for (const cpus of [1, 2]) {
    it(`PcMachine.run reports a guest nothing can wake (${cpus} vCPU${cpus > 1 ? 's' : ''})`, () => {
      const machine = machineFor({}, cpus);
      let event = machine.run(1_000_000);
      for (let i = 0; i < 100 && event.kind === 'budget'; i++) event = machine.run(1_000_000);
      assert.equal(event.kind, 'unwakeable', JSON.stringify(event));
      if (event.kind !== 'unwakeable') return;
      assert.match(event.why, /every 8259 interrupt line is masked/);
      assert.match(event.where, /^0000:7E[0-9A-F]{2}$/);
      // Asked again, it says the same at once: no time passes, nothing hangs.
      const before = machine.vm.clock.now();
      assert.equal(machine.run(1_000_000).kind, 'unwakeable');
      assert.equal(machine.vm.clock.now(), before);
    });

    it(`a run returns within its budget in guest time while the guest sleeps behind a missing EOI (${cpus} vCPU${cpus > 1 ? 's' : ''})`, () => {
      const machine = machineFor({ NO_EOI: true }, cpus);
      const clock = machine.vm.clock;
      // Boot until the guest sleeps (its ticks held behind the first one).
      for (let i = 0; i < 200; i++) machine.run(100_000);
      const retired = machine.vm.instructionsRetired();
      const budget = 10_000;
      for (let i = 0; i < 50; i++) {
        const start = clock.now();
        const event = machine.run(budget);
        assert.equal(event.kind, 'budget', JSON.stringify(event));
        const took = clock.now() - start;
        assert.ok(took <= budget * NS_PER_INSTRUCTION, `run(${budget}) took ${took} ns of guest time`);
        assert.ok(took > 0, 'guest time moves on');
      }
      assert.ok(machine.vm.instructionsRetired() - retired < 1000, 'the guest sleeps: hardly an instruction retires');
    });
  }

  it('an idle guest waiting for its timer wakes as before, and each run stays within its budget', () => {
    const machine = machineFor({ OPEN_IRQ0: true });
    const clock = machine.vm.clock;
    const budget = 50_000;
    let serial = '';
    machine.uart.onTransmit = (b) => (serial += String.fromCharCode(b));
    for (let i = 0; i < 10_000; i++) {
      const start = clock.now();
      const event = machine.run(budget);
      assert.ok(clock.now() - start <= budget * NS_PER_INSTRUCTION, `run(${budget}) took ${clock.now() - start} ns`);
      if (event.kind === 'budget') continue;
      assert.deepEqual(event, { kind: 'exit', status: 1 }, serial);
      assert.ok(serial.includes('PASS woke up 18 times'), serial);
      return;
    }
    assert.fail(`the guest did not finish:\n${serial}`);
  });
});

describe('what can wake a halted guest (wakeSources)', () => {
  /** A bare VM halted with interrupts on at 0000:7C00, the PIT counting (mode 2), the 8259s initialised. */
  function haltedVm(): Vm {
    const vm = new Vm({ memoryBytes: 2 << 20 });
    const vcpu = vm.vcpus[0];
    vcpu.cpu.loadSegmentCache(CS, 0, 0, 0xffff, ATTR_REAL_CODE);
    vcpu.setRegs({ ...vcpu.getRegs(), eip: 0x7c00, eflags: 0x2 | IF });
    for (const [port, value] of [[0x20, 0x11], [0x21, 0x08], [0x21, 0x04], [0x21, 0x01], [0xa0, 0x11], [0xa1, 0x70], [0xa1, 0x02], [0xa1, 0x01], [0x43, 0x34], [0x40, 0x00], [0x40, 0x10]]) {
      vm.ports.portOut(port, 1, value);
    }
    vcpu.cpu.halted = true;
    return vm;
  }
  const maskPic = (vm: Vm, master: number, slave: number): void => {
    vm.ports.portOut(0x21, 1, master);
    vm.ports.portOut(0xa1, 1, slave);
  };

  it('an open line with a device on it wakes; all masked does not; an open line with no device does not', () => {
    const vm = haltedVm();
    assert.equal(nothingWakes(vm), null, 'IRQ0 (the PIT) open');
    maskPic(vm, 0xff, 0xff);
    assert.match(nothingWakes(vm) ?? '', /every 8259 interrupt line is masked \(IMR FFh\/FFh\).*timers still count, but their interrupts are masked/);
    maskPic(vm, 0xdf, 0xff); // IRQ5: nothing drives it on this board
    assert.match(nothingWakes(vm) ?? '', /the unmasked 8259 lines \(IRQ 5\) have no device on them/);
    maskPic(vm, 0xfb, 0xfe); // IRQ8 (the RTC's line, through the cascade): no RTC on a bare Vm either
    assert.match(nothingWakes(vm) ?? '', /IRQ 8\) have no device/);
    maskPic(vm, 0xfe, 0xff);
    assert.equal(nothingWakes(vm), null);
  });

  it('the local APIC timer: armed and masked does not wake, unmasked does; LINT0 masked cuts the 8259 off', () => {
    const vm = haltedVm();
    const lapic = vm.vcpus[0].lapic;
    maskPic(vm, 0xff, 0xff);
    lapic.writeRegister(0xf0, 0x1ff); // SVR: software-enabled
    lapic.writeRegister(0x3e0, 0xb); // divide by 1
    lapic.writeRegister(0x320, 0x30040); // timer: periodic, masked, vector 40h
    lapic.writeRegister(0x380, 100_000); // initial count: armed
    assert.match(nothingWakes(vm) ?? '', /the local APIC timer is armed but masked \(vCPU 0\)/);
    lapic.writeRegister(0x320, 0x20040); // unmasked
    assert.equal(nothingWakes(vm), null);
    lapic.writeRegister(0x320, 0x30040);
    // The 8259 open, but LINT0 masked (an OS that moved to the IOAPIC): it cannot reach the CPU.
    maskPic(vm, 0xfe, 0xff);
    lapic.writeRegister(0x350, 0x10700); // LINT0: ExtINT, masked
    assert.match(nothingWakes(vm) ?? '', /LINT0 is masked in vCPU 0's local APIC/);
    lapic.writeRegister(0x350, 0x00700); // LINT0: ExtINT, unmasked (virtual wire)
    assert.equal(nothingWakes(vm), null);
  });

  it('an IOAPIC entry unmasked for a line with a device wakes', () => {
    const vm = haltedVm();
    maskPic(vm, 0xff, 0xff);
    vm.vcpus[0].lapic.writeRegister(0xf0, 0x1ff);
    // Redirection entry of pin 2 (IRQ0): vector 30h, fixed, unmasked, to APIC 0.
    vm.ioapic.mmioWrite(0xfec00000, 4, 0x10 + 2 * 2);
    vm.ioapic.mmioWrite(0xfec00010, 4, 0x30);
    assert.equal(nothingWakes(vm), null);
  });

  it('a vCPU with interrupts disabled is the plain halted case, not this one', () => {
    const vm = haltedVm();
    maskPic(vm, 0xff, 0xff);
    vm.vcpus[0].setRegs({ ...vm.vcpus[0].getRegs(), eflags: 0x2 });
    assert.equal(nothingWakes(vm), null);
  });
});
