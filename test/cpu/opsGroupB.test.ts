// Unit tests for ops/bits.ts, ops/misc.ts and ops/system.ts. Each case runs a
// small program (assembled with NASM; the source is in the comment above its
// bytes) at 1000:0000 in real mode with DS = 1000h, SS:SP = 2000:FFF0, and
// every IVT vector v pointing at a HLT at 0000:0500+v, so a fault shows as a
// halt at a known address.

import { strict as assert } from 'node:assert';
import { CODE, HANDLERS, createTestCpu } from './testMachine';
import { Cpu, StopReason } from '../../src/cpu/cpu';
import { CPUID_APIC, CPUID_FEATURES_EDX, CPUID_SIGNATURE } from '../../src/cpu/ops/misc';
import { readMsr, writeMsr } from '../../src/cpu/ops/system';
import {
  CR0_PE, CR0_TS, CR0_EM, CS, DF, DS, EAX, EBP, EBX, ECX, EDI, EDX, ESI,
  VEC_BR, VEC_GP, VEC_NM, VEC_UD, ZF,
} from '../../src/cpu/state';


interface Machine {
  cpu: Cpu;
  ram: Uint8Array;
  outs: Array<[number, number, number]>;
  ins: Array<[number, number]>;
}

function machine(code: string): Machine {
  const outs: Array<[number, number, number]> = [];
  const ins: Array<[number, number]> = [];
  const io = {
    portIn: (port: number, size: 1 | 2 | 4) => {
      ins.push([port, size]);
      return size === 1 ? 0x5a : size === 2 ? 0xa55a : 0x1234a55a;
    },
    portOut: (port: number, size: 1 | 2 | 4, value: number) => {
      outs.push([port, size, value]);
    },
  };
  const { cpu, ram } = createTestCpu(code, io);
  return { cpu, ram, outs, ins };
}

/** Run to the first HLT; return the vector of the fault taken, or -1 if the program's own HLT was reached. */
function run(m: Machine, budget = 1000): number {
  const stop = m.cpu.run(budget);
  assert.equal(stop, StopReason.Halt, `stopped with ${stop} (${m.cpu.internalError?.message ?? ''})`);
  if (m.cpu.segSel[CS] === 0 && m.cpu.eip > HANDLERS && m.cpu.eip <= HANDLERS + 256) return m.cpu.eip - 1 - HANDLERS;
  return -1;
}

/** The IP of the faulting instruction, as pushed on the stack by the real-mode exception. */
function faultIp(m: Machine): number {
  const sp = m.cpu.reg16[8];
  return m.ram[0x20000 + sp] | (m.ram[0x20000 + sp + 1] << 8);
}

const r32 = (m: Machine, r: number): number => m.cpu.reg32[r] >>> 0;
const mem8 = (m: Machine, a: number): number => m.ram[CODE + a];
const mem16 = (m: Machine, a: number): number => m.ram[CODE + a] | (m.ram[CODE + a + 1] << 8);
const mem32 = (m: Machine, a: number): number => (mem16(m, a) | (mem16(m, a + 2) << 16)) >>> 0;

describe('ops group B: bits.ts', () => {
  it('BT with register offsets: modulo the operand size', () => {
    // mov ax,8001h; mov cx,15; bt ax,cx; setc dl; mov cx,17; bt ax,cx; setc dh; bt eax,0; setc bl; hlt
    const m = machine('b8 01 80 b9 0f 00 0f a3 c8 0f 92 c2 b9 11 00 0f a3 c8 0f 92 c6 66 0f ba e0 00 0f 92 c3 f4');
    assert.equal(run(m), -1);
    assert.equal(m.cpu.getReg8(2), 1); // DL: bit 15
    assert.equal(m.cpu.getReg8(6), 0); // DH: 17 mod 16 = 1 -> 0
    assert.equal(m.cpu.getReg8(3), 1); // BL: bit 0
  });

  it('BTS/BTR with a memory operand: signed bit offsets address outside the operand', () => {
    // mov word [100h],0; mov word [102h],0; mov ax,-1; bts [102h],ax ; -> bit 15 of [100h]
    // mov ax,17; bts [100h],ax ; -> bit 1 of [102h]
    // mov eax,33; bts dword [104h],eax ; -> bit 1 of [108h]
    // mov eax,-33; btr dword [108h],eax ; -> bit 31 of [100h]
    const m = machine('c7 06 00 01 00 00 c7 06 02 01 00 00 b8 ff ff 0f ab 06 02 01 b8 11 00 0f ab 06 00 01 66 b8 21 00 00 00 66 0f ab 06 04 01 66 b8 df ff ff ff 66 0f b3 06 08 01 f4');
    assert.equal(run(m), -1);
    assert.equal(mem16(m, 0x100), 0x8000);
    // The last BTR cleared bit 31 of the dword at 100h (bit 15 of the word at 102h, which held 2).
    assert.equal(mem16(m, 0x102), 0x0002);
    assert.equal(mem32(m, 0x108), 0x00000002); // 33 from 104h: bit 1 of the dword at 108h
    assert.equal(m.cpu.getCF(), 0); // -33 from 108h: bit 31 of the dword at 100h, which was 0
  });

  it('BTC/BTR/BTS Ev,Ib: immediate modulo the operand size', () => {
    // mov eax,0F0h; btc eax,36 ; (36 mod 32 = 4: F0 -> E0, CF=1); btr ax,7 (E0 -> 60, CF=1); bts ax,8 (-> 160h, CF=0); hlt
    const m = machine('66 b8 f0 00 00 00 66 0f ba f8 24 0f ba f0 07 0f ba e8 08 f4');
    assert.equal(run(m), -1);
    assert.equal(r32(m, EAX), 0x160);
    assert.equal(m.cpu.getCF(), 0);
  });

  it('LOCK: #UD on BT and on register forms, allowed on a memory BTS', () => {
    let m = machine('f0 0f a3 06 00 01 f4'); // lock bt [100h],ax
    assert.equal(run(m), VEC_UD);
    assert.equal(faultIp(m), 0);
    m = machine('f0 0f ab c8 f4'); // lock bts ax,cx
    assert.equal(run(m), VEC_UD);
    m = machine('f0 0f ba 2e 00 01 03 f4'); // lock bts word [100h],3
    assert.equal(run(m), -1);
    assert.equal(mem16(m, 0x100), 8);
  });

  it('BSF/BSR; a zero source sets ZF and leaves the destination', () => {
    // mov ebx,12345678h; mov eax,10100h; bsf ebx,eax; mov ecx,ebx; bsr ecx,eax; mov edx,0DEADBEEFh; xor esi,esi; bsf edx,esi; hlt
    const m = machine('66 bb 78 56 34 12 66 b8 00 01 01 00 66 0f bc d8 66 89 d9 66 0f bd c8 66 ba ef be ad de 66 31 f6 66 0f bc d6 f4');
    assert.equal(run(m), -1);
    assert.equal(r32(m, EBX), 8);
    assert.equal(r32(m, ECX), 16);
    assert.equal(r32(m, EDX), 0xdeadbeef);
    assert.equal(m.cpu.getZF(), ZF);
  });

  it('BSWAP r32; the 16-bit form clears the register word', () => {
    // mov eax,11223344h; bswap eax; mov ebx,0AABBCCDDh; o16 bswap ebx; hlt
    const m = machine('66 b8 44 33 22 11 66 0f c8 66 bb dd cc bb aa 0f cb f4');
    assert.equal(run(m), -1);
    assert.equal(r32(m, EAX), 0x44332211);
    assert.equal(r32(m, EBX), 0xaabb0000);
  });

  it('SETcc and CMOVcc', () => {
    // mov ax,5; cmp ax,7; setl bl; setg bh; setb cl; setnz ch; mov edx,1; mov esi,2; cmovl edx,esi; mov edi,3; cmovg edi,esi; hlt
    const m = machine('b8 05 00 83 f8 07 0f 9c c3 0f 9f c7 0f 92 c1 0f 95 c5 66 ba 01 00 00 00 66 be 02 00 00 00 66 0f 4c d6 66 bf 03 00 00 00 66 0f 4f fe f4');
    assert.equal(run(m), -1);
    assert.equal(m.cpu.getReg8(3), 1);
    assert.equal(m.cpu.getReg8(7), 0);
    assert.equal(m.cpu.getReg8(1), 1);
    assert.equal(m.cpu.getReg8(5), 1);
    assert.equal(r32(m, EDX), 2);
    assert.equal(r32(m, EDI), 3);
  });

  it('XADD: register, memory, and the same register twice', () => {
    // mov ax,7FFFh; mov bx,1; xadd ax,bx; mov word [100h],10; mov cx,5; xadd [100h],cx; mov dl,3; xadd dl,dl; hlt
    const m = machine('b8 ff 7f bb 01 00 0f c1 d8 c7 06 00 01 0a 00 b9 05 00 0f c1 0e 00 01 b2 03 0f c0 d2 f4');
    let stop = m.cpu.run(3);
    assert.equal(stop, StopReason.Budget);
    assert.equal(m.cpu.reg16[0], 0x8000);
    assert.equal(m.cpu.getReg16(3), 0x7fff);
    assert.ok(m.cpu.getOF() !== 0);
    stop = m.cpu.run(100);
    assert.equal(stop, StopReason.Halt);
    assert.equal(mem16(m, 0x100), 15);
    assert.equal(m.cpu.getReg16(1), 10);
    assert.equal(m.cpu.getReg8(2), 6);
  });

  it('CMPXCHG: success stores the source; failure loads the accumulator', () => {
    // mov eax,5; mov dword [100h],5; mov ecx,9; cmpxchg [100h],ecx; setz bl;
    // mov eax,7; cmpxchg [100h],ecx; setz bh; mov al,1; mov dl,1; mov dh,2; cmpxchg dl,dh; hlt
    const m = machine('66 b8 05 00 00 00 66 c7 06 00 01 05 00 00 00 66 b9 09 00 00 00 66 0f b1 0e 00 01 0f 94 c3 66 b8 07 00 00 00 66 0f b1 0e 00 01 0f 94 c7 b0 01 b2 01 b6 02 0f b0 f2 f4');
    assert.equal(run(m), -1);
    assert.equal(m.cpu.getReg8(3), 1); // first succeeded
    assert.equal(m.cpu.getReg8(7), 0); // second failed ...
    assert.equal(mem32(m, 0x100), 9);
    assert.equal(m.cpu.getReg8(2), 2); // DL = DH after the byte form succeeded
    assert.equal(m.cpu.getZF(), ZF);
  });

  it('CMPXCHG: failure loads EAX with the destination', () => {
    // mov eax,7 ... (the first seven instructions of the test above, then hlt)
    const m = machine('66 b8 07 00 00 00 66 c7 06 00 01 05 00 00 00 66 b9 09 00 00 00 66 0f b1 0e 00 01 f4');
    assert.equal(run(m), -1);
    assert.equal(r32(m, EAX), 5);
    assert.equal(mem32(m, 0x100), 5);
    assert.equal(m.cpu.getZF(), 0);
    assert.equal(m.cpu.getCF(), 0); // flags of CMP EAX(7), 5: no borrow
    assert.equal(m.cpu.getSF(), 0);
  });

  it('CMPXCHG8B: success then failure; register operand and one-byte C7 /1 are #UD', () => {
    // mov dword [100h],11111111h; mov dword [104h],22222222h; mov eax,11111111h; mov edx,22222222h;
    // mov ebx,33333333h; mov ecx,44444444h; cmpxchg8b [100h]; setz [110h]; cmpxchg8b [100h]; setz [111h]; hlt
    const m = machine('66 c7 06 00 01 11 11 11 11 66 c7 06 04 01 22 22 22 22 66 b8 11 11 11 11 66 ba 22 22 22 22 66 bb 33 33 33 33 66 b9 44 44 44 44 0f c7 0e 00 01 0f 94 06 10 01 0f c7 0e 00 01 0f 94 06 11 01 f4');
    assert.equal(run(m), -1);
    assert.equal(mem8(m, 0x110), 1);
    assert.equal(mem8(m, 0x111), 0);
    assert.equal(mem32(m, 0x100), 0x33333333);
    assert.equal(mem32(m, 0x104), 0x44444444);
    assert.equal(r32(m, EAX), 0x33333333);
    assert.equal(r32(m, EDX), 0x44444444);
    assert.equal(run(machine('0f c7 c8 f4')), VEC_UD);
    assert.equal(run(machine('c7 c8 00 00 f4')), VEC_UD);
  });
});

describe('ops group B: misc.ts', () => {
  it('STC CMC CLC STD CLD', () => {
    // stc; cmc; setc al; stc; setc ah; clc; setc bl; std; pushf; pop cx; cld; pushf; pop dx; hlt
    const m = machine('f9 f5 0f 92 c0 f9 0f 92 c4 f8 0f 92 c3 fd 9c 59 fc 9c 5a f4');
    assert.equal(run(m), -1);
    assert.equal(m.cpu.reg8[0], 0);
    assert.equal(m.cpu.reg8[1], 1);
    assert.equal(m.cpu.getReg8(3), 0);
    assert.equal(m.cpu.getReg16(1) & DF, DF);
    assert.equal(m.cpu.getReg16(2) & DF, 0);
  });

  it('HLT stops the run; at CPL > 0 it is #GP(0)', () => {
    const m = machine('90 f4 90');
    assert.equal(m.cpu.run(100), StopReason.Halt);
    assert.equal(m.cpu.eip, 2);
    assert.ok(m.cpu.halted);
    // CPL 3 in protected mode: #GP(0), seen through a guest-debug exception intercept.
    const pm = machine('f4');
    pm.cpu.cr0 |= CR0_PE;
    pm.cpu.cpl = 3;
    pm.cpu.setDebug({ breakpoints: [], exceptions: [13], softwareInterrupts: [], modeChanges: false, magicBreakpoint: false });
    assert.equal(pm.cpu.run(10), StopReason.Debug);
    assert.deepEqual(pm.cpu.debug.event, { kind: 'exception', vector: 13, errorCode: 0 });
    assert.equal(pm.cpu.halted, false);
  });

  it('IN/OUT in all sizes, immediate and DX ports', () => {
    // mov dx,3F8h; mov al,41h; out dx,al; mov ax,1234h; out 80h,ax; mov eax,0DEADBEEFh; out dx,eax;
    // in al,60h; mov ebx,eax; in ax,dx; mov ecx,eax; in eax,dx; hlt
    const m = machine('ba f8 03 b0 41 ee b8 34 12 e7 80 66 b8 ef be ad de 66 ef e4 60 66 89 c3 ed 66 89 c1 66 ed f4');
    assert.equal(run(m), -1);
    assert.deepEqual(m.outs, [[0x3f8, 1, 0x41], [0x80, 2, 0x1234], [0x3f8, 4, 0xdeadbeef]]);
    assert.deepEqual(m.ins, [[0x60, 1], [0x3f8, 2], [0x3f8, 4]]);
    assert.equal(r32(m, EBX), 0xdeadbe5a);
    assert.equal(r32(m, ECX), 0xdeada55a);
    assert.equal(r32(m, EAX), 0x1234a55a);
  });

  it('SALC', () => {
    // stc; salc; mov bl,al; clc; salc; hlt
    const m = machine('f9 d6 88 c3 f8 d6 f4');
    assert.equal(run(m), -1);
    assert.equal(m.cpu.getReg8(3), 0xff);
    assert.equal(m.cpu.reg8[0], 0);
  });

  it('BOUND: signed bounds, #BR out of range, #UD for a register operand', () => {
    // mov word [100h],-5; mov word [102h],10; mov ax,-5; bound ax,[100h]; mov ax,10; bound ax,[100h];
    // mov bx,1; mov ax,11; bound ax,[100h] (at 20h); hlt
    const m = machine('c7 06 00 01 fb ff c7 06 02 01 0a 00 b8 fb ff 62 06 00 01 b8 0a 00 62 06 00 01 bb 01 00 b8 0b 00 62 06 00 01 f4');
    assert.equal(run(m), VEC_BR);
    assert.equal(m.cpu.getReg16(3), 1);
    assert.equal(faultIp(m), 0x20);
    assert.equal(run(machine('62 c0 f4')), VEC_UD);
  });

  it('UD2 is #UD', () => {
    const m = machine('0f 0b f4');
    assert.equal(run(m), VEC_UD);
    assert.equal(faultIp(m), 0);
  });

  it('CPUID: vendor, signature and features, extended maximum', () => {
    // xor eax,eax; cpuid; mov [100h],ebx; mov [104h],edx; mov [108h],ecx; mov [10Ch],eax;
    // mov eax,1; cpuid; mov [110h],eax; mov [114h],edx; mov eax,80000000h; cpuid; mov [118h],eax; hlt
    const m = machine('66 31 c0 0f a2 66 89 1e 00 01 66 89 16 04 01 66 89 0e 08 01 66 a3 0c 01 66 b8 01 00 00 00 0f a2 66 a3 10 01 66 89 16 14 01 66 b8 00 00 00 80 0f a2 66 a3 18 01 f4');
    assert.equal(run(m), -1);
    const vendor = String.fromCharCode(...m.ram.subarray(CODE + 0x100, CODE + 0x10c));
    assert.equal(vendor, 'GenuineIntel');
    assert.equal(mem32(m, 0x10c), 1);
    assert.equal(mem32(m, 0x110), CPUID_SIGNATURE);
    assert.equal(mem32(m, 0x114), (CPUID_FEATURES_EDX | CPUID_APIC) >>> 0, 'the local APIC is enabled at reset');
    assert.equal(mem32(m, 0x114) & 1, 1, 'FPU: the x87 is present');
    assert.equal(mem32(m, 0x118), 0x80000001);
  });

  it('RDTSC counts retired instructions', () => {
    // rdtsc; mov ebx,eax; nop; nop; rdtsc; hlt
    const m = machine('0f 31 66 89 c3 90 90 0f 31 f4');
    m.cpu.tscOffset = 1000;
    assert.equal(run(m), -1);
    assert.equal(r32(m, EAX) - r32(m, EBX), 4);
    assert.equal(r32(m, EDX), 0);
    assert.ok(r32(m, EBX) >= 1000);
  });

  it('x87 escapes: #NM with CR0.EM or CR0.TS; the FPU answers FNINIT/FNSTSW; WAIT #NM with MP and TS', () => {
    let m = machine('d9 06 00 01 f4'); // fld dword [100h]
    m.cpu.cr0 |= CR0_EM;
    assert.equal(run(m), VEC_NM);
    // The x87 is present: FNINIT then FNSTSW stores 0000h, what detection code looks for.
    m = machine('db e3 dd 3e 00 01 f4'); // fninit ; fnstsw [100h] ; hlt
    m.cpu.cr0 &= ~(CR0_EM | CR0_TS);
    m.ram[CODE + 0x100] = 0x5a;
    m.ram[CODE + 0x101] = 0xa5;
    assert.equal(run(m), -1);
    assert.equal(m.cpu.eip, 7);
    assert.deepEqual([m.ram[CODE + 0x100], m.ram[CODE + 0x101]], [0, 0]);
    // The memory operand is still checked against the segment limit.
    m = machine('d8 26 fe ff f4'); // fsub dword [0FFFEh]
    m.cpu.cr0 &= ~(CR0_EM | CR0_TS);
    assert.equal(run(m), VEC_GP);
    m = machine('9b f4');
    m.cpu.cr0 |= CR0_TS | 2;
    assert.equal(run(m), VEC_NM);
    m = machine('9b f4');
    m.cpu.cr0 |= CR0_TS;
    assert.equal(run(m), -1);
  });

  it('hint NOPs (0F 1F, 0F 18), INVD, WBINVD', () => {
    // nop dword [bx+si+1234h]; prefetchnta [100h]; invd; wbinvd; hlt
    const m = machine('66 0f 1f 80 34 12 0f 18 06 00 01 0f 08 0f 09 f4');
    assert.equal(run(m), -1);
    assert.equal(m.cpu.eip, 16);
  });
});

describe('LOCK prefix', () => {
  it('is #UD on an instruction that cannot be locked, and on a register destination', () => {
    // MOV, NOP, BT, ADD to a register, CMP, CALL [bx] (FF /2), TEST byte [bx] (F6 /0), BT [bx],1 (0F BA /4)
    for (const code of ['f0 88 07 f4', 'f0 8b 07 f4', 'f0 90 f4', 'f0 0f a3 07 f4', 'f0 01 c0 f4', 'f0 39 07 f4', 'f0 ff 17 f4', 'f0 f6 07 00 f4', 'f0 0f ba 27 01 f4']) {
      const m = machine(code);
      assert.equal(run(m), VEC_UD, code);
    }
  });

  it('is allowed on read-modify-write instructions with a memory destination', () => {
    // lock add [bx], ax ; lock inc word [bx] ; lock bts [bx], ax ; lock xadd [bx], ax ; hlt
    const m = machine('f0 01 07 f0 ff 07 f0 0f ab 07 f0 0f c1 07 f4');
    assert.equal(run(m), -1);
  });
});

describe('ops group B: system.ts', () => {
  it('LGDT/LIDT (16-bit: 24-bit base), SGDT/SIDT store the full base', () => {
    // lgdt [100h]; o32 lgdt [108h]; sgdt [110h]; lidt [100h]; o32 sidt [118h]; hlt
    const m = machine('0f 01 16 00 01 66 0f 01 16 08 01 0f 01 06 10 01 0f 01 1e 00 01 66 0f 01 0e 18 01 f4');
    m.ram.set([0xff, 0x00, 0x44, 0x33, 0x22, 0x11], CODE + 0x100);
    m.ram.set([0x27, 0x00, 0x88, 0x77, 0x66, 0x55], CODE + 0x108);
    assert.equal(run(m), -1);
    assert.equal(m.cpu.gdtrBase >>> 0, 0x55667788);
    assert.equal(mem16(m, 0x110), 0x27);
    assert.equal(mem32(m, 0x112), 0x55667788);
    assert.equal(m.cpu.idtrBase, 0x223344);
    assert.equal(m.cpu.idtrLimit, 0xff);
    assert.equal(mem32(m, 0x11a), 0x223344);
  });

  it('SMSW, LMSW (cannot clear PE), CLTS', () => {
    // smsw ax; mov ebx,-1; smsw ebx; smsw [100h]; mov ax,0Eh; lmsw ax; smsw cx; mov ax,0; lmsw ax; smsw dx; clts; smsw si; hlt
    const m = machine('0f 01 e0 66 bb ff ff ff ff 66 0f 01 e3 0f 01 26 00 01 b8 0e 00 0f 01 f0 0f 01 e1 b8 00 00 0f 01 f0 0f 01 e2 0f 06 0f 01 e6 f4');
    const cr0 = m.cpu.cr0 >>> 0;
    // Run to just after the second SMSW (smsw ax is the accumulator's last write before mov ax).
    assert.equal(m.cpu.run(2 + 1), StopReason.Budget);
    assert.equal(r32(m, EBX), cr0);
    assert.equal(run(m), -1);
    assert.equal(mem16(m, 0x100), cr0 & 0xffff);
    assert.equal(m.cpu.getReg16(ECX) & 0xf, 0xe);
    assert.equal(m.cpu.getReg16(EDX) & 0xf, 0x0);
    assert.equal(m.cpu.getReg16(ESI) & 0xf, 0x0);
    // With PE set, LMSW 0 keeps it.
    const m2 = machine('b8 00 00 0f 01 f0 f4'); // mov ax,0; lmsw ax; hlt
    m2.cpu.cr0 |= CR0_PE | CR0_TS;
    assert.equal(m2.cpu.run(2), StopReason.Budget);
    assert.equal(m2.cpu.cr0 & 0xf, CR0_PE);
  });

  it('MOV to/from CR0 CR2 CR3 CR4; the mod field is ignored', () => {
    // mov eax,cr0; mov ebx,12345000h; mov cr3,ebx; mov ecx,cr3; mov edx,0Ch; mov cr4,edx; mov esi,cr4;
    // mov edi,1234h; mov cr2,edi; db 0Fh,20h,15h (mov ebp,cr2 with mod=00); hlt
    const m = machine('0f 20 c0 66 bb 00 50 34 12 0f 22 db 0f 20 d9 66 ba 0c 00 00 00 0f 22 e2 0f 20 e6 66 bf 34 12 00 00 0f 22 d7 0f 20 15 f4');
    assert.equal(run(m), -1);
    assert.equal(r32(m, EAX), m.cpu.cr0 >>> 0);
    assert.equal(r32(m, ECX), 0x12345000);
    assert.equal(r32(m, ESI), 0xc);
    assert.equal(r32(m, EBP), 0x1234);
    assert.equal(run(machine('0f 20 c8 f4')), VEC_UD); // CR1
    assert.equal(run(machine('66 b8 00 10 00 00 0f 22 e0 f4')), VEC_GP); // CR4 bit 12: reserved on this CPU
    assert.equal(run(machine('66 b8 00 00 00 80 0f 22 c0 f4')), VEC_GP); // PG without PE
  });

  it('MOV DRn: DR6/DR7 fixed bits, DR4 aliases DR6 without CR4.DE, #UD with it', () => {
    // mov eax,0; mov dr6,eax; mov ebx,dr6; mov eax,-1; mov dr4,eax; mov ecx,dr6; mov eax,12345678h; mov dr1,eax;
    // mov edx,dr1; mov eax,-1; mov dr7,eax; hlt
    const m = machine('66 b8 00 00 00 00 0f 23 f0 0f 21 f3 66 b8 ff ff ff ff 0f 23 e0 0f 21 f1 66 b8 78 56 34 12 0f 23 c8 0f 21 ca 66 b8 ff ff ff ff 0f 23 f8 f4');
    assert.equal(run(m), -1);
    assert.equal(r32(m, EBX), 0xffff0ff0);
    assert.equal(r32(m, ECX), 0xffffefff);
    assert.equal(r32(m, EDX), 0x12345678);
    assert.equal(m.cpu.dr[7] >>> 0, 0xffff27ff);
    // mov eax,8; mov cr4,eax; mov eax,dr4; hlt
    assert.equal(run(machine('66 b8 08 00 00 00 0f 22 e0 0f 21 e0 f4')), VEC_UD);
  });

  it('RDMSR/WRMSR: PAT, TSC, SYSENTER_CS, EFER, APIC base; #GP for bad values and unknown MSRs', () => {
    const m = machine(
      '66 b9 77 02 00 00 0f 32 66 a3 00 01 66 89 16 04 01 66 b8 06 00 00 00 66 ba 00 00 00 07 0f 30 0f 32 66 a3 08 01 66 89 16 0c 01 ' +
        '66 b9 10 00 00 00 66 31 c0 66 ba 01 00 00 00 0f 30 0f 31 66 a3 10 01 66 89 16 14 01 66 b9 74 01 00 00 66 b8 10 00 00 00 0f 30 ' +
        '66 31 c0 0f 32 66 a3 18 01 66 b9 80 00 00 c0 0f 32 66 a3 1c 01 66 b9 1b 00 00 00 0f 32 66 a3 20 01 f4',
    );
    assert.equal(run(m), -1);
    assert.equal(mem32(m, 0x100), 0x00070406);
    assert.equal(mem32(m, 0x104), 0x00070406);
    assert.equal(mem32(m, 0x108), 0x00000006);
    assert.equal(mem32(m, 0x10c), 0x07000000);
    assert.equal(mem32(m, 0x114), 1); // TSC high dword after writing 1_00000000h
    assert.ok(mem32(m, 0x110) < 5);
    assert.equal(mem32(m, 0x118), 0x10);
    assert.equal(mem32(m, 0x11c), 0);
    assert.equal(mem32(m, 0x120), 0xfee00900);
    // wrmsr PAT with type 2 in entry 0; rdmsr 12345h
    assert.equal(run(machine('66 b9 77 02 00 00 66 b8 02 00 00 00 66 31 d2 0f 30 f4')), VEC_GP);
    assert.equal(run(machine('66 b9 45 23 01 00 0f 32 f4')), VEC_GP);
    // The VMM's view.
    assert.equal(writeMsr(m.cpu, 0xc0000080, 0x100n), false); // no long mode
    assert.equal(readMsr(m.cpu, 0x277), 0x0700000000000006n);
    assert.equal(writeMsr(m.cpu, 0x277, 0x0007040600070406n), true);
    assert.equal(m.cpu.patHi, 0x00070406);
    assert.equal(readMsr(m.cpu, 0x12345), undefined);
  });

  it('SLDT and LAR are #UD in real mode', () => {
    assert.equal(run(machine('0f 00 c0 f4')), VEC_UD);
    assert.equal(run(machine('0f 02 c3 f4')), VEC_UD);
  });

  it('real mode -> protected mode -> back: big real mode keeps the 4 GiB DS limit', () => {
    //   lgdt [gdtr]; mov eax,cr0; or al,1; mov cr0,eax; jmp dword 08h:pm32+10000h
    // bits 32
    // pm32: mov ax,10h; mov ds,ax; mov es,ax; mov dword [200000h],12345678h; jmp 18h:pm16
    // bits 16
    // pm16: mov eax,cr0; and al,0FEh; mov cr0,eax; jmp 1000h:real
    // real: xor ax,ax; mov ds,ax; mov esi,200000h; mov ebx,[esi]; mov dword [esi+4],0CAFEBABEh; hlt
    // gdt (at 58h): null; 08h code32 flat; 10h data flat 4 GiB; 18h code16 base 10000h; gdtr (at 78h): dw 31, dd gdt+10000h
    const m = machine(
      '0f 01 16 78 00 0f 20 c0 0c 01 0f 22 c0 66 ea 15 00 01 00 08 00 66 b8 10 00 8e d8 8e c0 c7 05 00 00 20 00 78 56 34 12 ' +
        'ea 2e 00 00 00 18 00 0f 20 c0 24 fe 0f 22 c0 ea 3b 00 00 10 31 c0 8e d8 66 be 00 00 20 00 66 67 8b 1e 66 67 c7 46 04 ' +
        'be ba fe ca f4 90 90 90 90 90 00 00 00 00 00 00 00 00 ff ff 00 00 00 9a cf 00 ff ff 00 00 00 92 cf 00 ff ff 00 00 01 ' +
        '9a 00 00 1f 00 58 00 01 00',
    );
    assert.equal(run(m), -1);
    assert.equal(m.cpu.protectedMode, false);
    assert.equal(m.cpu.segSel[CS], 0x1000);
    assert.equal(m.cpu.segSel[DS], 0);
    assert.equal(m.cpu.segBase[DS], 0);
    assert.equal(m.cpu.segLimit[DS], 0xffffffff);
    assert.equal(r32(m, EBX), 0x12345678);
    assert.equal(m.ram[0x200004] | (m.ram[0x200005] << 8) | (m.ram[0x200006] << 16) | (m.ram[0x200007] << 24), 0xcafebabe | 0);
    assert.equal(m.cpu.mode(), 'big-real');
  });

  it('protected mode: LLDT, LTR (marks the TSS busy), SLDT, STR, LAR, LSL, VERR, VERW, SMSW, SGDT', () => {
    // Enter 32-bit protected mode as above, then (bits 32):
    //   mov ax,10h; mov ds,ax; mov ss,ax; mov esp,90000h; mov ax,20h; lldt ax; mov ax,28h; ltr ax;
    //   mov ebx,-1; sldt ebx; mov ecx,-1; str ecx; mov edx,10h; lar edx,edx; setz [res];
    //   mov esi,10h; lsl esi,esi; setz [res+1]; mov ax,8; verr ax; setz [res+2]; verw ax; setz [res+3];
    //   mov ax,10h; verw ax; setz [res+4]; mov edi,5555h; xor eax,eax; lar edi,eax; setz [res+5];
    //   mov eax,40h; lsl edi,eax; setz [res+6]; mov eax,28h; lsl ebp,eax; setz [res+7];
    //   mov eax,20h; lar eax,eax; smsw [res+8]; sgdt [res+10h]; hlt
    // gdt (at D0h): null; 08h code32; 10h data; 18h code16; 20h LDT base 12000h limit Fh; 28h TSS32 base 13000h limit 67h
    // gdtr at 100h (limit 47), res at 106h.
    const m = machine(
      '0f 01 16 00 01 0f 20 c0 0c 01 0f 22 c0 66 ea 15 00 01 00 08 00 66 b8 10 00 8e d8 8e d0 bc 00 00 09 00 66 b8 20 00 0f ' +
        '00 d0 66 b8 28 00 0f 00 d8 bb ff ff ff ff 0f 00 c3 b9 ff ff ff ff 0f 00 c9 ba 10 00 00 00 0f 02 d2 0f 94 05 06 01 01 ' +
        '00 be 10 00 00 00 0f 03 f6 0f 94 05 07 01 01 00 66 b8 08 00 0f 00 e0 0f 94 05 08 01 01 00 0f 00 e8 0f 94 05 09 01 01 ' +
        '00 66 b8 10 00 0f 00 e8 0f 94 05 0a 01 01 00 bf 55 55 00 00 31 c0 0f 02 f8 0f 94 05 0b 01 01 00 b8 40 00 00 00 0f 03 ' +
        'f8 0f 94 05 0c 01 01 00 b8 28 00 00 00 0f 03 e8 0f 94 05 0d 01 01 00 b8 20 00 00 00 0f 02 c0 0f 01 25 0e 01 01 00 0f ' +
        '01 05 16 01 01 00 f4 90 90 90 90 90 90 00 00 00 00 00 00 00 00 ff ff 00 00 00 9a cf 00 ff ff 00 00 00 92 cf 00 ff ' +
        'ff 00 00 01 9a 00 00 0f 00 00 20 01 82 00 00 67 00 00 30 01 89 00 00 2f 00 d0 00 01 00',
    );
    assert.equal(run(m), -1);
    assert.equal(m.cpu.protectedMode, true);
    assert.equal(m.cpu.code32, true);
    assert.deepEqual({ ...m.cpu.ldtr }, { selector: 0x20, base: 0x12000, limit: 0xf, attributes: 0x82 });
    assert.deepEqual({ ...m.cpu.tr }, { selector: 0x28, base: 0x13000, limit: 0x67, attributes: 0x8b });
    assert.equal(m.ram[CODE + 0xd0 + 0x28 + 5], 0x8b); // busy bit set in the GDT
    assert.equal(r32(m, EBX), 0x20);
    assert.equal(r32(m, ECX), 0x28);
    assert.equal(r32(m, EDX), 0x00cf9300); // loading DS and SS with 10h set its accessed bit (SDM vol. 3 §3.4.5.1)
    assert.equal(r32(m, ESI), 0xffffffff);
    const res = 0x106;
    assert.deepEqual(Array.from(m.ram.subarray(CODE + res, CODE + res + 8)), [1, 1, 1, 0, 1, 0, 0, 1]);
    assert.equal(r32(m, EDI), 0x5555); // failed LAR/LSL leave the destination
    assert.equal(r32(m, EBP), 0x67);
    assert.equal(r32(m, EAX), 0x00008200); // LAR of the LDT descriptor
    assert.equal(mem16(m, res + 8) & 1, 1); // SMSW: PE
    assert.equal(mem16(m, res + 0x10), 47);
    assert.equal(mem32(m, res + 0x12), CODE + 0xd0);
  });
});
