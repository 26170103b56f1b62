// Far JMP, CALL, RET and IRET in protected mode, and interrupts' inward
// stacks (SDM vol. 2 JMP, CALL, RET, IRET, INT n; vol. 3 §5.8, §6.12): direct
// transfers to conforming and non-conforming code, returns to an outer ring
// with the stack switch and the nulling of data segments, call gates (32- and
// 16-bit) with the TSS stack and the parameter copy, and every check's fault
// and error code. Worked out by hand from the SDM's pseudocode; the machine is
// test/cpu/protectedMachine.ts.

import { strict as assert } from 'node:assert';
import { ATTR_UNUSABLE, CS, DS, ES, FS, GS, SS } from '../../src/cpu/state';
import {
  CODE, CODE3, DATA0, DATA3, GDT, PmMachine, STACK0, TSS, TSS_ESP0, callGate, createPmCpu, descriptor, enterRing3,
  expectEnd, expectFault, expectHalt, expectShutdown, flatCode, flatData, peek16, peek32, poke, poke32, setDescriptor,
} from './protectedMachine';

const VEC_TS = 10, VEC_NP = 11, VEC_SS = 12, VEC_GP = 13;
const TEST = 0x30, GATE = 0x40, GATE16 = 0x48;
const TARGET = 0x10020;

const notPresent = (d: [number, number]): [number, number] => [d[0], d[1] & ~0x8000];

/** `code` at CODE with descriptor 30h = `d`, at `cpl`; the byte at TARGET is HLT (INT3 for ring 3). */
function machine(code: string, d: [number, number] | null, cpl = 0, targetByte = cpl === 3 ? 0xcc : 0xf4): PmMachine {
  const m = createPmCpu(code);
  if (d) setDescriptor(m, TEST, d);
  m.ram[TARGET] = targetByte;
  if (cpl === 3) enterRing3(m);
  return m;
}

/** Values (dwords) on the stack at the CPU's ESP. */
function stackDwords(m: PmMachine, n: number): number[] {
  const esp = m.cpu.reg32[4] >>> 0;
  return Array.from({ length: n }, (_, i) => peek32(m, esp + 4 * i));
}

const JMP_TEST = 'ea 20 00 01 00 30 00'; // jmp 30h:10020h
const JMP_TEST3 = 'ea 20 00 01 00 33 00'; // jmp 33h:10020h
const CALL_TEST = '9a 20 00 01 00 30 00'; // call 30h:10020h

describe('CPU: far JMP and CALL to code segments in protected mode', () => {
  it('JMP to a non-conforming segment at CPL: CS loaded with RPL = CPL, accessed bit set', () => {
    const m = machine(JMP_TEST, flatCode(0, 0xa));
    assert.equal(expectHalt(m), TARGET);
    assert.equal(m.cpu.segSel[CS], TEST);
    assert.equal(m.ram[GDT + TEST + 5], 0x9b);
  });

  it('non-conforming: DPL other than CPL or RPL above CPL is #GP(selector)', () => {
    expectFault(machine(JMP_TEST3, flatCode(0, 0xa), 3), VEC_GP, TEST); // DPL 0 from ring 3
    expectFault(machine(JMP_TEST, flatCode(3, 0xa)), VEC_GP, TEST); // DPL 3 from ring 0
    expectFault(machine(JMP_TEST3, flatCode(0, 0xa)), VEC_GP, TEST); // RPL 3 at CPL 0
  });

  it('conforming: DPL <= CPL runs at the caller\'s CPL (CS.RPL = CPL); DPL above CPL is #GP(selector)', () => {
    const m = machine('ea 20 00 01 00 30 00', flatCode(0, 0xe), 3);
    const end = expectEnd(m);
    assert.equal(end.eip, TARGET);
    assert.equal(peek32(m, (m.cpu.reg32[4] >>> 0) + 4) & 0xffff, TEST | 3, 'INT3 pushed CS 33h: still ring 3');
    expectFault(machine(JMP_TEST, flatCode(3, 0xe)), VEC_GP, TEST);
  });

  it('not present is #NP(selector); data, LDT and busy TSS descriptors #GP(selector); null #GP(0)', () => {
    expectFault(machine(JMP_TEST, notPresent(flatCode(0, 0xa))), VEC_NP, TEST);
    expectFault(machine(JMP_TEST, flatData(0)), VEC_GP, TEST);
    expectFault(machine(JMP_TEST, descriptor(0x5000, 0xff, 0x82, 0)), VEC_GP, TEST);
    expectFault(machine(JMP_TEST, descriptor(TSS, 0x67, 0x8b, 0)), VEC_GP, TEST);
    expectFault(machine('ea 20 00 01 00 03 00', null), VEC_GP, 0);
  });

  it('an offset beyond the limit is #GP(0), CS unchanged', () => {
    const m = machine('ea 00 20 00 00 30 00', descriptor(0x10000, 0xfff, 0x9a, 0x4)); // jmp 30h:2000h
    const f = expectFault(m, VEC_GP, 0);
    assert.equal(f.cs, 0x08);
    assert.equal(f.eip, CODE);
  });

  it('CALL pushes CS:EIP at the operand size (32 and 16 bits) onto the same stack', () => {
    let m = machine(CALL_TEST, flatCode(0, 0xa));
    assert.equal(expectHalt(m), TARGET);
    assert.deepEqual(stackDwords(m, 2), [CODE + 7, 0x08]);
    assert.equal(m.cpu.reg32[4], STACK0 - 8);
    m = machine('66 9a 20 00 30 00', flatCode(0, 0xa)); // call word 30h:0020h
    m.ram[0x20] = 0xf4;
    assert.equal(expectHalt(m), 0x20);
    assert.deepEqual([peek16(m, STACK0 - 4), peek16(m, STACK0 - 2)], [(CODE + 6) & 0xffff, 0x08]);
  });

  it('the L bit is ignored outside IA-32e mode: JMP and RETF run the segment at the size its D bit gives', () => {
    // mov eax, 12345678h; hlt as 32-bit code. As 16-bit code: mov ax, 5678h; xor al, 12h; hlt.
    const body = [0xb8, 0x78, 0x56, 0x34, 0x12, 0xf4];
    for (const [flags, eax] of [[0xe, 0x12345678], [0xa, 0x566a]]) {
      const viaJmp = machine(JMP_TEST, descriptor(0, 0xfffff, 0x9a, flags));
      body.forEach((b, i) => (viaJmp.ram[TARGET + i] = b));
      assert.equal(expectHalt(viaJmp), TARGET + 5, `JMP, flags ${flags.toString(16)}`);
      assert.equal(viaJmp.cpu.reg32[0] & (flags & 4 ? 0xffffffff : 0xffff), eax);
      const viaRetf = createPmCpu('cb');
      setDescriptor(viaRetf, TEST, descriptor(0, 0xfffff, 0x9a, flags));
      body.forEach((b, i) => (viaRetf.ram[TARGET + i] = b));
      poke32(viaRetf, viaRetf.cpu.reg32[4] >>> 0, TARGET);
      poke32(viaRetf, (viaRetf.cpu.reg32[4] >>> 0) + 4, TEST);
      assert.equal(expectHalt(viaRetf), TARGET + 5, `RETF, flags ${flags.toString(16)}`);
      assert.equal(viaRetf.cpu.reg32[0] & (flags & 4 ? 0xffffffff : 0xffff), eax);
    }
  });

  it('CALL to a more privileged non-conforming segment without a gate is #GP(selector)', () => {
    expectFault(machine('9a 20 00 01 00 33 00', flatCode(0, 0xa), 3), VEC_GP, TEST);
  });
});

describe('CPU: far RET and IRET in protected mode', () => {
  /** A RETF (`retf` hex) at CPL `cpl` with `frame` (dwords) on the stack. */
  function returning(retf: string, frame: number[], cpl = 0): PmMachine {
    const m = createPmCpu(retf);
    m.ram[TARGET] = 0xcc;
    if (cpl === 3) enterRing3(m);
    const esp = m.cpu.reg32[4] >>> 0;
    frame.forEach((v, i) => poke32(m, esp + 4 * i, v));
    return m;
  }

  it('to the same level: EIP and CS popped, RET imm16 releases the parameters', () => {
    const m = returning('ca 08 00', [TARGET, 0x08]);
    m.ram[TARGET] = 0xf4;
    assert.equal(expectHalt(m), TARGET);
    assert.equal(m.cpu.reg32[4], STACK0 + 16);
  });

  it('outward to ring 3: the caller\'s SS:ESP, parameters released on both stacks, inner data segments nulled', () => {
    const m = returning('ca 08 00', [TARGET, CODE3, 0x1111, 0x2222, 0x7000, DATA3]);
    setDescriptor(m, TEST, flatCode(0, 0xe)); // conforming readable code: ring 3 may keep it
    setDescriptor(m, 0x38, flatCode(0, 0xa)); // non-conforming readable code, DPL 0: nulled
    m.cpu.loadSegment(FS, DATA3);
    m.cpu.loadSegment(GS, TEST);
    m.cpu.loadSegment(ES, 0x38);
    const end = expectEnd(m);
    assert.equal(end.eip, TARGET);
    assert.equal(end.ss, DATA3);
    assert.equal(end.esp, 0x7008, 'ESP 7000h + 8 released on the outer stack');
    assert.equal(m.cpu.segSel[DS], 0, 'DS (DPL 0 data) nulled');
    assert.ok(m.cpu.segAttr[DS] & ATTR_UNUSABLE);
    assert.equal(m.cpu.segSel[ES], 0, 'ES (DPL 0 non-conforming code) nulled');
    assert.equal(m.cpu.segSel[FS], DATA3, 'FS (DPL 3 data) kept');
    assert.equal(m.cpu.segSel[GS], TEST, 'GS (conforming code) kept');
  });

  it('a 16-bit RETF outward to a 32-bit stack: ESP is the popped SP zero-extended', () => {
    const m = createPmCpu('66 cb'); // o16 retf
    m.ram[TARGET & 0xffff] = 0xcc;
    m.cpu.reg32[4] = 0x128000;
    [TARGET & 0xffff, CODE3, 0x7000, DATA3].forEach((v, i) => { m.ram[0x128000 + 2 * i] = v & 0xff; m.ram[0x128001 + 2 * i] = v >> 8; });
    const end = expectEnd(m);
    assert.equal(end.eip, TARGET & 0xffff);
    assert.equal(end.esp, 0x7000, 'not 127000h');
  });

  it('return CS: RPL below CPL, DPL other than RPL, not code, not present, null', () => {
    expectFault(returning('cb', [TARGET, 0x08], 3), VEC_GP, 0x08); // to ring 0 from ring 3
    let m = returning('cb', [TARGET, TEST | 1]);
    setDescriptor(m, TEST, flatCode(0, 0xa)); // DPL 0, RPL 1
    expectFault(m, VEC_GP, TEST);
    expectFault(returning('cb', [TARGET, DATA0]), VEC_GP, DATA0);
    m = returning('cb', [TARGET, TEST]);
    setDescriptor(m, TEST, notPresent(flatCode(0, 0xa)));
    expectFault(m, VEC_NP, TEST);
    expectFault(returning('cb', [TARGET, 0]), VEC_GP, 0);
  });

  it('outward return SS: RPL or DPL other than the new CPL, read-only, not present, null', () => {
    expectFault(returning('cb', [TARGET, CODE3, 0x7000, DATA0]), VEC_GP, DATA0); // RPL 0
    expectFault(returning('cb', [TARGET, CODE3, 0x7000, DATA0 | 3]), VEC_GP, DATA0); // DPL 0
    let m = returning('cb', [TARGET, CODE3, 0x7000, TEST | 3]);
    setDescriptor(m, TEST, flatData(3, 0));
    expectFault(m, VEC_GP, TEST);
    m = returning('cb', [TARGET, CODE3, 0x7000, TEST | 3]);
    setDescriptor(m, TEST, notPresent(flatData(3)));
    const f = expectFault(m, VEC_SS, TEST);
    assert.equal(f.cs, 0x08, 'nothing changed before the fault');
    expectFault(returning('cb', [TARGET, CODE3, 0x7000, 0]), VEC_GP, 0);
  });

  it('IRETD outward with a bad SS is #GP(SS) before anything changes', () => {
    const m = returning('cf', [TARGET, CODE3, 0x202, 0x7000, DATA0]);
    const f = expectFault(m, VEC_GP, DATA0);
    assert.equal(f.cs, 0x08);
    assert.equal(m.cpu.segSel[DS], DATA0, 'DS not nulled');
  });
});

describe('CPU: inward stacks from the TSS (interrupts)', () => {
  it('an interrupt from ring 3 whose TSS SS0 is not a ring-0 writable segment: #TS(SS0), EXT clear for INT3', () => {
    const m = createPmCpu('cc');
    enterRing3(m);
    poke32(m, TSS + 8, DATA3); // SS0 = 23h: RPL 3
    expectShutdown(m);
    assert.deepEqual(m.deliveries.slice(0, 2), [{ vector: VEC_TS, errorCode: 0x20 }, { vector: VEC_TS, errorCode: 0x21 }],
      'the INT3 fails with #TS(20h); delivering that #TS (an exception: EXT) fails the same way');
  });

  it('a TSS too short for the ring-0 stack is #TS(TSS selector)', () => {
    const m = createPmCpu('cc');
    enterRing3(m);
    m.cpu.tr.limit = 7;
    expectShutdown(m);
    assert.deepEqual(m.deliveries[0], { vector: VEC_TS, errorCode: 0x28 });
  });
});

describe('CPU: call gates', () => {
  /** Ring 3 pushes two parameters and calls the gate at 40h (`gate`); ring 0 code at 10100h. */
  function viaGate(gate: [number, number], handler = 'f4', cpl = 3, call = '9a 00 00 00 00 43 00'): PmMachine {
    const m = createPmCpu(`68 22 22 00 00 68 11 11 00 00 ${call} cc`);
    setDescriptor(m, GATE, gate);
    poke(m, 0x10100, handler.split(' ').map((b) => parseInt(b, 16)));
    if (cpl === 3) enterRing3(m);
    return m;
  }
  const RETURN = CODE + 17;

  it('32-bit gate from ring 3: TSS stack, old SS:ESP, two parameters copied, return CS:EIP', () => {
    const m = viaGate(callGate(0x08, 0x10100, 3, 2));
    assert.equal(expectHalt(m), 0x10100);
    assert.equal(m.cpu.cpl, 0);
    assert.equal(m.cpu.segSel[CS], 0x08);
    assert.equal(m.cpu.segSel[SS], DATA0);
    assert.equal(m.cpu.reg32[4], TSS_ESP0 - 24);
    assert.deepEqual(stackDwords(m, 6), [RETURN, CODE3, 0x1111, 0x2222, 0x7000 - 8, DATA3]);
  });

  it('RETF 8 from the gate\'s handler returns to ring 3 with the parameters released', () => {
    const m = viaGate(callGate(0x08, 0x10100, 3, 2), 'ca 08 00');
    const end = expectEnd(m);
    assert.equal(end.eip, RETURN);
    assert.equal(end.ss, DATA3);
    assert.equal(end.esp, 0x7000);
    assert.equal(m.cpu.segSel[DS], DATA3, 'ring 3\'s DS kept');
  });

  it('16-bit gate: the high half of the offset is ignored, the frame is words, one parameter copied', () => {
    const m = createPmCpu('66 68 33 33 9a 00 00 00 00 4b 00 cc'); // push word 3333h; call 4Bh:0
    setDescriptor(m, GATE16, callGate(0x08, 0x12346100, 3, 1, false));
    m.ram[0x6100] = 0xf4;
    enterRing3(m);
    assert.equal(expectHalt(m), 0x6100);
    const esp = m.cpu.reg32[4] >>> 0;
    assert.equal(esp, TSS_ESP0 - 10);
    assert.deepEqual([0, 1, 2, 3, 4].map((i) => peek16(m, esp + 2 * i)), [(CODE + 11) & 0xffff, CODE3, 0x3333, 0x6ffe, DATA3]);
  });

  it('a gate to a segment at the same level: no stack switch, the return address at the gate\'s size', () => {
    const m = viaGate(callGate(0x08, 0x10100, 3, 2), 'f4', 0);
    assert.equal(expectHalt(m), 0x10100);
    assert.equal(m.cpu.reg32[4], STACK0 - 8 - 8);
    assert.deepEqual(stackDwords(m, 2), [RETURN, 0x08]);
  });

  it('JMP through a gate: same level only; to a more privileged segment #GP(code selector)', () => {
    expectFault(viaGate(callGate(0x08, 0x10100, 3, 0), 'f4', 3, 'ea 00 00 00 00 43 00'), VEC_GP, 0x08);
    const m = viaGate(callGate(0x08, 0x10100, 0, 0), 'f4', 0, 'ea 00 00 00 00 40 00');
    assert.equal(expectHalt(m), 0x10100);
    assert.equal(m.cpu.reg32[4], STACK0 - 8, 'a jump pushes nothing');
  });

  it('gate checks: DPL below CPL or RPL #GP(gate), not present #NP(gate)', () => {
    expectFault(viaGate(callGate(0x08, 0x10100, 0, 2)), VEC_GP, GATE);
    expectFault(viaGate(callGate(0x08, 0x10100, 2, 2), 'f4', 0), VEC_GP, GATE); // RPL 3 > DPL 2
    expectFault(viaGate(notPresent(callGate(0x08, 0x10100, 3, 2))), VEC_NP, GATE);
  });

  it('target checks: null #GP(0), data or DPL above CPL #GP(code), not present #NP(code)', () => {
    expectFault(viaGate(callGate(0x00, 0x10100, 3, 2)), VEC_GP, 0);
    expectFault(viaGate(callGate(DATA0, 0x10100, 3, 2)), VEC_GP, DATA0);
    expectFault(viaGate(callGate(CODE3, 0x10100, 3, 2), 'f4', 0), VEC_GP, 0x18); // DPL 3 code from ring 0
    const m = viaGate(callGate(TEST, 0x10100, 3, 2));
    setDescriptor(m, TEST, notPresent(flatCode(0, 0xa)));
    expectFault(m, VEC_NP, TEST);
    const far = viaGate(callGate(TEST, 0x2000, 3, 2));
    setDescriptor(far, TEST, descriptor(0x10000, 0xfff, 0x9a, 0x4));
    expectFault(far, VEC_GP, 0);
  });

  it('the inward stack: a bad SS0 is #TS(SS0), a not-present one #SS(SS0), no room #SS(SS0)', () => {
    let m = viaGate(callGate(0x08, 0x10100, 3, 2));
    setDescriptor(m, TEST, flatData(0, 0)); // read-only
    poke32(m, TSS + 8, TEST);
    expectShutdown(m);
    assert.deepEqual(m.deliveries[0], { vector: VEC_TS, errorCode: TEST });
    m = viaGate(callGate(0x08, 0x10100, 3, 2));
    setDescriptor(m, TEST, notPresent(flatData(0)));
    poke32(m, TSS + 8, TEST);
    expectShutdown(m);
    assert.deepEqual(m.deliveries[0], { vector: VEC_SS, errorCode: TEST });
    m = viaGate(callGate(0x08, 0x10100, 3, 2));
    setDescriptor(m, TEST, descriptor(0, 0x8fff, 0x92, 0x4)); // ends below ESP0
    poke32(m, TSS + 8, TEST);
    poke32(m, TSS + 4, 0x9010);
    expectShutdown(m);
    assert.deepEqual(m.deliveries[0], { vector: VEC_SS, errorCode: TEST });
    assert.equal(m.cpu.segSel[CS], CODE3, 'still in ring 3');
  });
});
