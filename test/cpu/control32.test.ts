// 32-bit operand and address forms of the control transfers and segment
// loads, which neither the 286 vectors (16-bit only) nor the native oracle
// (user mode cannot run them) reach: near/far CALL, RET, JMP and IRET with
// 66h, LSS/LFS/LGS/LDS with a 32-bit offset, POP Sreg, LOOP on ECX, BOUND,
// and INT n (always 16-bit frames in real mode). Expected values follow the
// SDM's pseudocode for each instruction, worked out by hand.

import { strict as assert } from 'node:assert';
import { StopReason } from '../../src/cpu/cpu';
import { CS, DS, EAX, EBX, ECX, ESI, FS, GS, SS } from '../../src/cpu/state';
import { CODE, HANDLERS, TestCpu, createTestCpu } from './testMachine';

const STACK = 0x20000; // SS = 2000h, SP = FFF0h

function machine(code: string): TestCpu {
  return createTestCpu(code, { portIn: () => 0xffffffff, portOut: () => {} });
}

function poke32(m: TestCpu, linear: number, value: number): void {
  for (let i = 0; i < 4; i++) m.ram[linear + i] = (value >>> (8 * i)) & 0xff;
}

function peek32(m: TestCpu, linear: number): number {
  return (m.ram[linear] | (m.ram[linear + 1] << 8) | (m.ram[linear + 2] << 16) | (m.ram[linear + 3] << 24)) >>> 0;
}

function halt(m: TestCpu, budget = 1000): void {
  assert.equal(m.cpu.run(budget), StopReason.Halt, m.cpu.internalError?.message);
}

const esp = (m: TestCpu): number => m.cpu.reg32[4] >>> 0;

describe('CPU: 32-bit control transfers and segment loads in real mode', () => {
  it('66 E8: CALL rel32 pushes a dword return address; 66 C3: RET pops one', () => {
    const m = machine('66 e8 05 00 00 00 90 90 90 90 90 66 c3');
    m.ram[CODE + 6] = 0xf4; // the return lands on a HLT
    halt(m);
    assert.equal(m.cpu.eip, 7, 'called 0Bh, returned to 6 and halted there');
    assert.equal(esp(m), 0xfff0);
    assert.equal(peek32(m, STACK + 0xffec), 6, 'the dword return address the call pushed');
  });

  it('66 9A: far CALL ptr16:32 pushes CS and EIP as dwords; 66 CB: RETF pops them', () => {
    const m = machine('66 9a 20 00 00 00 00 30');
    m.ram[0x30020] = 0x66;
    m.ram[0x30021] = 0xcb; // retf (32-bit)
    m.ram[CODE + 8] = 0xf4;
    m.cpu.run(2); // the call and the retf
    assert.equal(m.cpu.segSel[CS], 0x1000);
    assert.equal(m.cpu.eip, 8);
    assert.equal(esp(m), 0xfff0);
    // The frame the call built (still in memory below SP).
    assert.equal(peek32(m, STACK + 0xffe8), 8, 'return EIP');
    assert.equal(peek32(m, STACK + 0xffec) & 0xffff, 0x1000, 'return CS');
  });

  it('66 EA: far JMP ptr16:32 loads CS and the whole EIP', () => {
    const m = machine('66 ea 50 00 00 00 00 50');
    m.ram[0x50050] = 0xf4;
    halt(m);
    assert.equal(m.cpu.segSel[CS], 0x5000);
    assert.equal(m.cpu.segBase[CS], 0x50000);
    assert.equal(m.cpu.eip, 0x51);
  });

  it('66 FF /3: far CALL m16:32 and 66 FF /5: far JMP m16:32 read a 6-byte pointer', () => {
    let m = machine('66 ff 1e 00 01');
    poke32(m, CODE + 0x100, 0x60);
    m.ram[CODE + 0x104] = 0x00;
    m.ram[CODE + 0x105] = 0x60;
    m.ram[0x60060] = 0xf4;
    halt(m);
    assert.equal(m.cpu.segSel[CS], 0x6000);
    assert.equal(esp(m), 0xffe8);
    assert.equal(peek32(m, STACK + 0xffe8), 5, 'return EIP after the 5-byte call');
    m = machine('66 ff 2e 00 01');
    poke32(m, CODE + 0x100, 0x70);
    m.ram[CODE + 0x105] = 0x70;
    m.ram[0x70070] = 0xf4;
    halt(m);
    assert.equal(m.cpu.segSel[CS], 0x7000);
    assert.equal(m.cpu.eip, 0x71);
    assert.equal(esp(m), 0xfff0, 'a jump pushes nothing');
  });

  it('66 C2 iw: RET imm16 pops a dword and releases the bytes', () => {
    const m = machine('66 c2 08 00');
    m.cpu.reg32[4] = 0xffe0;
    poke32(m, STACK + 0xffe0, 0x30);
    m.ram[CODE + 0x30] = 0xf4;
    halt(m);
    assert.equal(m.cpu.eip, 0x31);
    assert.equal(esp(m), 0xffe0 + 4 + 8);
  });

  it('66 CF: IRETD pops EIP, CS and EFLAGS as dwords', () => {
    const m = machine('66 cf');
    m.cpu.reg32[4] = 0xffe4;
    poke32(m, STACK + 0xffe4, 0x70);
    poke32(m, STACK + 0xffe8, 0x7000);
    poke32(m, STACK + 0xffec, 0x0203); // IF, CF
    m.ram[0x70070] = 0xf4;
    halt(m);
    assert.equal(m.cpu.segSel[CS], 0x7000);
    assert.equal(m.cpu.eip, 0x71);
    assert.equal(m.cpu.getFlags() & 0xfff, 0x203);
    assert.equal(esp(m), 0xfff0);
  });

  it('66 0F B2/B4/B5 and 66 C5: LSS/LFS/LGS/LDS with a 32-bit offset', () => {
    const m = machine('66 0f b4 1e 00 01 66 0f b5 0e 00 01 66 0f b2 26 00 01 66 c5 36 00 01 f4');
    poke32(m, CODE + 0x100, 0x12345678);
    m.ram[CODE + 0x104] = 0x00;
    m.ram[CODE + 0x105] = 0x21;
    halt(m);
    assert.equal(m.cpu.reg32[EBX] >>> 0, 0x12345678);
    assert.equal(m.cpu.segSel[FS], 0x2100);
    assert.equal(m.cpu.reg32[ECX] >>> 0, 0x12345678);
    assert.equal(m.cpu.segSel[GS], 0x2100);
    assert.equal(esp(m), 0x12345678);
    assert.equal(m.cpu.segSel[SS], 0x2100);
    assert.equal(m.cpu.segBase[SS], 0x21000);
    assert.equal(m.cpu.reg32[ESI] >>> 0, 0x12345678);
    assert.equal(m.cpu.segSel[DS], 0x2100);
  });

  it('66 1F: POP DS with a 32-bit operand pops a dword and keeps its low word', () => {
    const m = machine('66 1f f4');
    m.cpu.reg32[4] = 0xffec;
    poke32(m, STACK + 0xffec, 0xabcd1234);
    halt(m);
    assert.equal(m.cpu.segSel[DS], 0x1234);
    assert.equal(m.cpu.segBase[DS], 0x12340);
    assert.equal(esp(m), 0xfff0);
  });

  it('67 E2: LOOP counts ECX with a 32-bit address size, CX without', () => {
    let m = machine('67 e2 fd f4');
    m.cpu.reg32[ECX] = 0x00010003;
    halt(m, 0x20000);
    assert.equal(m.cpu.reg32[ECX], 0);
    assert.equal(m.cpu.retired(), 0x10003 + 1);
    m = machine('e2 fe f4');
    m.cpu.reg32[ECX] = 0x00010003;
    halt(m);
    assert.equal(m.cpu.reg32[ECX] >>> 0, 0x00010000, 'only CX counted down');
  });

  it('66 62: BOUND with dword bounds raises #BR only outside them', () => {
    let m = machine('66 62 06 00 01 f4');
    poke32(m, CODE + 0x100, 10);
    poke32(m, CODE + 0x104, 20);
    m.cpu.reg32[EAX] = 25;
    halt(m);
    assert.equal(m.cpu.segSel[CS], 0);
    assert.equal(m.cpu.eip, HANDLERS + 5 + 1, '#BR (vector 5) taken');
    m = machine('66 62 06 00 01 f4');
    poke32(m, CODE + 0x100, 10);
    poke32(m, CODE + 0x104, 20);
    m.cpu.reg32[EAX] = 15;
    halt(m);
    assert.equal(m.cpu.eip, 6, 'in bounds: no exception');
  });

  it('66 CD: INT n in real mode pushes a 16-bit frame whatever the operand size', () => {
    const m = machine('66 cd 40');
    halt(m);
    assert.equal(m.cpu.eip, HANDLERS + 0x40 + 1);
    assert.equal(esp(m), 0xfff0 - 6);
    assert.equal(m.ram[STACK + 0xffea] | (m.ram[STACK + 0xffeb] << 8), 3, 'return IP');
    assert.equal(m.ram[STACK + 0xffec] | (m.ram[STACK + 0xffed] << 8), 0x1000, 'return CS');
  });
});

describe('CPU: NMI blocking', () => {
  it('an NMI latched inside the NMI handler is taken right after its IRET, not before', () => {
    // Main code: NOPs. The NMI handler at 0000:0600: inc word cs:[0700h]; iret.
    const m = machine('90 90 90 90 90 90 90 90 f4');
    m.ram.set([0x2e, 0xff, 0x06, 0x00, 0x07, 0xcf], 0x600);
    m.ram.set([0x00, 0x06, 0x00, 0x00], 2 * 4);
    m.cpu.raiseNmi();
    m.cpu.run(1); // the NMI is taken, then the handler's INC
    assert.equal(m.ram[0x700], 1);
    m.cpu.raiseNmi(); // inside the handler: blocked, latched
    m.cpu.run(1); // the IRET
    assert.equal(m.cpu.segSel[CS], 0x1000, 'back in the main code');
    m.cpu.run(1); // the second NMI comes first, then its INC
    assert.equal(m.ram[0x700], 2, 'the latched NMI ran right after the IRET');
    assert.equal(m.cpu.segSel[CS], 0, 'inside the handler again');
  });

  it('within one run: the IRET ends the slice so the latched NMI is not left for a later one', () => {
    const m = machine('90 90 90 90 90 90 90 90 f4');
    m.ram.set([0x2e, 0xff, 0x06, 0x00, 0x07, 0xcf], 0x600);
    m.ram.set([0x00, 0x06, 0x00, 0x00], 2 * 4);
    m.cpu.raiseNmi();
    m.cpu.run(1);
    m.cpu.raiseNmi();
    m.cpu.run(3); // IRET, then the second NMI's INC and IRET
    assert.equal(m.ram[0x700], 2);
    assert.equal(m.cpu.segSel[CS], 0x1000);
    assert.equal(m.cpu.eip, 0, 'no main-code instruction ran between the two handlers');
  });
});
