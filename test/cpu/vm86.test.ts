// Virtual-8086 mode (SDM vol. 3 ch. 20; vol. 2 IRET, INT n, CLI, STI, PUSHF,
// POPF): entry by IRETD from ring 0, 8086 segments at CPL 3, the exit to the
// ring-0 handler through the IDT with the vm86 frame and the data segment
// registers nulled, IRET back, the IOPL-sensitive instructions at IOPL 0
// (#GP(0) to the monitor) and at IOPL 3, and entry by a task switch.
// Worked out by hand; the machine is test/cpu/protectedMachine.ts.

import { strict as assert } from 'node:assert';
import { CS, DS, ES, FS, GS, SS, VM } from '../../src/cpu/state';
import {
  CODE, IDT, PmMachine, STACK0, TSS_ESP0, createPmCpu, descriptor, expectEnd, expectFault, peek32, poke,
  poke32, setDescriptor,
} from './protectedMachine';

const VEC_GP = 13;
const IOPL3 = 0x3000;
const V86_CS = 0x1000, V86_IP = 0x0100; // vm86 code at linear 10100h
const V86_CODE = 0x10100;

/**
 * Ring 0 enters vm86 by IRETD (`cf` at CODE) with CS:IP 1000:0100, SS:SP
 * 2000:FFF0, ES 3000h, DS 4000h, FS 5000h, GS 6000h, EFLAGS VM | `flags`;
 * `code` runs there. IDT vector 1Fh is a DPL 3 gate (for INT 1Fh).
 */
function vm86(code: string, flags = IOPL3): PmMachine {
  const m = createPmCpu('cf');
  poke(m, V86_CODE, code.split(' ').map((b) => parseInt(b, 16)));
  const frame = [V86_IP, V86_CS, VM | flags | 2, 0xfff0, 0x2000, 0x3000, 0x4000, 0x5000, 0x6000];
  const esp = STACK0 - frame.length * 4;
  frame.forEach((v, i) => poke32(m, esp + i * 4, v));
  m.cpu.reg32[4] = esp;
  m.ram[IDT + 0x1f * 8 + 5] = 0xee; // DPL 3
  return m;
}

/** The vm86 frame on the ring-0 stack after an exit without an error code: EIP CS EFLAGS ESP SS ES DS FS GS. */
function frameAt(m: PmMachine, at: number): number[] {
  return Array.from({ length: 9 }, (_, i) => peek32(m, at + 4 * i));
}

describe('CPU: virtual-8086 mode', () => {
  it('IRETD enters vm86: 8086 segments; INT 1Fh leaves through the IDT with the vm86 frame, data segments null', () => {
    // mov ax,[10h]; mov bx,1234h; mov es,bx; int 1Fh
    const m = vm86('a1 10 00 bb 34 12 8e c3 cd 1f');
    poke32(m, 0x40010, 0xbeef);
    const f = expectFault(m, 0x1f, -1);
    assert.deepEqual([f.cs, f.eip], [V86_CS, V86_IP + 10], 'the ring-0 handler of vector 1Fh, called from vm86');
    assert.equal(m.cpu.reg32[0] & 0xffff, 0xbeef, 'DS base 40000h');
    assert.equal(m.cpu.reg32[4], TSS_ESP0 - 36, 'on the TSS ring-0 stack');
    assert.deepEqual(frameAt(m, TSS_ESP0 - 36), [V86_IP + 10, V86_CS, VM | IOPL3 | 2, 0xfff0, 0x2000, 0x1234, 0x4000, 0x5000, 0x6000]);
    assert.deepEqual([DS, ES, FS, GS].map((s) => m.cpu.segSel[s]), [0, 0, 0, 0]);
    assert.equal(m.cpu.flags & VM, 0);
    assert.equal(m.cpu.cpl, 0);
  });

  it('segment loads in vm86 are 8086 ones: base selector * 16, limit FFFFh, DPL 3', () => {
    const m = vm86('bb 34 12 8e c3 cd 1f');
    expectFault(m, 0x1f, -1);
    assert.equal(peek32(m, TSS_ESP0 - 36 + 20), 0x1234, 'ES in the frame');
    const m2 = vm86('bb 34 12 8e c3 fa'); // ...; cli at IOPL 0 stops with ES still loaded
    m2.cpu.eip = CODE;
    const frame = [V86_IP, V86_CS, VM | 2, 0xfff0, 0x2000, 0x3000, 0x4000, 0x5000, 0x6000];
    frame.forEach((v, i) => poke32(m2, (m2.cpu.reg32[4] >>> 0) + i * 4, v));
    m2.cpu.halted = false;
    m2.cpu.run(3); // IRETD, MOV BX, MOV ES
    assert.equal(m2.cpu.segBase[ES], 0x12340);
    assert.equal(m2.cpu.segLimit[ES], 0xffff);
    assert.equal(m2.cpu.segAttr[ES], 0xf3);
    assert.equal(m2.cpu.segBase[CS], 0x10000);
    assert.equal(m2.cpu.mode(), 'vm86');
  });

  it('IOPL 0: CLI, STI, PUSHF, POPF, INT n and IRET are #GP(0) to the monitor, with the vm86 frame', () => {
    for (const [name, code] of [['cli', 'fa'], ['sti', 'fb'], ['pushf', '9c'], ['popf', '9d'], ['int 1Fh', 'cd 1f'], ['iret', 'cf']]) {
      const m = vm86(code, 0);
      const f = expectFault(m, VEC_GP, 0);
      assert.deepEqual([f.cs, f.eip], [V86_CS, V86_IP], `${name}: the frame names the vm86 instruction`);
      assert.equal(peek32(m, (m.cpu.reg32[4] >>> 0) + 4 * 3) & VM, VM, `${name}: the pushed EFLAGS have VM`);
    }
  });

  it('IOPL 0: INT3 is not IOPL-sensitive (it reaches its DPL 3 gate)', () => {
    const m = vm86('cc', 0);
    const end = expectEnd(m);
    assert.equal(end.eip, V86_CODE - 0x10000, 'INT3 delivered from vm86 (IP 0100h)');
  });

  it('IOPL 3: PUSHF/POPF/CLI/STI run; POPF cannot change IOPL', () => {
    // mov bx,3000h... as data: push bx (IOPL 3 in the image); popf; pushf; pop cx; int3
    const m = vm86('bb 00 00 53 9d 9c 59 cc'); // mov bx,0 (IOPL 0 in the image); push bx; popf; pushf; pop cx; int3
    expectEnd(m);
    assert.equal(m.cpu.reg32[1] & 0x3000, 0x3000, 'IOPL still 3');
    const m2 = vm86('fa fb 9c 9d cc');
    expectEnd(m2);
  });

  it('IRETD from the ring-0 handler returns to vm86; a 16-bit IRET inside vm86 at IOPL 3 keeps IOPL', () => {
    // vm86: int 1Fh; int3. Handler of 1Fh (at 401Fh): iretd.
    const m = vm86('cd 1f cc');
    m.ram[0x401f] = 0xcf;
    const end = expectEnd(m);
    assert.equal(end.eip, V86_IP + 2, 'back in vm86 after INT 1Fh');
    assert.equal(end.ss, 0x2000);
    assert.equal(end.esp, 0xfff0);
    assert.equal(peek32(m, (m.cpu.reg32[4] >>> 0) + 24), 0x4000, 'DS in the INT3 frame: restored by the IRETD');
  });

  it('entry by IRETD with EIP beyond FFFFh is #GP(0), in ring 0', () => {
    const m = vm86('90');
    poke32(m, m.cpu.reg32[4] >>> 0, 0x10000);
    const f = expectFault(m, VEC_GP, 0);
    assert.equal(f.cs, 0x08);
  });

  it('a task switch to a TSS whose EFLAGS has VM runs the task in vm86', () => {
    const m = createPmCpu('ea 00 00 00 00 30 00'); // jmp 30h:0
    const tss = 0x6000;
    setDescriptor(m, 0x30, descriptor(tss, 0x67, 0x89, 0));
    poke32(m, tss + 0x20, V86_IP);
    poke32(m, tss + 0x24, VM | IOPL3 | 2);
    poke32(m, tss + 0x38, 0xfff0);
    for (const [off, sel] of [[0x48, 0x3000], [0x4c, V86_CS], [0x50, 0x2000], [0x54, 0x4000]]) poke32(m, tss + off, sel);
    poke32(m, tss + 4, TSS_ESP0); // the task's own ring-0 stack, for the INT3 that ends it
    poke32(m, tss + 8, 0x10);
    m.ram[V86_CODE] = 0xcc;
    const end = expectEnd(m);
    assert.equal(end.eip, V86_IP);
    assert.equal(end.ss, 0x2000);
    assert.equal(m.cpu.segSel[SS], 0x10, 'the INT3 handler runs on the ring-0 stack');
    assert.equal(peek32(m, (m.cpu.reg32[4] >>> 0) + 20), 0x3000, 'ES in the frame');
  });
});
