// Hardware task switches (SDM vol. 3 ch. 7; vol. 2 JMP, CALL, INT n, IRET):
// JMP, CALL and a task gate to a 32-bit TSS and back by IRET with NT, an
// exception through a task gate with its error code on the new task's stack,
// the busy bits, NT and the link, a 16-bit TSS, the T bit, and the faults of
// the switch before (old task) and after (new task) it commits. Worked out by
// hand; the machine is test/cpu/protectedMachine.ts (current TSS 28h at 3000h).

import { strict as assert } from 'node:assert';
import { CR0_TS, CS, DS, NT, SS } from '../../src/cpu/state';
import {
  CODE, GDT, IDT, PmMachine, TSS, TSS_SEL, createPmCpu, descriptor, enterRing3, expectFault, expectHalt,
  expectShutdown, peek16, peek32, poke, poke16, poke32, setDescriptor,
} from './protectedMachine';

const VEC_DB = 1, VEC_TS = 10, VEC_NP = 11, VEC_GP = 13;
const NEW = 0x30, NEW_TSS = 0x6000, GATE = 0x38, TSS16 = 0x40, TSS16_AT = 0x6800;
const ENTRY = 0x10100;

/** A machine whose descriptor 30h is an available 32-bit TSS at 6000h for a ring-0 task at ENTRY. */
function machine(code: string, entry = 'f4'): PmMachine {
  const m = createPmCpu(code);
  setDescriptor(m, NEW, descriptor(NEW_TSS, 0x67, 0x89, 0));
  setDescriptor(m, GATE, [NEW << 16, 0x8500]); // task gate, DPL 0
  poke32(m, NEW_TSS + 0x20, ENTRY);
  poke32(m, NEW_TSS + 0x24, 0x2); // EFLAGS
  poke32(m, NEW_TSS + 0x28, 0x11111111); // EAX
  poke32(m, NEW_TSS + 0x38, 0x7800); // ESP
  for (const [off, sel] of [[0x48, 0x10], [0x4c, 0x08], [0x50, 0x10], [0x54, 0x10]]) poke32(m, NEW_TSS + off, sel);
  poke(m, ENTRY, entry.split(' ').map((b) => parseInt(b, 16)));
  m.cpu.reg32[0] = 0xaaaa;
  return m;
}

const typeOf = (m: PmMachine, sel: number): number => m.ram[GDT + sel + 5] & 0x1f;

describe('CPU: task switches', () => {
  it('JMP to a TSS: the old task saved, its busy bit cleared, the new one busy, no link, NT clear, CR0.TS set', () => {
    const m = machine('ea 00 00 00 00 30 00'); // jmp 30h:0
    m.cpu.setFlags(0x8d5); // OF SF ZF AF PF CF: the new task's EFLAGS replace them all
    assert.equal(expectHalt(m), ENTRY);
    assert.equal(m.cpu.getFlags(), 0x0002, 'EFLAGS from the TSS image');
    assert.equal(peek32(m, TSS + 0x24), 0x08d7, 'old EFLAGS saved');
    assert.equal(m.cpu.tr.selector, NEW);
    assert.equal(m.cpu.reg32[0], 0x11111111);
    assert.equal(m.cpu.reg32[4], 0x7800);
    assert.equal(m.cpu.segSel[DS], 0x10);
    assert.equal(typeOf(m, TSS_SEL), 0x09, 'old TSS available again');
    assert.equal(typeOf(m, NEW), 0x0b, 'new TSS busy');
    assert.equal(peek32(m, TSS + 0x20), CODE + 7, 'old EIP: after the JMP');
    assert.equal(peek32(m, TSS + 0x28), 0xaaaa, 'old EAX');
    assert.equal(peek16(m, TSS + 0x4c), 0x08, 'old CS');
    assert.equal(peek16(m, NEW_TSS), 0, 'no back link');
    assert.equal(m.cpu.getFlags() & NT, 0);
    assert.ok(m.cpu.cr0 & CR0_TS);
  });

  it('CALL to a TSS nests (NT, link, both busy); IRET in the new task returns along the link', () => {
    let m = machine('9a 00 00 00 00 30 00 f4'); // call 30h:0; hlt
    assert.equal(expectHalt(m), ENTRY);
    assert.ok(m.cpu.getFlags() & NT);
    assert.equal(peek16(m, NEW_TSS), TSS_SEL, 'back link to the caller');
    assert.equal(typeOf(m, TSS_SEL), 0x0b, 'the caller stays busy');
    assert.equal(typeOf(m, NEW), 0x0b);
    m = machine('9a 00 00 00 00 30 00 f4', 'b8 77 77 00 00 cf'); // the task: mov eax,7777h; iretd
    assert.equal(expectHalt(m), CODE + 7, 'back after the CALL');
    assert.equal(m.cpu.tr.selector, TSS_SEL);
    assert.equal(m.cpu.reg32[0], 0xaaaa, 'the caller\'s EAX');
    assert.equal(typeOf(m, NEW), 0x09, 'the returning task is available again');
    assert.equal(peek32(m, NEW_TSS + 0x28), 0x7777, 'its EAX saved');
    assert.equal(peek32(m, NEW_TSS + 0x24) & NT, 0, 'its saved EFLAGS have NT clear');
    assert.equal(peek32(m, NEW_TSS + 0x20), ENTRY + 6, 'its EIP after the IRET');
  });

  it('CALL through a task gate in the GDT switches the same way', () => {
    const m = machine('9a 00 00 00 00 38 00 f4');
    assert.equal(expectHalt(m), ENTRY);
    assert.equal(m.cpu.tr.selector, NEW);
    assert.equal(peek16(m, NEW_TSS), TSS_SEL);
  });

  it('an exception through a task gate: the error code on the new task\'s stack, the old EIP at the fault', () => {
    const m = machine('66 b8 00 10 8e d8 f4'); // mov ax,1000h; mov ds,ax → #GP(1000h)
    poke32(m, IDT + 13 * 8, NEW << 16);
    poke32(m, IDT + 13 * 8 + 4, 0x8500);
    assert.equal(expectHalt(m), ENTRY);
    assert.equal(m.cpu.reg32[4], 0x7800 - 4);
    assert.equal(peek32(m, 0x7800 - 4), 0x1000, 'the error code');
    assert.equal(peek32(m, TSS + 0x20), CODE + 4, 'the old task resumes at the faulting MOV');
    assert.equal(peek16(m, NEW_TSS), TSS_SEL);
    assert.ok(m.cpu.getFlags() & NT);
  });

  it('checks before the switch: busy #GP, DPL below CPL #GP, not present #NP, too short #TS, task gate DPL #GP(gate)', () => {
    let m = machine('ea 00 00 00 00 30 00');
    setDescriptor(m, NEW, descriptor(NEW_TSS, 0x67, 0x8b, 0));
    expectFault(m, VEC_GP, NEW);
    m = machine('ea 00 00 00 00 33 00 cc');
    enterRing3(m);
    expectFault(m, VEC_GP, NEW);
    m = machine('ea 00 00 00 00 30 00');
    setDescriptor(m, NEW, descriptor(NEW_TSS, 0x67, 0x09, 0));
    expectFault(m, VEC_NP, NEW);
    m = machine('ea 00 00 00 00 30 00');
    setDescriptor(m, NEW, descriptor(NEW_TSS, 0x60, 0x89, 0));
    const f = expectFault(m, VEC_TS, NEW);
    assert.equal(f.cs, 0x08);
    assert.equal(m.cpu.tr.selector, TSS_SEL, 'nothing switched');
    m = machine('ea 00 00 00 00 3b 00 cc');
    enterRing3(m);
    expectFault(m, VEC_GP, GATE);
  });

  it('a bad segment in the new task faults after the switch, in the new task: #TS(SS)', () => {
    const m = machine('ea 00 00 00 00 30 00');
    poke32(m, NEW_TSS + 0x50, 0x13); // SS RPL 3 for CPL 0
    expectShutdown(m); // the new task's SS is unusable: its #TS cannot be pushed
    assert.deepEqual(m.deliveries[0], { vector: VEC_TS, errorCode: 0x10 });
    assert.equal(m.cpu.tr.selector, NEW, 'the switch had committed');
    assert.equal(m.cpu.segSel[SS], 0x13);
  });

  it('the T bit: #DB with DR6.BT before the new task\'s first instruction', () => {
    const m = machine('ea 00 00 00 00 30 00');
    poke16(m, NEW_TSS + 0x64, 1);
    const f = expectFault(m, VEC_DB, -1);
    assert.deepEqual([f.cs, f.eip], [0x08, ENTRY], 'the #DB frame: the new task\'s first instruction');
    assert.equal(m.cpu.reg32[4], 0x7800 - 12, 'on the new task\'s stack');
    assert.ok(m.cpu.dr[6] & 0x8000, 'DR6.BT');
  });

  it('a 16-bit TSS: word registers (high words FFFFh), no FS/GS, IP zero-extended', () => {
    const m = machine('ea 00 00 00 00 40 00');
    setDescriptor(m, TSS16, descriptor(TSS16_AT, 0x2b, 0x81, 0));
    poke16(m, TSS16_AT + 0x0e, 0x0100); // IP
    poke16(m, TSS16_AT + 0x10, 0x0002); // FLAGS
    poke16(m, TSS16_AT + 0x12, 0x1234); // AX
    poke16(m, TSS16_AT + 0x1a, 0x7000); // SP
    for (const [off, sel] of [[0x22, 0x10], [0x24, 0x08], [0x26, 0x10], [0x28, 0x10]]) poke16(m, TSS16_AT + off, sel);
    m.ram[0x100] = 0xf4;
    assert.equal(expectHalt(m), 0x100);
    assert.equal(m.cpu.reg32[0] >>> 0, 0xffff1234);
    assert.equal(m.cpu.tr.selector, TSS16);
    assert.equal(typeOf(m, TSS16), 0x03, '16-bit TSS busy');
    assert.equal(m.cpu.segSel[CS], 0x08);
  });
});
