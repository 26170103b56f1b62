// Unit tests for ops/string.ts, ops/shift.ts, ops/muldiv.ts and ops/bcd.ts:
// what the conformance vectors cannot show (32-bit forms, REP interruption and
// resumption, the bulk REP MOVS/STOS path, faults in the middle of a REP) plus
// a few hand-checked results per group. Each program (bytes hand-assembled,
// the instruction in the comment) runs at 1000:0000 in real mode with
// DS = ES = 1000h and SS:SP = 2000:FFF0; IVT vector v points at a HLT at
// 0000:0500+v, so a fault shows as a halt at a known address.

import { strict as assert } from 'node:assert';
import { CODE, HANDLERS, createTestCpu } from './testMachine';
import { Cpu, GuestFault, StopReason } from '../../src/cpu/cpu';
import {
  AF, ATTR_REAL_DATA, CF, CR0_PE, CS, DF, DS, EAX, EBX, ECX, EDI, EDX, ESI, OF, PF, SF,
  VEC_DE, VEC_GP, ZF,
} from '../../src/cpu/state';


interface Machine {
  cpu: Cpu;
  ram: Uint8Array;
  outs: Array<[number, number, number]>;
  ins: number[];
}

function machine(code: string): Machine {
  const outs: Array<[number, number, number]> = [];
  const ins: number[] = [];
  let next = 0x10;
  const io = {
    portIn: (port: number, size: 1 | 2 | 4) => {
      ins.push(port);
      const v = next++;
      return size === 1 ? v : size === 2 ? v * 0x101 : v * 0x1010101;
    },
    portOut: (port: number, size: 1 | 2 | 4, value: number) => {
      outs.push([port, size, value]);
    },
  };
  const { cpu, ram } = createTestCpu(code, io);
  cpu.setFlags(0x2);
  return { cpu, ram, outs, ins };
}

/** Run to the HLT; returns the linear address of the halt (CS base + IP - 1). */
function runToHalt(m: Machine, budget = 100000): number {
  assert.equal(m.cpu.run(budget), StopReason.Halt);
  return m.cpu.segBase[CS] + m.cpu.eip - 1;
}

const u32 = (v: number): number => v >>> 0;

describe('CPU ops: string instructions', () => {
  it('REP MOVSB with the destination one past the source fills (element order kept on the bulk path)', () => {
    const m = machine('f3 a4 f4'); // rep movsb
    m.cpu.reg16[ESI << 1] = 0x2000;
    m.cpu.reg16[EDI << 1] = 0x2001;
    m.cpu.reg16[ECX << 1] = 300;
    m.ram[CODE + 0x2000] = 0x77;
    m.ram[CODE + 0x2000 + 301] = 0x11;
    runToHalt(m);
    for (let i = 0; i <= 300; i++) assert.equal(m.ram[CODE + 0x2000 + i], 0x77, `byte ${i}`);
    assert.equal(m.ram[CODE + 0x2000 + 301], 0x11);
    assert.equal(m.cpu.reg16[ECX << 1], 0);
    assert.equal(m.cpu.reg16[ESI << 1], 0x2000 + 300);
    assert.equal(m.cpu.reg16[EDI << 1], 0x2001 + 300);
  });

  it('REP MOVSW with overlapping operands two bytes apart repeats the first word', () => {
    const m = machine('f3 a5 f4'); // rep movsw
    m.cpu.reg16[ESI << 1] = 0x3000;
    m.cpu.reg16[EDI << 1] = 0x3002;
    m.cpu.reg16[ECX << 1] = 8;
    m.ram[CODE + 0x3000] = 0x34;
    m.ram[CODE + 0x3001] = 0x12;
    runToHalt(m);
    for (let i = 0; i < 9; i++) assert.equal(m.ram[CODE + 0x3000 + 2 * i] | (m.ram[CODE + 0x3001 + 2 * i] << 8), 0x1234);
  });

  it('REP MOVSD across a page boundary, and backwards with DF = 1', () => {
    const m = machine('66 f3 a5 fd 66 f3 a5 f4'); // rep movsd; std; rep movsd
    m.cpu.reg16[ESI << 1] = 0x0ff2; // linear 10FF2: the source crosses 11000h
    m.cpu.reg16[EDI << 1] = 0x4ffa; // linear 14FFA: the destination crosses 15000h
    m.cpu.reg16[ECX << 1] = 10;
    for (let i = 0; i < 40; i++) m.ram[CODE + 0x0ff2 + i] = i + 1;
    assert.equal(m.cpu.run(3), StopReason.Budget); // first REP: 3 iterations in this slice
    assert.equal(m.cpu.eip, 0);
    assert.equal(m.cpu.reg16[ECX << 1], 7);
    assert.equal(m.cpu.run(1000), StopReason.Halt);
    for (let i = 0; i < 40; i++) assert.equal(m.ram[CODE + 0x4ffa + i], i + 1);
    // The second REP MOVSD ran backwards from SI = 0FF2+40, DI = 4FFA+40 with ECX = 0: nothing.
    assert.equal(m.cpu.reg16[ESI << 1], 0x0ff2 + 40);

    const b = machine('fd 66 f3 a5 f4'); // std; rep movsd
    b.cpu.reg16[ESI << 1] = 0x100c;
    b.cpu.reg16[EDI << 1] = 0x600c;
    b.cpu.reg16[ECX << 1] = 4;
    for (let i = 0; i < 16; i++) b.ram[CODE + 0x1000 + i] = 0xa0 + i;
    runToHalt(b);
    for (let i = 0; i < 16; i++) assert.equal(b.ram[CODE + 0x6000 + i], 0xa0 + i);
    assert.equal(b.cpu.reg16[ESI << 1], 0x0ffc);
    assert.equal(b.cpu.reg16[EDI << 1], 0x5ffc);
  });

  it('a REP STOSB is cut at the end of the slice and resumes from its first prefix', () => {
    const m = machine('26 f3 aa f4'); // es rep stosb
    m.cpu.reg8[0] = 0xab;
    m.cpu.reg16[EDI << 1] = 0x5000;
    m.cpu.reg16[ECX << 1] = 100;
    assert.equal(m.cpu.run(10), StopReason.Budget);
    assert.equal(m.cpu.eip, 0);
    assert.equal(m.cpu.reg16[ECX << 1], 90);
    assert.equal(m.cpu.reg16[EDI << 1], 0x500a);
    assert.equal(m.ram[CODE + 0x5009], 0xab);
    assert.equal(m.ram[CODE + 0x500a], 0);
    assert.equal(m.cpu.run(1), StopReason.Budget); // one more iteration
    assert.equal(m.cpu.reg16[ECX << 1], 89);
    runToHalt(m);
    assert.equal(m.cpu.reg16[ECX << 1], 0);
    assert.equal(m.ram[CODE + 0x5000 + 99], 0xab);
    assert.equal(m.ram[CODE + 0x5000 + 100], 0);
  });

  it('a fault in the middle of REP MOVSW leaves the completed iterations and IP at the prefix', () => {
    const m = machine('f3 a5 f4'); // rep movsw
    m.cpu.reg16[ESI << 1] = 0x1000;
    m.cpu.reg16[EDI << 1] = 0xfff9;
    m.cpu.reg16[ECX << 1] = 10;
    assert.equal(runToHalt(m), HANDLERS + VEC_GP); // the word at FFFF is past the limit
    assert.equal(m.cpu.reg16[ECX << 1], 7);
    assert.equal(m.cpu.reg16[EDI << 1], 0xffff);
    assert.equal(m.cpu.reg16[ESI << 1], 0x1006);
    assert.equal(m.ram[0x20000 + 0xfff0 - 6], 0); // pushed IP: the REP prefix
  });

  it('REPE CMPSB stops at the first difference, REPNE SCASB at the first match', () => {
    const m = machine('f3 a6 f4'); // repe cmpsb
    m.ram.set([1, 2, 3, 9, 5], CODE + 0x100);
    m.ram.set([1, 2, 3, 4, 5], CODE + 0x200);
    m.cpu.reg16[ESI << 1] = 0x100;
    m.cpu.reg16[EDI << 1] = 0x200;
    m.cpu.reg16[ECX << 1] = 10;
    runToHalt(m);
    assert.equal(m.cpu.reg16[ECX << 1], 6);
    assert.equal(m.cpu.reg16[ESI << 1], 0x104);
    assert.equal(m.cpu.getFlags() & (ZF | CF | SF), 0); // 9 - 4
    const s = machine('f2 ae f4'); // repne scasb
    s.ram.set([7, 7, 7, 7, 7, 0x42], CODE + 0x300);
    s.cpu.reg8[0] = 0x42;
    s.cpu.reg16[EDI << 1] = 0x300;
    s.cpu.reg16[ECX << 1] = 20;
    runToHalt(s);
    assert.equal(s.cpu.reg16[ECX << 1], 14);
    assert.equal(s.cpu.reg16[EDI << 1], 0x306);
    assert.equal(s.cpu.getFlags() & ZF, ZF);
  });

  it('the address size picks CX or ECX; LODSW with DF = 1 and a source override', () => {
    const m = machine('f3 aa 67 f3 aa f4'); // rep stosb (CX = 0: nothing); a32 rep stosb
    m.cpu.reg32[ECX] = 0x10000;
    m.cpu.reg32[EDI] = 0x100;
    m.cpu.reg8[0] = 0x5a;
    assert.equal(m.cpu.run(1), StopReason.Budget);
    assert.equal(m.cpu.reg32[ECX], 0x10000);
    assert.equal(m.cpu.reg32[EDI], 0x100);
    m.cpu.reg32[ECX] = 3;
    runToHalt(m);
    assert.equal(m.cpu.reg32[ECX], 0);
    assert.equal(m.cpu.reg32[EDI], 0x103);
    assert.equal(m.ram[CODE + 0x102], 0x5a);

    const l = machine('fd 2e ad f4'); // std; cs lodsw
    l.cpu.loadSegmentCache(DS, 0, 0, 0xffff, ATTR_REAL_DATA);
    l.cpu.reg16[ESI << 1] = 0x0000; // CS:0000 holds FD 2E
    runToHalt(l);
    assert.equal(l.cpu.reg16[0], 0x2efd);
    assert.equal(l.cpu.reg16[ESI << 1], 0xfffe);
    assert.equal(l.cpu.getFlags() & DF, DF);
  });

  it('REP INSB / OUTSW / OUTSD use DX and the I/O callbacks; #GP(0) when I/O is not allowed', () => {
    const m = machine('f3 6c 66 6f 6f f4'); // rep insb; outsd; outsw
    m.cpu.reg16[EDX << 1] = 0x3f8;
    m.cpu.reg16[ECX << 1] = 3;
    m.cpu.reg16[EDI << 1] = 0x400;
    m.cpu.reg16[ESI << 1] = 0x400;
    runToHalt(m);
    assert.deepEqual(m.ins, [0x3f8, 0x3f8, 0x3f8]);
    assert.deepEqual([...m.ram.subarray(CODE + 0x400, CODE + 0x403)], [0x10, 0x11, 0x12]);
    assert.deepEqual(m.outs, [[0x3f8, 4, 0x00121110], [0x3f8, 2, 0x0000]]);

    // Protected mode, CPL 3 > IOPL 0, and a TSS (TR as after reset) too short for an I/O
    // permission bitmap: the handler raises #GP(0) before any port access.
    const p = machine('6e');
    p.cpu.cr0 |= CR0_PE;
    p.cpu.cpl = 3;
    p.cpu.tr.limit = 0x67;
    p.cpu.repPrefix = 0;
    p.cpu.lockPrefix = false;
    p.cpu.segPrefix = -1;
    assert.throws(() => p.cpu.ops[0x6e](p.cpu), (e: unknown) => e instanceof GuestFault && e.vector === VEC_GP && e.errorCode === 0);
    assert.deepEqual(p.outs, []);
  });
});

describe('CPU ops: multiply and divide', () => {
  it('32-bit MUL and IMUL give the exact 64-bit product', () => {
    const m = machine('66 f7 e3 f4'); // mul ebx
    m.cpu.reg32[EAX] = -1;
    m.cpu.reg32[EBX] = -1;
    runToHalt(m);
    assert.equal(u32(m.cpu.reg32[EDX]), 0xfffffffe);
    assert.equal(u32(m.cpu.reg32[EAX]), 1);
    assert.equal(m.cpu.getFlags() & (CF | OF), CF | OF);

    const cases: Array<[number, number]> = [[-1, -1], [0x7fffffff, 0x7fffffff], [-0x80000000, -0x80000000], [-0x80000000, 1], [123456789, -987654321], [0x10000, 0x8000]];
    for (const [a, b] of cases) {
      const s = machine('66 f7 eb f4'); // imul ebx
      s.cpu.reg32[EAX] = a;
      s.cpu.reg32[EBX] = b;
      runToHalt(s);
      const p = BigInt(a) * BigInt(b);
      const got = (BigInt(s.cpu.reg32[EDX]) << 32n) | BigInt(u32(s.cpu.reg32[EAX]));
      assert.equal(got, p, `${a} * ${b}`);
      const fits = p >= -(1n << 31n) && p < 1n << 31n;
      assert.equal(s.cpu.getFlags() & CF, fits ? 0 : CF, `CF of ${a} * ${b}`);
    }
  });

  it('IMUL Gv,Ev,Ib sign-extends the immediate; CF = OF when the product is truncated', () => {
    const m = machine('6b c3 ff 66 69 cb 00 00 01 00 f4'); // imul ax,bx,-1; imul ecx,ebx,10000h
    m.cpu.reg32[EBX] = 0x12345;
    runToHalt(m);
    assert.equal(m.cpu.reg16[0], (-0x2345) & 0xffff);
    assert.equal(u32(m.cpu.reg32[ECX]), 0x23450000);
    assert.equal(m.cpu.getFlags() & (CF | OF), CF | OF);
  });

  it('64/32-bit DIV and IDIV, the most negative quotient, and #DE', () => {
    const m = machine('66 f7 f3 f4'); // div ebx
    m.cpu.reg32[EDX] = 0x12345678;
    m.cpu.reg32[EAX] = 0x9abcdef0 | 0;
    m.cpu.reg32[EBX] = 0x87654321 | 0;
    runToHalt(m);
    const n = 0x123456789abcdef0n, d = 0x87654321n;
    assert.equal(BigInt(u32(m.cpu.reg32[EAX])), n / d);
    assert.equal(BigInt(u32(m.cpu.reg32[EDX])), n % d);

    const i = machine('66 f7 fb f4'); // idiv ebx: -2^31 / 1 does not fault
    i.cpu.reg32[EDX] = -1;
    i.cpu.reg32[EAX] = -0x80000000;
    i.cpu.reg32[EBX] = 1;
    assert.equal(runToHalt(i), CODE + 3);
    assert.equal(i.cpu.reg32[EAX], -0x80000000);
    assert.equal(i.cpu.reg32[EDX], 0);

    const o = machine('66 f7 fb f4'); // idiv ebx: -2^31 / -1 overflows
    o.cpu.reg32[EDX] = -1;
    o.cpu.reg32[EAX] = -0x80000000;
    o.cpu.reg32[EBX] = -1;
    assert.equal(runToHalt(o), HANDLERS + VEC_DE);
    assert.equal(o.cpu.reg32[EAX], -0x80000000); // unchanged

    const r = machine('66 f7 fb f4'); // idiv ebx: -7 / 2 = -3 rem -1
    r.cpu.reg32[EDX] = -1;
    r.cpu.reg32[EAX] = -7;
    r.cpu.reg32[EBX] = 2;
    runToHalt(r);
    assert.equal(r.cpu.reg32[EAX], -3);
    assert.equal(r.cpu.reg32[EDX], -1);

    const z = machine('f6 f3 f4'); // div bl, BL = 0
    z.cpu.reg16[0] = 0x1234;
    assert.equal(runToHalt(z), HANDLERS + VEC_DE);
    assert.equal(z.cpu.reg16[0], 0x1234);
    assert.equal(z.ram[0x20000 + 0xfff0 - 6], 0); // pushed IP: the DIV itself
  });
});

describe('CPU ops: shifts and rotates', () => {
  it('a masked count of 0 changes neither the operand nor the flags', () => {
    const m = machine('c0 e0 20 d2 c8 f4'); // shl al,32; ror al,cl (CL = 0)
    m.cpu.setFlags(0x2 | CF | OF | ZF | AF);
    m.cpu.reg8[0] = 0x81;
    m.cpu.reg8[4] = 0;
    runToHalt(m);
    assert.equal(m.cpu.reg8[0], 0x81);
    assert.equal(m.cpu.getFlags() & (CF | OF | ZF | AF | SF | PF), CF | OF | ZF | AF);
  });

  it('8-bit ROL by 8 keeps the value and sets CF from bit 0; RCL by 9 is the identity with CF', () => {
    const m = machine('c0 c0 08 f4'); // rol al,8
    m.cpu.reg8[0] = 0x81;
    runToHalt(m);
    assert.equal(m.cpu.reg8[0], 0x81);
    assert.equal(m.cpu.getFlags() & (CF | OF), CF); // OF = MSB ^ CF = 0
    const r = machine('f9 c0 d0 09 f4'); // stc; rcl al,9
    r.cpu.reg8[0] = 0x40;
    runToHalt(r);
    assert.equal(r.cpu.reg8[0], 0x40);
    assert.equal(r.cpu.getFlags() & CF, CF);
  });

  it('32-bit RCR/RCL by 1 rotate through CF; SAR by 31 fills with the sign', () => {
    const m = machine('f9 66 d1 d8 f4'); // stc; rcr eax,1
    m.cpu.reg32[EAX] = 2;
    runToHalt(m);
    assert.equal(u32(m.cpu.reg32[EAX]), 0x80000001);
    assert.equal(m.cpu.getFlags() & (CF | OF), OF);
    const l = machine('f9 66 d1 d0 f4'); // stc; rcl eax,1
    l.cpu.reg32[EAX] = 0x80000000 | 0;
    runToHalt(l);
    assert.equal(u32(l.cpu.reg32[EAX]), 1);
    assert.equal(l.cpu.getFlags() & (CF | OF), CF | OF);
    const s = machine('66 c1 f8 1f f4'); // sar eax,31
    s.cpu.reg32[EAX] = 0x80000000 | 0;
    runToHalt(s);
    assert.equal(s.cpu.reg32[EAX], -1);
    assert.equal(s.cpu.getFlags() & (CF | OF | SF | ZF), SF);
  });

  it('SHL/SHR of a byte by more than its width give 0 with CF = 0, and 16-bit SHL by 16 moves bit 0 to CF', () => {
    const m = machine('c0 e0 0a f4'); // shl al,10
    m.cpu.reg8[0] = 0xff;
    runToHalt(m);
    assert.equal(m.cpu.reg8[0], 0);
    assert.equal(m.cpu.getFlags() & (CF | ZF | PF), ZF | PF);
    const w = machine('c1 e0 10 f4'); // shl ax,16
    w.cpu.reg16[0] = 0x0001;
    runToHalt(w);
    assert.equal(w.cpu.reg16[0], 0);
    assert.equal(w.cpu.getFlags() & CF, CF);
  });

  it('SHLD and SHRD, 16 and 32 bits, by immediate and by CL', () => {
    const m = machine('0f a4 d8 04 f4'); // shld ax,bx,4
    m.cpu.reg16[0] = 0x1234;
    m.cpu.reg16[EBX << 1] = 0xabcd;
    runToHalt(m);
    assert.equal(m.cpu.reg16[0], 0x234a);
    assert.equal(m.cpu.getFlags() & CF, CF); // bit 12 of 1234h
    const r = machine('66 0f ad d8 f4'); // shrd eax,ebx,cl
    r.cpu.reg32[EAX] = 0x12345678;
    r.cpu.reg32[EBX] = 0x9abcdef0 | 0;
    r.cpu.reg8[4] = 8;
    runToHalt(r);
    assert.equal(u32(r.cpu.reg32[EAX]), 0xf0123456);
    assert.equal(r.cpu.getFlags() & (CF | SF), SF); // CF = bit 7 of 12345678h = 0
  });
});

describe('CPU ops: decimal adjust', () => {
  it('DAA after 19h + 28h gives 47h; AAA carries into AH; AAD and AAM with base 10', () => {
    const m = machine('b0 19 04 28 27 f4'); // mov al,19h; add al,28h; daa
    runToHalt(m);
    assert.equal(m.cpu.reg8[0], 0x47);
    assert.equal(m.cpu.getFlags() & (CF | AF), AF);
    const a = machine('b8 09 00 04 05 37 f4'); // mov ax,9; add al,5; aaa
    runToHalt(a);
    assert.equal(a.cpu.reg16[0], 0x0104);
    assert.equal(a.cpu.getFlags() & (CF | AF), CF | AF);
    const d = machine('b8 07 03 d5 0a d4 0a f4'); // mov ax,0307h; aad; aam
    runToHalt(d);
    assert.equal(d.cpu.reg16[0], 0x0307);
  });

  it('AAM 0 raises #DE', () => {
    const m = machine('d4 00 f4'); // aam 0
    m.cpu.reg16[0] = 0x1234;
    assert.equal(runToHalt(m), HANDLERS + VEC_DE);
    assert.equal(m.cpu.reg16[0], 0x1234);
  });
});
