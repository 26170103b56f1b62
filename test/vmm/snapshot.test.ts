// Whole-machine snapshots: the CPU and every device (PIC, PIT, RTC, UART,
// keyboard controller, VGA, BIOS) save their state as plain objects; a fresh
// machine restored from a snapshot taken mid-run continues exactly as the
// original did. The guest counts PIT and RTC interrupts, so device timing
// state matters.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { assemble, floppyImage } from '../guests/harness';
import { DiskImage, PcMachine } from '../../src/vmm/pc';

function machine(image: Uint8Array, serial: number[], cpus = 1): PcMachine {
  return new PcMachine({
    memoryBytes: 32 << 20,
    bios: null,
    floppy: DiskImage.floppy(image, 'guest.img'),
    hardDisk: null,
    boot: 'a',
    cpus,
    onSerialOutput: (b) => serial.push(b),
  });
}

/** Run to the guest's exit; returns its status. */
function runToExit(m: PcMachine): number {
  for (let i = 0; i < 1000; i++) {
    const e = m.run(1_000_000);
    if (e.kind === 'exit') return e.status;
    assert.ok(e.kind === 'budget' || e.kind === 'idle', `unexpected ${JSON.stringify(e)}`);
  }
  throw new Error('the guest did not finish');
}

describe('machine snapshots', function () {
  this.timeout(60_000);

  it('a fresh machine restored mid-run continues exactly like the original', () => {
    const image = floppyImage(new Uint8Array(fs.readFileSync(assemble('timers'))));
    const serialA: number[] = [];
    const a = machine(image, serialA);
    // Part-way: the guest is counting interrupts. (Budgets are guest time, idle
    // time in HLT included: run in small slices until the guest has begun to report.)
    for (let i = 0; i < 100_000 && serialA.length === 0; i++) assert.notEqual(a.run(2_000).kind, 'exit');
    const snapshot = JSON.parse(JSON.stringify(a.vm.saveState()));
    const before = serialA.length;
    const statusA = runToExit(a);

    const serialB: number[] = [];
    const b = machine(image, serialB);
    b.vm.loadState(snapshot);
    const statusB = runToExit(b);

    assert.ok(before > 0 && serialA.length > before, 'the snapshot falls in the middle of the run');
    assert.equal(statusB, statusA);
    assert.equal(statusA, 1, `the guest passes: ${Buffer.from(serialA).toString('latin1')}`);
    assert.equal(Buffer.from(serialB).toString('latin1'), Buffer.from(serialA.slice(before)).toString('latin1'));
    assert.equal(b.vcpu.instructions, a.vcpu.instructions);
    assert.deepEqual(b.vcpu.getRegs(), a.vcpu.getRegs());
  });

  it('with 4 vCPUs: every vCPU, local APIC and the IOAPIC restore, mid-way through the APs\' start', () => {
    const image = floppyImage(new Uint8Array(fs.readFileSync(assemble('smp'))));
    const serialA: number[] = [];
    const a = machine(image, serialA, 4);
    // Run until the APs have started and work, then a bit more.
    for (let i = 0; i < 100_000 && !a.vm.vcpus.every((v) => v.state !== 'waiting-for-sipi'); i++) a.run(500);
    a.run(1_500);
    assert.ok(a.vm.vcpus.every((v) => v.state !== 'waiting-for-sipi'), 'the APs are running');
    const snapshot = JSON.parse(JSON.stringify(a.vm.saveState()));
    const before = serialA.length;
    const statusA = runToExit(a);

    const serialB: number[] = [];
    const b = machine(image, serialB, 4);
    b.vm.loadState(snapshot);
    const statusB = runToExit(b);
    assert.equal(statusA, 1, `the guest passes: ${Buffer.from(serialA).toString('latin1')}`);
    assert.equal(statusB, statusA);
    assert.equal(Buffer.from(serialB).toString('latin1'), Buffer.from(serialA.slice(before)).toString('latin1'));
    assert.deepEqual(b.vm.vcpus.map((v) => [v.instructions, v.getRegs(), v.state]), a.vm.vcpus.map((v) => [v.instructions, v.getRegs(), v.state]));
    assert.deepEqual(b.vm.saveState().devices, a.vm.saveState().devices);
  });

  it('refuses a snapshot with another number of vCPUs', () => {
    const image = floppyImage(new Uint8Array(fs.readFileSync(assemble('smp'))));
    const snapshot = machine(image, [], 2).vm.saveState();
    assert.throws(() => machine(image, [], 4).vm.loadState(snapshot), /snapshot is for 2 vCPUs/);
  });
});
