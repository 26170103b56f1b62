// The VMM API driven the way a monitor drives it: code in guest memory,
// registers through the vCPU, run(budget) and the exit it returns.

import { strict as assert } from 'node:assert';
import { ATTR_REAL_CODE, CS, IF, Regs } from '../../src/cpu/state';
import { Exit } from '../../src/vmm/exit';
import { Vm } from '../../src/vmm/vm';

const CODE = 0x7c00;

/** A VM with `bytes` at 0000:7C00, CS:IP pointing there, SP at 7C00. */
function vmWithCode(bytes: number[]): Vm {
  const vm = new Vm({ memoryBytes: 2 << 20 });
  vm.memory.writePhysical(CODE, Uint8Array.from(bytes));
  const vcpu = vm.vcpus[0];
  vcpu.cpu.loadSegmentCache(CS, 0, 0, 0xffff, ATTR_REAL_CODE);
  const sregs = vcpu.getSregs();
  sregs.idtr = { base: 0, limit: 0x3ff };
  vcpu.setSregs(sregs);
  const regs = vcpu.getRegs();
  vcpu.setRegs({ ...regs, eip: CODE, esp: 0x7c00, eflags: 0x2 });
  return vm;
}

function runToExit(vm: Vm, budget = 1_000_000): Exit {
  return vm.vcpus[0].run(budget);
}

describe('VMM API', () => {
  it('returns an io exit for an OUT to an unclaimed port, after the instruction', () => {
    // mov al, 5Ah ; out 0ABh, al ; hlt
    const vm = vmWithCode([0xb0, 0x5a, 0xe6, 0xab, 0xf4]);
    const exit = runToExit(vm);
    assert.deepEqual(exit, { kind: 'io', port: 0xab, size: 1, direction: 'out', data: 0x5a });
    assert.equal(vm.vcpus[0].getRegs().eip, CODE + 4, 'the OUT completed before the exit');
    assert.deepEqual(runToExit(vm), { kind: 'hlt' }); // IF is clear: nothing can wake it
  });

  it('re-executes an IN from an unclaimed port with the data the monitor supplies', () => {
    // mov dx, 0ABCh ; in ax, dx ; hlt
    const vm = vmWithCode([0xba, 0xbc, 0x0a, 0xed, 0xf4]);
    const exit = runToExit(vm);
    assert.deepEqual(exit, { kind: 'io', port: 0xabc, size: 2, direction: 'in', data: 0 });
    assert.equal(vm.vcpus[0].getRegs().eip, CODE + 3, 'the IN was backed out');
    vm.vcpus[0].completeIo(0x1234);
    assert.deepEqual(runToExit(vm), { kind: 'hlt' });
    assert.equal(vm.vcpus[0].getRegs().eax & 0xffff, 0x1234);
  });

  it('returns budget when the instruction budget is used up', () => {
    const vm = vmWithCode([0xeb, 0xfe]); // jmp $
    assert.deepEqual(runToExit(vm, 1000), { kind: 'budget' });
    assert.equal(vm.vcpus[0].instructions, 1000);
  });

  it('reports an instruction the core does not implement with its bytes and address', () => {
    // nop ; wrmsr with ECX = 186h (PerfEvtSel0), EAX = EN|OS|USR|event C0h: counting events is not implemented.
    const vm = vmWithCode([0x90, 0x0f, 0x30]);
    const regs = vm.vcpus[0].getRegs();
    vm.vcpus[0].setRegs({ ...regs, ecx: 0x186, eax: 0x004300c0, edx: 0 });
    const exit = runToExit(vm);
    assert.equal(exit.kind, 'internal-error');
    if (exit.kind !== 'internal-error') return;
    assert.equal(exit.cs, 0);
    assert.equal(exit.eip, CODE + 1);
    assert.deepEqual(exit.bytes.slice(0, 2), [0x0f, 0x30]);
    assert.match(exit.message, /PerfEvtSel0/);
  });

  it('shuts down on a triple fault', () => {
    // lidt [limit 0] ; int3  -> #GP -> #DF -> shutdown
    const vm = vmWithCode([0x0f, 0x01, 0x1e, 0x00, 0x7d, 0xcc]);
    vm.memory.writePhysical(0x7d00, Uint8Array.from([0, 0, 0, 0, 0, 0]));
    assert.equal(runToExit(vm).kind, 'shutdown');
  });

  it('wakes a halted vCPU with the PIT interrupt, jumping guest time while halted', () => {
    // IVT[8] -> 0000:7D00 (inc bx ; mov al,20h ; out 20h,al ; iret)
    const vm = vmWithCode([
      0xb0, 0x34, 0xe6, 0x43, // mov al,34h ; out 43h,al: channel 0, mode 2
      0xb0, 0x00, 0xe6, 0x40, 0xe6, 0x40, // count 0 (65536)
      0xb0, 0x11, 0xe6, 0x20, // ICW1
      0xb0, 0x08, 0xe6, 0x21, // ICW2: vector 8
      0xb0, 0x04, 0xe6, 0x21, // ICW3
      0xb0, 0x01, 0xe6, 0x21, // ICW4
      0xb0, 0xfe, 0xe6, 0x21, // mask all but IRQ0
      0xfb, // sti
      0xf4, // hlt
      0x83, 0xfb, 0x03, // cmp bx, 3
      0x72, 0xfa, // jb hlt
      0xfa, 0xf4, // cli ; hlt
    ]);
    vm.memory.writePhysical(0x20, Uint8Array.from([0x00, 0x7d, 0x00, 0x00]));
    vm.memory.writePhysical(0x7d00, Uint8Array.from([0x43, 0xb0, 0x20, 0xe6, 0x20, 0xcf]));
    // The budget is guest time (halted time counts): 200 ms, past the three periods.
    const exit = runToExit(vm, 20_000_000);
    assert.deepEqual(exit, { kind: 'hlt' });
    const regs = vm.vcpus[0].getRegs();
    assert.equal(regs.ebx & 0xffff, 3);
    assert.equal(regs.eflags & IF, 0);
    // Three PIT periods (3 * 65536 / 1.193182 MHz = 164.8 ms) passed in guest time,
    // though only a few dozen instructions ran.
    const ms = vm.clock.now() / 1e6;
    assert.ok(ms > 164 && ms < 166, `guest time ${ms} ms`);
    assert.ok(vm.vcpus[0].instructions < 100);
  });

  it('reads and writes MSRs through the vCPU as RDMSR/WRMSR would', () => {
    const vcpu = vmWithCode([0xf4]).vcpus[0];
    assert.equal(vcpu.getMsr(0x1b), 0xfee00900n, 'IA32_APIC_BASE after reset');
    assert.equal(vcpu.getMsr(0x12345), undefined, 'no such MSR');
    assert.equal(vcpu.setMsr(0x10, 1000n), true);
    assert.equal(vcpu.getMsr(0x10), 1000n, 'the TSC as written');
    assert.equal(vcpu.setMsr(0xc0000080, 1n << 8n), false, 'EFER.LME refused: no long mode yet');
  });

  it('gives and takes the x87 state (kvm_fpu shape): registers in ST order as 10 bytes, FCW, FSW, FTW, FOP, FIP, FDP', () => {
    // fninit ; fld1 ; fldpi ; fstp qword [0x600] ; hlt
    const vm = vmWithCode([0xdb, 0xe3, 0xd9, 0xe8, 0xd9, 0xeb, 0xdd, 0x1e, 0x00, 0x06, 0xf4]);
    const vcpu = vm.vcpus[0];
    const reset = vcpu.getFpu();
    assert.equal(reset.fcw, 0x0040, 'FCW after RESET');
    assert.equal(reset.ftw, 0xffff, 'all registers empty after RESET');
    assert.deepEqual(runToExit(vm), { kind: 'hlt' });
    const fpu = vcpu.getFpu();
    assert.equal(fpu.fcw, 0x037f, 'FNINIT control word');
    assert.equal(fpu.fsw, 0x3820, 'TOP = 7 after two pushes and a pop; PE: pi is inexact as a double');
    assert.deepEqual(fpu.st[0], [0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f], 'ST(0) = 1.0');
    assert.equal(fpu.ftw, 0x3fff, 'physical register 7 valid, the rest empty');
    assert.equal(fpu.lastOpcode, 0x51e, 'FOP of FSTP m64 (DD /3, ModRM 1Eh)');
    assert.equal(fpu.lastIp, CODE + 6);
    assert.equal(fpu.lastDp, 0x600);
    assert.deepEqual([...vm.memory.ram.subarray(0x600, 0x608)], [0x18, 0x2d, 0x44, 0x54, 0xfb, 0x21, 0x09, 0x40], 'pi as a double');
    // setFpu then getFpu gives the state back; the tags of full registers are computed from their contents.
    const changed = { ...fpu, fcw: 0x0c7f, st: fpu.st.map((b, i) => (i === 1 ? [1, 2, 3, 4, 5, 6, 7, 0x80, 0x00, 0x40] : b)), ftw: 0x3ffe };
    vcpu.setFpu(changed);
    assert.deepEqual(vcpu.getFpu(), { ...changed, ftw: 0x3ffc });
  });

  it('snapshots carry the x87 state: a restored run ends with the same FPU', () => {
    // fninit ; fld1 ; fldpi ; fdiv st0,st1 ; fsqrt ; fstp st1 ; hlt
    const vm = vmWithCode([0xdb, 0xe3, 0xd9, 0xe8, 0xd9, 0xeb, 0xd8, 0xf1, 0xd9, 0xfa, 0xdd, 0xd9, 0xf4]);
    assert.deepEqual(runToExit(vm, 4), { kind: 'budget' });
    const snapshot = JSON.parse(JSON.stringify(vm.saveState()));
    assert.deepEqual(runToExit(vm), { kind: 'hlt' });
    const first = vm.vcpus[0].getFpu();
    vm.vcpus[0].setFpu({ ...first, fcw: 0x7f, st: first.st.map(() => [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]) });
    vm.loadState(snapshot);
    assert.deepEqual(runToExit(vm), { kind: 'hlt' });
    assert.deepEqual(vm.vcpus[0].getFpu(), first);
    assert.deepEqual(first.st[0], [0x3d, 0x55, 0x7b, 0xa7, 0x8d, 0xc4, 0xdf, 0xe2, 0xff, 0x3f], 'sqrt of FLDPI (C90FDAA22168C235h)');
  });

  it('saves and restores the whole VM: the same run continues identically', () => {
    // A loop that mixes registers and memory: mov cx,N ; l: add ax,cx ; xor [bx],ax ; inc bx ; loop l ; hlt
    const vm = vmWithCode([0xb9, 0xe8, 0x03, 0x01, 0xc8, 0x31, 0x07, 0x43, 0xe2, 0xf9, 0xf4]);
    assert.deepEqual(runToExit(vm, 500), { kind: 'budget' });
    const snapshot = JSON.parse(JSON.stringify(vm.saveState()));
    assert.deepEqual(runToExit(vm), { kind: 'hlt' });
    const first: Regs = vm.vcpus[0].getRegs();
    const firstRam = Buffer.from(vm.memory.ram).toString('base64');

    vm.loadState(snapshot);
    assert.deepEqual(runToExit(vm), { kind: 'hlt' });
    assert.deepEqual(vm.vcpus[0].getRegs(), first);
    assert.equal(Buffer.from(vm.memory.ram).toString('base64'), firstRam);
  });

  it('a snapshot keeps the SYSENTER MSRs and IA32_PAT', () => {
    const vm = vmWithCode([0xf4]);
    const v = vm.vcpus[0];
    assert.ok(v.setMsr(0x174, 0x08n) && v.setMsr(0x175, 0x9000n) && v.setMsr(0x176, 0xc0001000n));
    assert.ok(v.setMsr(0x277, 0x0006040500070106n));
    const restored = new Vm({ memoryBytes: 2 << 20 });
    restored.loadState(JSON.parse(JSON.stringify(vm.saveState())));
    for (const msr of [0x174, 0x175, 0x176, 0x277]) assert.equal(restored.vcpus[0].getMsr(msr), v.getMsr(msr), `MSR ${msr.toString(16)}h`);
  });

  it('a snapshot taken between an in exit and its re-executed IN keeps the answer (found by the fuzzer)', () => {
    // mov dx, 0ABCh ; in ax, dx ; hlt
    const vm = vmWithCode([0xba, 0xbc, 0x0a, 0xed, 0xf4]);
    assert.equal(runToExit(vm).kind, 'io');
    vm.vcpus[0].completeIo(0x1234);
    const snapshot = JSON.parse(JSON.stringify(vm.saveState()));
    const restored = new Vm({ memoryBytes: 2 << 20 });
    restored.loadState(snapshot);
    assert.deepEqual(restored.vcpus[0].run(1_000_000), { kind: 'hlt' }, 'the IN takes the answer, no second exit');
    assert.equal(restored.vcpus[0].getRegs().eax & 0xffff, 0x1234);
    // And an exit not answered yet is still waiting after the restore.
    const vm2 = vmWithCode([0xba, 0xbc, 0x0a, 0xed, 0xf4]);
    assert.equal(runToExit(vm2).kind, 'io');
    const restored2 = new Vm({ memoryBytes: 2 << 20 });
    restored2.loadState(JSON.parse(JSON.stringify(vm2.saveState())));
    restored2.vcpus[0].completeIo(0x5678);
    assert.deepEqual(restored2.vcpus[0].run(1_000_000), { kind: 'hlt' });
    assert.equal(restored2.vcpus[0].getRegs().eax & 0xffff, 0x5678);
  });
});
