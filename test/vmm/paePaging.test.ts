// The debugger's view under PAE paging, through the VMM API: readLinear,
// translateLinear, a linear breakpoint and a linear watchpoint all follow
// the PAE tables (the PDPTE registers loaded by setSregs, the 64-bit walk),
// and looking sets no accessed bit.
//
// Tables: PDPT at 20000h with PDPTE0 -> PD0 at 21000h (PDE0: 2 MiB identity)
// and PDPTE1 -> PD1 at 22000h (linear 40000000h-) whose PDE0 -> PT at 23000h:
// PTE0 40000000h -> code at physical 5000h, PTE1 40001000h -> data at 6000h.

import { strict as assert } from 'node:assert';
import { CS, DS, ES, SS } from '../../src/cpu/state';
import { NO_GUEST_DEBUG } from '../../src/vmm/debug';
import { translateLinear } from '../../src/vmm/inspect';
import { Vm } from '../../src/vmm/vm';

function le64(lo: number, hi = 0): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setUint32(0, lo >>> 0, true);
  new DataView(b.buffer).setUint32(4, hi >>> 0, true);
  return b;
}

/** inc eax; inc eax; mov dword [40001010h], 12345678h; hlt */
const CODE = [0x40, 0x40, 0xc7, 0x05, 0x10, 0x10, 0x00, 0x40, 0x78, 0x56, 0x34, 0x12, 0xf4];

function paeVm(): Vm {
  const vm = new Vm({ memoryBytes: 4 << 20 });
  const w = (at: number, bytes: Uint8Array) => vm.memory.writePhysical(at, bytes);
  w(0x20000, le64(0x21001));
  w(0x20008, le64(0x22001));
  w(0x21000, le64(0x87));
  w(0x22000, le64(0x23007));
  w(0x23000, le64(0x5007));
  w(0x23008, le64(0x6007));
  w(0x5000, Uint8Array.from(CODE));
  const vcpu = vm.vcpus[0];
  vcpu.cpu.loadSegmentCache(CS, 8, 0, 0xffffffff, 0xc09b);
  for (const s of [DS, ES, SS]) vcpu.cpu.loadSegmentCache(s, 0x10, 0, 0xffffffff, 0xc093);
  const sregs = vcpu.getSregs();
  sregs.cr0 = 0x80000011;
  sregs.cr4 = 0x20;
  sregs.cr3 = 0x20000;
  vcpu.setSregs(sregs);
  vcpu.setRegs({ ...vcpu.getRegs(), eip: 0x40000000, esp: 0x9000, eflags: 0x2, eax: 0 });
  return vm;
}

describe('VMM: the debugger under PAE paging', () => {
  it('readLinear and translateLinear walk the PAE tables, with no accessed bit set', () => {
    const vm = paeVm();
    const vcpu = vm.vcpus[0];
    assert.deepEqual(vcpu.readLinear(0x40000000, 3), [0x40, 0x40, 0xc7]);
    assert.equal(translateLinear(vcpu, 0x40001010), 0x6010);
    assert.equal(translateLinear(vcpu, 0x40002000), null, 'PTE2 not present');
    assert.equal(translateLinear(vcpu, 0x80000000), null, 'PDPTE2 not present');
    assert.equal((vm.memory.readPhysical(0x23000, 1)[0] ?? 0xff) & 0x20, 0, 'no A bit from a look');
  });

  it('a linear breakpoint and a linear write watchpoint hit through the PAE mapping', () => {
    const vm = paeVm();
    const vcpu = vm.vcpus[0];
    vcpu.setGuestDebug({ ...NO_GUEST_DEBUG, breakpoints: [0x40000001], watchpoints: [{ address: 0x40001010, length: 4, access: 'write' }] });
    let exit = vcpu.run(1000);
    assert.equal(exit.kind, 'debug');
    assert.deepEqual(exit.kind === 'debug' ? exit.cause : null, { kind: 'breakpoint', linear: 0x40000001 });
    assert.equal(vcpu.getRegs().eax, 1);
    exit = vcpu.run(1000);
    assert.equal(exit.kind, 'debug');
    const cause = exit.kind === 'debug' ? (exit.cause as unknown as Record<string, unknown>) : {};
    assert.equal(cause.kind, 'watchpoint');
    assert.equal(cause.address, 0x6010, 'the physical address the PAE walk gave');
    assert.equal(cause.newValue, 0x12345678);
    assert.deepEqual(vcpu.run(1000), { kind: 'hlt' });
  });
});
