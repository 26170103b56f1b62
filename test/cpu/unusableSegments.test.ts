// Unusable segments (issue 8, defect 3): a data segment register loaded with
// a null selector in protected mode has no usable descriptor, and every
// access through it is #GP(0) (SDM vol. 3 §3.4.2, §5.4.1). The hidden cache
// carries that as the VMX access-rights "unusable" bit (ATTR_UNUSABLE, KVM's
// kvm_segment.unusable), and the state must survive every way the VMM hands
// it out and back: getSregs/setSregs, saveState/loadState, a JSON snapshot.

import { strict as assert } from 'node:assert';
import { ATTR_UNUSABLE, DS, ES } from '../../src/cpu/state';
import { CODE, createPmCpu, expectFault, expectHalt } from './protectedMachine';

// xor eax,eax; mov ds,ax; hlt; mov eax,[0]; hlt
const NULL_DS_THEN_READ = '31 c0 8e d8 f4 a1 00 00 00 00 f4';

describe('CPU: unusable (null-loaded) segments', () => {
  it('MOV DS,0 in protected mode is allowed; a read through DS is then #GP(0)', () => {
    const m = createPmCpu(NULL_DS_THEN_READ);
    assert.equal(expectHalt(m), CODE + 4);
    const ds = m.cpu.getSregs().ds;
    assert.equal(ds.selector, 0);
    assert.ok(ds.attributes & ATTR_UNUSABLE, 'the view says unusable');
    assert.ok(ds.limit >= 0 && ds.limit <= 0xffffffff, `limit ${ds.limit} is a valid 32-bit value`);
    const f = expectFault(m, 13, 0);
    assert.equal(f.eip, CODE + 5, 'the fault is at the read');
  });

  it('stays unusable through getSregs/setSregs', () => {
    const m = createPmCpu(NULL_DS_THEN_READ);
    expectHalt(m);
    const before = m.cpu.getSregs();
    m.cpu.setSregs(before);
    assert.deepEqual(m.cpu.getSregs(), before, 'the round trip is the identity');
    expectFault(m, 13, 0);
  });

  it('stays unusable through a snapshot (saveState/loadState through JSON)', () => {
    const m = createPmCpu(NULL_DS_THEN_READ);
    expectHalt(m);
    const state = JSON.parse(JSON.stringify(m.cpu.saveState())) as ReturnType<typeof m.cpu.saveState>;
    const fresh = createPmCpu('');
    fresh.ram.set(m.ram);
    fresh.cpu.loadState(state);
    assert.deepEqual(fresh.cpu.getSregs(), m.cpu.getSregs());
    expectFault(fresh, 13, 0);
  });

  it('a write through a null ES is #GP(0) too (STOSB), and a segment override to it', () => {
    // xor eax,eax; mov es,ax; stosb
    let m = createPmCpu('31 c0 8e c0 aa f4');
    m.cpu.reg32[7] = 0x5000;
    expectFault(m, 13, 0);
    // xor eax,eax; mov es,ax; mov al,[es:0x5000]
    m = createPmCpu('31 c0 8e c0 26 a0 00 50 00 00 f4');
    expectFault(m, 13, 0);
    assert.ok(m.cpu.segAttr[ES] & ATTR_UNUSABLE);
  });

  it('setSregs with the unusable bit makes a segment unusable; clearing it makes it usable again', () => {
    const m = createPmCpu('a1 00 00 00 00 f4'); // mov eax,[0]
    const s = m.cpu.getSregs();
    m.cpu.setSregs({ ...s, ds: { ...s.ds, attributes: s.ds.attributes | ATTR_UNUSABLE } });
    expectFault(m, 13, 0);
    const m2 = createPmCpu('a1 00 00 00 00 f4');
    const t = m2.cpu.getSregs();
    m2.cpu.setSregs({ ...t, ds: { ...t.ds, attributes: ATTR_UNUSABLE } });
    const u = m2.cpu.getSregs();
    m2.cpu.setSregs({ ...u, ds: { selector: 0x10, base: 0, limit: 0xffffffff, attributes: 0xc093 } });
    assert.equal(expectHalt(m2), CODE + 5);
    assert.equal(m2.cpu.segAttr[DS] & ATTR_UNUSABLE, 0);
  });
});
