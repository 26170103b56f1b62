// Guest debug through the VMM API: breakpoints, single step, watchpoints
// and intercepts, each reported as a `debug` exit with its cause.

import { strict as assert } from 'node:assert';
import { ATTR_REAL_CODE, CS } from '../../src/cpu/state';
import { GuestDebugConfig, NO_GUEST_DEBUG } from '../../src/vmm/debug';
import { Exit } from '../../src/vmm/exit';
import { Vm } from '../../src/vmm/vm';

const CODE = 0x7c00;

function vmWithCode(bytes: number[], cs = 0, ip = CODE): Vm {
  const vm = new Vm({ memoryBytes: 2 << 20 });
  vm.memory.writePhysical(cs * 16 + ip, Uint8Array.from(bytes));
  const vcpu = vm.vcpus[0];
  vcpu.cpu.loadSegmentCache(CS, cs, cs * 16, 0xffff, ATTR_REAL_CODE);
  const sregs = vcpu.getSregs();
  sregs.idtr = { base: 0, limit: 0x3ff };
  vcpu.setSregs(sregs);
  vcpu.setRegs({ ...vcpu.getRegs(), eip: ip, esp: 0x7000, eflags: 0x2 });
  return vm;
}

function arm(vm: Vm, config: Partial<GuestDebugConfig>): void {
  vm.vcpus[0].setGuestDebug({ ...NO_GUEST_DEBUG, ...config });
}

function ip(vm: Vm): number {
  return vm.vcpus[0].getRegs().eip;
}

function causeOf(exit: Exit): unknown {
  assert.equal(exit.kind, 'debug', `expected a debug exit, got ${JSON.stringify(exit)}`);
  return exit.kind === 'debug' ? exit.cause : null;
}

describe('guest debug', () => {
  // inc ax ×4 ; hlt
  const INCS = [0x40, 0x40, 0x40, 0x40, 0xf4];

  it('stops before an instruction at a breakpoint and resumes past it without stopping again', () => {
    const vm = vmWithCode(INCS);
    arm(vm, { breakpoints: [CODE + 2] });
    const exit = vm.vcpus[0].run(1000);
    assert.deepEqual(causeOf(exit), { kind: 'breakpoint', linear: CODE + 2 });
    assert.equal(ip(vm), CODE + 2);
    assert.equal(vm.vcpus[0].getRegs().eax & 0xffff, 2, 'the instruction at the breakpoint has not run');
    assert.deepEqual(vm.vcpus[0].run(1000), { kind: 'hlt' });
    assert.equal(vm.vcpus[0].getRegs().eax & 0xffff, 4);
  });

  it('keeps breakpoints by linear address: 07C0:0002 hits a breakpoint set at 0000:7C02', () => {
    const vm = vmWithCode(INCS, 0x07c0, 0);
    arm(vm, { breakpoints: [0x7c02] });
    assert.deepEqual(causeOf(vm.vcpus[0].run(1000)), { kind: 'breakpoint', linear: 0x7c02 });
    assert.equal(ip(vm), 2);
  });

  it('stops at breakpoints on the page the guest runs from, around and inside a loop', () => {
    // mov cx, 5 ; l: inc ax ; loop l ; nop ; hlt — the loop runs between two breakpoints' stretches
    const code = [0xb9, 0x05, 0x00, 0x40, 0xe2, 0xfd, 0x90, 0xf4];
    let vm = vmWithCode(code);
    arm(vm, { breakpoints: [CODE + 6, CODE + 0x800] });
    assert.deepEqual(causeOf(vm.vcpus[0].run(1000)), { kind: 'breakpoint', linear: CODE + 6 });
    assert.equal(vm.vcpus[0].getRegs().eax & 0xffff, 5, 'the whole loop ran before the stop after it');
    vm = vmWithCode(code);
    arm(vm, { breakpoints: [CODE + 3] });
    for (let i = 0; i < 5; i++) {
      assert.deepEqual(causeOf(vm.vcpus[0].run(1000)), { kind: 'breakpoint', linear: CODE + 3 });
      assert.equal(vm.vcpus[0].getRegs().eax & 0xffff, i, `hit ${i + 1} before its increment`);
    }
    assert.deepEqual(vm.vcpus[0].run(1000), { kind: 'hlt' });
  });

  it('single-steps one instruction, even over a breakpoint on it', () => {
    const vm = vmWithCode(INCS);
    arm(vm, { breakpoints: [CODE] });
    assert.deepEqual(causeOf(vm.vcpus[0].step()), { kind: 'single-step' });
    assert.equal(ip(vm), CODE + 1);
    assert.deepEqual(causeOf(vm.vcpus[0].step()), { kind: 'single-step' });
    assert.equal(ip(vm), CODE + 2);
  });

  it('reports a write watchpoint after the instruction, with old and new values and the instruction', () => {
    // mov word [0x600], 0x1234 ; hlt
    const vm = vmWithCode([0xc7, 0x06, 0x00, 0x06, 0x34, 0x12, 0xf4]);
    vm.memory.writePhysical(0x600, Uint8Array.from([0xcd, 0xab]));
    arm(vm, { watchpoints: [{ address: 0x600, length: 2, access: 'write' }] });
    const cause = causeOf(vm.vcpus[0].run(1000)) as Record<string, unknown>;
    assert.equal(cause.kind, 'watchpoint');
    assert.equal(cause.access, 'write');
    assert.equal(cause.oldValue, 0xabcd);
    assert.equal(cause.newValue, 0x1234);
    assert.equal(cause.eip, CODE);
    assert.equal(ip(vm), CODE + 6, 'the writing instruction completed');
  });

  it('watches a linear range across a page boundary, and arms one high in the address space', () => {
    // mov word [0x1000], 0x1234 ; hlt — the second page of a range that starts at 0FFEh
    const vm = vmWithCode([0xc7, 0x06, 0x00, 0x10, 0x34, 0x12, 0xf4]);
    arm(vm, { watchpoints: [{ address: 0xc0000ffe, length: 4, access: 'write' }, { address: 0xffe, length: 4, access: 'write' }] });
    const cause = causeOf(vm.vcpus[0].run(1000)) as Record<string, unknown>;
    assert.equal(cause.kind, 'watchpoint');
    assert.equal(cause.address, 0x1000);
    assert.deepEqual(cause.watch, { address: 0xffe, length: 4, access: 'write' });
  });

  it('arms a linear range that runs past 4 GiB, wrapping to linear 0 (it hung the adapter: found by the DAP fuzzer)', () => {
    // mov word [0x0001], 0x1234 ; hlt — inside the range FFFFFFFFh..00000002h
    const vm = vmWithCode([0xc7, 0x06, 0x01, 0x00, 0x34, 0x12, 0xf4]);
    arm(vm, { watchpoints: [{ address: 0xffffffff, length: 4, access: 'write' }] });
    const cause = causeOf(vm.vcpus[0].run(1000)) as Record<string, unknown>;
    assert.equal(cause.kind, 'watchpoint');
    assert.equal(cause.address, 1);
  });

  it('reports a read watchpoint, and not for instruction fetches from the watched page', () => {
    // nop ; nop ; mov al, [0x7c80] ; hlt  — the watched byte shares the code page
    const vm = vmWithCode([0x90, 0x90, 0xa0, 0x80, 0x7c, 0xf4]);
    arm(vm, { watchpoints: [{ address: 0x7c80, length: 1, access: 'read' }] });
    const cause = causeOf(vm.vcpus[0].run(1000)) as Record<string, unknown>;
    assert.equal(cause.kind, 'watchpoint');
    assert.equal(cause.access, 'read');
    assert.equal(cause.eip, CODE + 2);
    arm(vm, {});
    assert.deepEqual(vm.vcpus[0].run(1000), { kind: 'hlt' });
  });

  it('intercepts an exception before delivery and delivers it on resume', () => {
    // xor bl, bl ; div bl (#DE) ; handler at 0000:7D00: hlt
    const vm = vmWithCode([0x30, 0xdb, 0xf6, 0xf3, 0xf4]);
    vm.memory.writePhysical(0, Uint8Array.from([0x00, 0x7d, 0x00, 0x00]));
    vm.memory.writePhysical(0x7d00, Uint8Array.from([0xf4]));
    arm(vm, { exceptions: [0] });
    assert.deepEqual(causeOf(vm.vcpus[0].run(1000)), { kind: 'exception', vector: 0, errorCode: -1 });
    assert.equal(ip(vm), CODE + 2, 'stopped at the faulting DIV');
    assert.deepEqual(vm.vcpus[0].run(1000), { kind: 'hlt' });
    assert.equal(ip(vm), 0x7d01, 'the handler ran');
  });

  it('intercepts INT n before it runs; resuming runs it', () => {
    // int 0x42 ; hlt ; handler: inc ax ; iret
    const vm = vmWithCode([0xcd, 0x42, 0xf4]);
    vm.memory.writePhysical(0x42 * 4, Uint8Array.from([0x00, 0x7d, 0x00, 0x00]));
    vm.memory.writePhysical(0x7d00, Uint8Array.from([0x40, 0xcf]));
    arm(vm, { softwareInterrupts: [0x42] });
    assert.deepEqual(causeOf(vm.vcpus[0].run(1000)), { kind: 'software-interrupt', vector: 0x42 });
    assert.equal(ip(vm), CODE);
    assert.equal(vm.vcpus[0].getRegs().esp, 0x7000, 'nothing pushed yet');
    assert.deepEqual(vm.vcpus[0].run(1000), { kind: 'hlt' });
    assert.equal(vm.vcpus[0].getRegs().eax & 0xffff, 1);
  });

  it('reports I/O to watched ports, after the access', () => {
    // mov al, 0x34 ; out 0x43, al ; hlt
    const vm = vmWithCode([0xb0, 0x34, 0xe6, 0x43, 0xf4]);
    arm(vm, { ioPorts: [{ first: 0x40, last: 0x43 }] });
    assert.deepEqual(causeOf(vm.vcpus[0].run(1000)), { kind: 'io', port: 0x43, size: 1, direction: 'out', value: 0x34 });
    assert.equal(ip(vm), CODE + 4);
  });

  it('reports a mode change (real to protected) after the instruction', () => {
    // lgdt [gdtr] ; mov eax, cr0 ; or al, 1 ; mov cr0, eax ; hlt
    const code = [0x0f, 0x01, 0x16, 0x00, 0x7e, 0x0f, 0x20, 0xc0, 0x0c, 0x01, 0x0f, 0x22, 0xc0, 0xf4];
    const vm = vmWithCode(code);
    vm.memory.writePhysical(0x7e00, Uint8Array.from([0x17, 0x00, 0x00, 0x7f, 0x00, 0x00]));
    arm(vm, { modeChanges: true });
    assert.deepEqual(causeOf(vm.vcpus[0].run(1000)), { kind: 'mode-change', from: 'real', to: 'protected16' });
    assert.equal(ip(vm), CODE + 13);
  });

  it('stops after xchg bx, bx when the magic breakpoint is armed, and not otherwise', () => {
    const code = [0x87, 0xdb, 0x40, 0xf4];
    let vm = vmWithCode(code);
    arm(vm, { magicBreakpoint: true });
    assert.deepEqual(causeOf(vm.vcpus[0].run(1000)), { kind: 'magic-breakpoint' });
    assert.equal(ip(vm), CODE + 2);
    vm = vmWithCode(code);
    assert.deepEqual(vm.vcpus[0].run(1000), { kind: 'hlt' });
  });

  it('leaves the state before the fatal instruction on a triple fault', () => {
    // lidt [zero] ; int3
    const vm = vmWithCode([0x0f, 0x01, 0x1e, 0x00, 0x7d, 0xcc]);
    vm.memory.writePhysical(0x7d00, new Uint8Array(6));
    assert.equal(vm.vcpus[0].run(1000).kind, 'shutdown');
    assert.equal(ip(vm), CODE + 5, 'at the INT3');
    assert.equal(vm.vcpus[0].getRegs().esp, 0x7000, 'stack as before it');
  });
});
