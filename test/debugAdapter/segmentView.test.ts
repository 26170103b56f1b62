// The debugger's Segments and System views over an unusable (null-loaded)
// segment register (issue 8, defect 3): the view names it unusable, and an
// edit made through the views (which writes all the sregs back) leaves it
// unusable, so the guest's next access through it still faults.

import { strict as assert } from 'node:assert';
import { segmentRegisters, systemRegisters } from '../../src/debugAdapter/registerView';
import type { VmexitRuntime } from '../../src/debugAdapter/runtime';
import type { Cpu } from '../../src/cpu/cpu';
import { createPmCpu, expectFault, expectHalt } from '../cpu/protectedMachine';

/** The part of the runtime the register views use, over a bare CPU. */
function runtimeOf(cpu: Cpu): VmexitRuntime {
  const stub = {
    sregs: () => cpu.getSregs(),
    regs: () => cpu.getRegs(),
    realAddressing: () => false,
    mode: () => cpu.mode(),
    codeBitness: () => 32,
    vcpu: { cpu, setSregs: (s: ReturnType<Cpu['getSregs']>) => cpu.setSregs(s), setRegs: (r: ReturnType<Cpu['getRegs']>) => cpu.setRegs(r) },
  };
  return stub as unknown as VmexitRuntime;
}

describe('debugger views: unusable segments', () => {
  it('the Segments view says unusable, and an edit through the System view keeps DS unusable', () => {
    const m = createPmCpu('31 c0 8e d8 f4 a1 00 00 00 00 f4'); // xor eax,eax; mov ds,ax; hlt; mov eax,[0]; hlt
    expectHalt(m);
    const rt = runtimeOf(m.cpu);
    const ds = segmentRegisters(rt).find((n) => n.name === 'ds')!;
    assert.equal(ds.value, '0x0000  unusable (null selector)');
    const attributes = ds.children!().find((n) => n.name === 'attributes')!;
    assert.match(attributes.value, /\(unusable\)$/);
    // Edit CR3 in the System view: the views write every segment register back.
    systemRegisters(rt).find((n) => n.name === 'cr3')!.set!(0x5000);
    assert.equal(m.cpu.cr3, 0x5000);
    expectFault(m, 13, 0);
  });
});
