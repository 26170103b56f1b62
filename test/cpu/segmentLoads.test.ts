// Protected-mode segment loads, every check with its fault and error code
// (SDM vol. 2 MOV, POP, LDS/LES/LFS/LGS/LSS; vol. 3 §5.5-5.7): data segments
// against CPL, RPL and DPL, conforming and non-conforming code as data,
// system descriptors, not-present segments (#NP, #SS for SS), selectors
// outside their table, the TI bit in error codes, null selectors, the
// accessed bit, and the stack pointer of POP SS. Expected values are worked
// out by hand from the SDM's pseudocode; the machine is
// test/cpu/protectedMachine.ts (test descriptors from 30h on).

import { strict as assert } from 'node:assert';
import { ATTR_UNUSABLE, CS, DS, ES, FS, GS, SS } from '../../src/cpu/state';
import {
  CODE, DATA0, GDT, PmMachine, callGate, createPmCpu, descriptor, enterRing3, expectEnd, expectFault, expectHalt, flatCode,
  flatData, poke32, setDescriptor,
} from './protectedMachine';

const VEC_TS = 10, VEC_NP = 11, VEC_SS = 12, VEC_GP = 13;
const TEST = 0x30; // the descriptor under test

/** MOV Sreg,AX with AX = selector, then HLT (INT3 in ring 3): `66 B8 iw 8E /r F4`. */
function movSreg(seg: number, selector: number, cpl: number): string {
  const modrm = 0xc0 | (seg << 3);
  return `66 b8 ${(selector & 0xff).toString(16)} ${(selector >> 8).toString(16)} 8e ${modrm.toString(16)} ${cpl === 3 ? 'cc' : 'f4'}`;
}

/** A machine that loads `seg` with `selector`, the descriptor at 30h being `d`, at `cpl`. */
function loading(seg: number, selector: number, d: [number, number], cpl = 0): PmMachine {
  const m = createPmCpu(movSreg(seg, selector, cpl));
  setDescriptor(m, TEST, d);
  if (cpl === 3) enterRing3(m);
  return m;
}

const readOnlyData = (dpl: number): [number, number] => flatData(dpl, 0x0);
const notPresent = (d: [number, number]): [number, number] => [d[0], d[1] & ~0x8000];

describe('CPU: protected-mode loads of DS, ES, FS and GS', () => {
  for (const [name, seg] of [['DS', DS], ['ES', ES], ['FS', FS], ['GS', GS]] as const) {
    it(`${name}: DPL 0 data at CPL 3 is #GP(selector); DPL 3 data loads`, () => {
      expectFault(loading(seg, TEST | 3, flatData(0), 3), VEC_GP, TEST);
      const m = loading(seg, TEST | 3, flatData(3), 3);
      expectHalt(m);
      assert.equal(m.cpu.segSel[seg], TEST | 3);
    });
  }

  it('RPL above DPL is #GP(selector) even at CPL 0', () => {
    expectFault(loading(DS, TEST | 3, flatData(0)), VEC_GP, TEST);
    expectFault(loading(DS, TEST | 2, flatData(1)), VEC_GP, TEST);
    expectHalt(loading(DS, TEST | 1, flatData(1)));
  });

  it('code segments: readable ones load (a conforming one at any CPL), execute-only ones are #GP(selector)', () => {
    expectHalt(loading(DS, TEST, flatCode(0, 0xa))); // execute/read
    expectFault(loading(DS, TEST, flatCode(0, 0x8)), VEC_GP, TEST); // execute-only
    expectFault(loading(DS, TEST | 3, flatCode(0, 0xa), 3), VEC_GP, TEST); // non-conforming DPL 0 from ring 3
    const m = loading(DS, TEST | 3, flatCode(0, 0xe), 3); // conforming readable: DPL does not matter
    expectHalt(m);
    assert.equal(m.cpu.segSel[DS], TEST | 3);
  });

  it('system descriptors (LDT, TSS, call gate) are #GP(selector)', () => {
    expectFault(loading(DS, TEST, descriptor(0x5000, 0xff, 0x82, 0)), VEC_GP, TEST); // LDT
    expectFault(loading(DS, TEST, descriptor(0x5000, 0x67, 0x89, 0)), VEC_GP, TEST); // available TSS
    expectFault(loading(ES, TEST, [0x00080000, 0x0000ec00]), VEC_GP, TEST); // call gate, DPL 3
  });

  it('a not-present segment is #NP(selector), checked after the type and privilege', () => {
    expectFault(loading(DS, TEST, notPresent(flatData(0))), VEC_NP, TEST);
    expectFault(loading(GS, TEST, notPresent(flatCode(0, 0xa))), VEC_NP, TEST);
    // Privilege before presence: DPL 0 from ring 3 is #GP even when not present.
    expectFault(loading(DS, TEST | 3, notPresent(flatData(0)), 3), VEC_GP, TEST);
  });

  it('a selector outside the GDT is #GP(selector); through a null LDT #GP(selector with TI)', () => {
    const m = loading(DS, 0x1000, flatData(0));
    m.cpu.gdtrLimit = 0x37;
    expectFault(m, VEC_GP, 0x1000);
    const beyondEnd = loading(DS, 0x38, flatData(0));
    beyondEnd.cpu.gdtrLimit = 0x3e; // the descriptor's last byte (3Fh) is outside
    expectFault(beyondEnd, VEC_GP, 0x38);
    expectFault(loading(FS, 0x0f, flatData(3)), VEC_GP, 0x0c); // LDTR never loaded: unusable
  });

  it('an LDT selector: the descriptor comes from the LDT, the error code has TI set', () => {
    const ldt = 0x5000;
    let m = loading(DS, 0x0c, flatData(0)); // LDT index 1
    m.cpu.ldtr = { selector: TEST, base: ldt, limit: 0x0f, attributes: 0x82 };
    poke32(m, ldt + 8, notPresent(flatData(0))[0]);
    poke32(m, ldt + 12, notPresent(flatData(0))[1]);
    expectFault(m, VEC_NP, 0x0c);
    m = loading(DS, 0x0c, flatData(0));
    m.cpu.ldtr = { selector: TEST, base: ldt, limit: 0x0f, attributes: 0x82 };
    poke32(m, ldt + 8, descriptor(0x123000, 0xfff, 0x92, 0)[0]);
    poke32(m, ldt + 12, descriptor(0x123000, 0xfff, 0x92, 0)[1]);
    expectHalt(m);
    assert.equal(m.cpu.segBase[DS], 0x123000);
    assert.equal(m.cpu.segLimit[DS], 0xfff);
    m.cpu.ldtr.limit = 7; // index 1 is now outside the LDT
    m.cpu.eip = CODE;
    expectFault(m, VEC_GP, 0x0c);
  });

  it('a null selector (any RPL) loads at any CPL and makes the register unusable', () => {
    // mov ax,3; mov fs,ax; mov bx,fs; int3
    const m = createPmCpu('66 b8 03 00 8e e0 66 8c e3 cc');
    enterRing3(m);
    expectHalt(m);
    assert.equal(m.cpu.segSel[FS], 3);
    assert.equal(m.cpu.reg32[3] & 0xffff, 3, 'MOV from FS reads the null selector back with its RPL');
    assert.ok(m.cpu.segAttr[FS] & ATTR_UNUSABLE);
  });

  it('the accessed bit is written back to the descriptor on a load, not on a fault', () => {
    const m = loading(DS, TEST, flatData(0)); // type 2: accessed clear
    expectHalt(m);
    assert.equal(m.ram[GDT + TEST + 5], 0x93);
    assert.equal(m.cpu.segAttr[DS] & 0xff, 0x93);
    const f = loading(DS, TEST, notPresent(flatData(0)));
    expectFault(f, VEC_NP, TEST);
    assert.equal(f.ram[GDT + TEST + 5], 0x12);
  });

  it('LDS, POP ES and the 32-bit POP forms check the same way', () => {
    // lds ebx,[5000h]; hlt
    let m = createPmCpu('c5 1d 00 50 00 00 f4');
    setDescriptor(m, TEST, flatData(0));
    poke32(m, 0x5000, 0x12345678);
    m.ram[0x5004] = TEST | 3;
    expectFault(m, VEC_GP, TEST);
    assert.equal(m.cpu.reg32[3], 0, 'EBX is not loaded when the segment faults');
    // mov ax,30h; push eax; pop es; hlt
    m = createPmCpu('66 b8 30 00 50 07 f4');
    setDescriptor(m, TEST, notPresent(flatData(0)));
    const f = expectFault(m, VEC_NP, TEST);
    assert.equal(f.eip, CODE + 5, 'the fault is at POP ES');
  });
});

describe('CPU: protected-mode loads of SS', () => {
  it('a null selector is #GP(0)', () => {
    expectFault(createPmCpu('31 c0 8e d0 f4'), VEC_GP, 0); // xor eax,eax; mov ss,ax
    expectFault(loading(SS, 3, flatData(3), 3), VEC_GP, 0);
  });

  it('RPL other than CPL, DPL other than CPL, read-only data and code are #GP(selector)', () => {
    expectFault(loading(SS, TEST | 3, flatData(0)), VEC_GP, TEST); // RPL 3 at CPL 0
    expectFault(loading(SS, TEST, flatData(3)), VEC_GP, TEST); // DPL 3 at CPL 0
    expectFault(loading(SS, TEST | 3, flatData(0), 3), VEC_GP, TEST); // DPL 0 at CPL 3
    expectFault(loading(SS, TEST, readOnlyData(0)), VEC_GP, TEST);
    expectFault(loading(SS, TEST, flatCode(0, 0xa)), VEC_GP, TEST);
    expectFault(loading(SS, TEST, descriptor(0x5000, 0xff, 0x82, 0)), VEC_GP, TEST);
  });

  it('a not-present stack segment is #SS(selector)', () => {
    expectFault(loading(SS, TEST, notPresent(flatData(0))), VEC_SS, TEST);
    expectFault(loading(SS, TEST | 3, notPresent(flatData(3)), 3), VEC_SS, TEST);
  });

  it('a writable data segment at CPL loads (and sets the stack size from B)', () => {
    let m = loading(SS, TEST | 3, descriptor(0x40000, 0xffff, 0xf2, 0), 3);
    m.cpu.reg32[4] = 0x7000;
    const end = expectEnd(m);
    assert.equal(end.ss, TEST | 3, 'the INT3 frame holds the new SS');
    assert.equal(end.esp, 0x7000);
    m = loading(SS, TEST, descriptor(0x40000, 0xffff, 0x92, 0));
    expectHalt(m);
    assert.equal(m.cpu.segBase[SS], 0x40000);
    assert.equal(m.cpu.stack32, false);
  });

  it('POP SS: ESP moves by the size of the stack popped from, not the new one', () => {
    // 32-bit POP SS from a 16-bit stack at SP FFFCh: SP wraps to 0, ESP[31:16] stays.
    let m = createPmCpu('17 f4');
    setDescriptor(m, TEST, descriptor(0, 0xffff, 0x92, 0)); // 16-bit stack
    m.cpu.loadSegmentCache(SS, TEST, 0, 0xffff, 0x93);
    m.cpu.reg32[4] = 0xabcdfffc | 0;
    poke32(m, 0xfffc, DATA0);
    expectHalt(m);
    assert.equal(m.cpu.segSel[SS], DATA0);
    assert.equal(m.cpu.stack32, true);
    assert.equal(m.cpu.reg32[4] >>> 0, 0xabcd0000, 'SP wrapped at 16 bits');
    // 32-bit POP SS of a 16-bit stack segment from a 32-bit stack: ESP + 4 in full.
    m = createPmCpu('17 f4');
    setDescriptor(m, TEST, descriptor(0, 0xffff, 0x92, 0));
    m.cpu.reg32[4] = 0x1fffc;
    poke32(m, 0x1fffc, TEST);
    expectHalt(m);
    assert.equal(m.cpu.stack32, false);
    assert.equal(m.cpu.reg32[4] >>> 0, 0x20000, 'ESP moved by 4 as a 32-bit pointer');
    // 16-bit POP SS (66 17) from a 32-bit stack.
    m = createPmCpu('66 17 f4');
    m.cpu.reg32[4] = 0x1fffe;
    m.ram[0x1fffe] = DATA0;
    expectHalt(m);
    assert.equal(m.cpu.reg32[4] >>> 0, 0x20000);
  });

  it('#TS is not raised by MOV SS (that vector is for task switches and inward stacks)', () => {
    const m = loading(SS, TEST, flatData(3));
    const f = expectFault(m, VEC_GP, TEST);
    assert.notEqual(f.vector, VEC_TS);
    assert.equal(m.cpu.segSel[CS], 0x08);
  });
});

describe('CPU: LAR, LSL, VERR and VERW at ring 3', () => {
  // mov ax,33h; lar ebx,ax; setz cl; lsl edx,ax; setz ch; verr ax; setz [5000h]; verw ax; setz [5001h]; int3
  const PROBE = '66 b8 33 00 0f 02 d8 0f 94 c1 0f 03 d0 0f 94 c5 0f 00 e0 0f 94 05 00 50 00 00 0f 00 e8 0f 94 05 01 50 00 00 cc';
  /** Probe selector 33h (descriptor `d`) from ring 3: [LAR ok, LSL ok, VERR, VERW] and EBX, EDX. */
  function probe(d: [number, number]): { ok: number[]; ebx: number; edx: number } {
    const m = createPmCpu(PROBE);
    setDescriptor(m, TEST, d);
    enterRing3(m);
    m.cpu.reg32[3] = 0x5555;
    expectHalt(m);
    const r = m.cpu.reg32;
    return { ok: [r[1] & 0xff, (r[1] >> 8) & 0xff, m.ram[0x5000], m.ram[0x5001]], ebx: r[3] >>> 0, edx: r[2] >>> 0 };
  }

  it('a DPL 3 writable data segment: all four succeed; LAR gives the access rights, LSL the scaled limit', () => {
    const p = probe(descriptor(0x1000, 0x2, 0xf3, 0xc));
    assert.deepEqual(p.ok, [1, 1, 1, 1]);
    assert.equal(p.ebx, 0x00c0f300);
    assert.equal(p.edx, 0x2fff);
  });

  it('DPL 0 (below CPL 3): all four fail and leave the destinations; a conforming DPL 0 code segment passes', () => {
    const p = probe(flatData(0));
    assert.deepEqual(p.ok, [0, 0, 0, 0]);
    assert.equal(p.ebx, 0x5555);
    assert.deepEqual(probe(flatCode(0, 0xe)).ok, [1, 1, 1, 0], 'conforming readable code: readable, never writable');
    assert.deepEqual(probe(flatCode(3, 0x8)).ok, [1, 1, 0, 0], 'execute-only code: neither');
  });

  it('system descriptors: call gates and TSSs for LAR, only TSSs and LDTs for LSL, interrupt gates for neither', () => {
    assert.deepEqual(probe(callGate(0x08, 0x1000, 3, 0)).ok, [1, 0, 0, 0]);
    assert.deepEqual(probe(descriptor(0x3000, 0x67, 0xe9, 0)).ok, [1, 1, 0, 0]);
    assert.deepEqual(probe(descriptor(0x3000, 0xff, 0xe2, 0)).ok, [1, 1, 0, 0]);
    assert.deepEqual(probe([0x00081000, 0x0000ee00]).ok, [0, 0, 0, 0]);
  });
});

describe('CPU: descriptor tables are read as supervisor accesses', () => {
  it('with paging and the GDT, IDT and TSS on supervisor pages, ring 3 loads DS, runs LAR and takes INT3 without #PF', () => {
    // mov ax,23h; mov ds,ax; mov ax,33h; lar ebx,ax; int3
    const m = createPmCpu('66 b8 23 00 8e d8 66 b8 33 00 0f 02 d8 cc');
    setDescriptor(m, TEST, flatData(3));
    const pd = 0x20000, pt = 0x21000;
    poke32(m, pd, pt | 7);
    for (let page = 0; page < 1024; page++) {
      const supervisorOnly = page >= 1 && page <= 3; // the GDT, IDT and TSS pages
      poke32(m, pt + page * 4, (page << 12) | (supervisorOnly ? 3 : 7));
    }
    m.cpu.cr3 = pd;
    m.cpu.cr0 |= 1 << 31;
    m.cpu.flushTlb();
    enterRing3(m);
    const end = expectEnd(m);
    assert.equal(end.eip, CODE + 13);
    assert.equal(m.cpu.segSel[DS], 0x23);
    assert.equal(m.cpu.reg32[3] >>> 0, 0x00cff200, 'LAR read the descriptor from the supervisor page');
  });
});
