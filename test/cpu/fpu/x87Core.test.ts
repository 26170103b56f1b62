// The x87 in the core, where the host oracle cannot look: CR0.EM/MP/TS and
// #NM, unmasked exceptions reported at the next waiting instruction as #MF
// (CR0.NE = 1) or through FERR# into IRQ 13 (CR0.NE = 0, cleared by OUT
// F0h), the real-mode environment layout, the power-on state, INIT, and the
// internal error for the instructions not implemented yet.

import { strict as assert } from 'node:assert';
import { StopReason } from '../../../src/cpu/cpu';
import { CR0_EM, CR0_MP, CR0_NE, CR0_TS, VEC_MF, VEC_NM } from '../../../src/cpu/state';
import { ATTR_REAL_CODE, CS, IF } from '../../../src/cpu/state';
import { CoprocessorError } from '../../../src/devices/coprocessorError';
import { Vm } from '../../../src/vmm/vm';
import { CODE, HANDLERS, createTestCpu } from '../testMachine';

const NO_IO = { portIn: () => 0xff, portOut: () => {} };

/** Run until HLT; the vector of the fault taken (the HLT at HANDLERS + v), or -1 for the program's own HLT. */
function run(code: string, setup?: (m: ReturnType<typeof createTestCpu>) => void): { m: ReturnType<typeof createTestCpu>; vector: number } {
  const m = createTestCpu(code, NO_IO);
  m.cpu.cr0 |= CR0_NE;
  setup?.(m);
  const stop = m.cpu.run(10000);
  assert.equal(stop, StopReason.Halt, `stopped with ${stop}`);
  const linear = (m.cpu.segBase[CS] + m.cpu.eip - 1) >>> 0;
  return { m, vector: linear >= HANDLERS && linear < HANDLERS + 256 ? linear - HANDLERS : -1 };
}

// fninit ; fldcw [100h] (ZE unmasked: 037Bh) ; fldz ; fld1 ; fdiv st0,st1 (zero divide: pending) ; <next> ; hlt
const ZERO_DIVIDE = 'db e3 d9 2e 00 01 d9 ee d9 e8 d8 f1';

function withControlWord(m: ReturnType<typeof createTestCpu>, cw: number): void {
  m.ram[CODE + 0x100] = cw & 0xff;
  m.ram[CODE + 0x101] = cw >> 8;
}

describe('x87 in the core', () => {
  it('#NM: an escape with CR0.EM or CR0.TS; WAIT only with MP and TS', () => {
    assert.equal(run('d9 e8 f4', (m) => (m.cpu.cr0 |= CR0_EM)).vector, VEC_NM);
    assert.equal(run('d9 e8 f4', (m) => (m.cpu.cr0 |= CR0_TS)).vector, VEC_NM);
    assert.equal(run('9b f4', (m) => (m.cpu.cr0 |= CR0_TS)).vector, -1);
    assert.equal(run('9b f4', (m) => (m.cpu.cr0 |= CR0_TS | CR0_MP)).vector, VEC_NM);
    // With EM alone WAIT is not affected.
    assert.equal(run('9b f4', (m) => (m.cpu.cr0 |= CR0_EM)).vector, -1);
  });

  it('#MF at the next waiting instruction with CR0.NE = 1, not at non-waiting ones; the status shows ES and B', () => {
    // The zero divide leaves ZE pending; FNSTSW AX (non-waiting) reads it; FWAIT faults at its own address.
    const { m, vector } = run(`${ZERO_DIVIDE} df e0 9b f4`, (mm) => withControlWord(mm, 0x037b));
    assert.equal(vector, VEC_MF);
    assert.equal(m.cpu.reg16[0] & 0x80ff, 0x8084, 'FNSTSW AX: B, ES and ZE');
    // The handler's return address (pushed IP) is the FWAIT.
    assert.equal(m.ram[0x20000 + m.cpu.reg16[8]] | (m.ram[0x20000 + m.cpu.reg16[8] + 1] << 8), 14);
    // A non-waiting FNCLEX clears it: the next FWAIT goes through.
    assert.equal(run(`${ZERO_DIVIDE} db e2 9b f4`, (mm) => withControlWord(mm, 0x037b)).vector, -1);
    // Masked, nothing is pending.
    assert.equal(run(`${ZERO_DIVIDE} 9b f4`, (mm) => withControlWord(mm, 0x037f)).vector, -1);
    // An unmasking FLDCW makes a raised flag pending: the next waiting instruction faults.
    const late = run(`${ZERO_DIVIDE} d9 2e 02 01 d9 e8 f4`, (mm) => {
      withControlWord(mm, 0x037f);
      mm.ram[CODE + 0x102] = 0x7b;
      mm.ram[CODE + 0x103] = 0x03;
    });
    assert.equal(late.vector, VEC_MF);
  });

  it('FERR#: with CR0.NE = 0 the waiting instruction signals and goes on', () => {
    let signals = 0;
    const { m, vector } = run(`${ZERO_DIVIDE} d9 e8 f4`, (mm) => {
      withControlWord(mm, 0x037b);
      mm.cpu.cr0 &= ~CR0_NE;
      mm.cpu.onFerr = () => signals++;
    });
    assert.equal(vector, -1);
    assert.equal(signals, 1, 'FERR# at the FLD1 after the zero divide');
    assert.equal((m.cpu.fpu.statusWord() >> 11) & 7, 5, 'the FLD1 was executed (three pushes)');
  });

  it('FERR# reaches IRQ 13 of the board through the 8259 and OUT F0h clears the latch', () => {
    // cr0.NE is clear after reset. Program: the zero divide, then FLD1 (FERR#), then OUT F0h, HLT.
    const code = [0xdb, 0xe3, 0xd9, 0x2e, 0x00, 0x01, 0xd9, 0xee, 0xd9, 0xe8, 0xd8, 0xf1, 0xd9, 0xe8, 0xf4, 0xe6, 0xf0, 0xf4];
    const vm = new Vm({ memoryBytes: 2 << 20 });
    vm.memory.writePhysical(0x7c00, Uint8Array.from(code));
    vm.memory.writePhysical(0x100, Uint8Array.from([0x7b, 0x03])); // DS = 0
    const vcpu = vm.vcpus[0];
    vcpu.cpu.loadSegmentCache(CS, 0x7c0, 0x7c00, 0xffff, ATTR_REAL_CODE);
    vcpu.setRegs({ ...vcpu.getRegs(), eip: 0, eflags: 0x2 });
    assert.equal(vcpu.getSregs().cr0 & CR0_NE, 0);
    assert.deepEqual(vcpu.run(1000), { kind: 'hlt' });
    assert.equal(vm.pic.saveState().slave.irr & (1 << 5), 1 << 5, 'IRQ 13 requested (slave input 5)');
    assert.equal(vcpu.getRegs().eflags & IF, 0);
    // OUT F0h clears the latch (the line drops; the edge already in IRR stays until acknowledged).
    const latch = (): boolean => vm.device<CoprocessorError>('fpu-error')?.saveState().latched ?? false;
    assert.equal(latch(), true);
    vcpu.setRegs({ ...vcpu.getRegs(), eip: 15 });
    vcpu.cpu.halted = false;
    assert.deepEqual(vcpu.run(1000), { kind: 'hlt' });
    assert.equal(latch(), false);
  });

  it('FNSTENV in real mode: the 32-bit layout with the linear instruction and data pointers and the opcode', () => {
    // fninit ; fld dword [120h] ; 66 fnstenv [140h] ; hlt   (DS = CS = 1000h)
    const { m } = run('db e3 d9 06 20 01 66 d9 36 40 01 f4', (mm) => {
      mm.ram.set([0, 0, 0x80, 0x3f], CODE + 0x120); // 1.0f
    });
    const dword = (o: number): number => (m.ram[CODE + 0x140 + o] | (m.ram[CODE + 0x141 + o] << 8) | (m.ram[CODE + 0x142 + o] << 16) | (m.ram[CODE + 0x143 + o] << 24)) >>> 0;
    assert.equal(dword(0), 0xffff037f, 'FCW');
    assert.equal(dword(4) & 0xffff, 0x3800, 'FSW: TOP 7');
    assert.equal(dword(8) & 0xffff, 0x3fff, 'FTW: physical 7 valid');
    const ip = CODE + 2, dp = CODE + 0x120;
    assert.equal(dword(12) & 0xffff, ip & 0xffff, 'FIP[15:0]');
    assert.equal(dword(16), ((ip >>> 16) << 12) | 0x106, 'FIP[31:16] and FOP (D9 06)');
    assert.equal(dword(20) & 0xffff, dp & 0xffff, 'FDP[15:0]');
    assert.equal(dword(24), (dp >>> 16) << 12, 'FDP[31:16]');
    assert.equal(m.cpu.fpu.cw & 0x3f, 0x3f, 'FNSTENV masks every exception');
  });

  it('FNSAVE/FRSTOR round trip in 16-bit real mode (94 bytes), FNSAVE leaving the FPU initialised', () => {
    // fninit ; fldpi ; fld1 ; fnsave [200h] ; fld1 ; frstor [200h] ; fnstsw [300h] ; fstp tword [310h] ; hlt
    const { m } = run('db e3 d9 eb d9 e8 dd 36 00 02 d9 e8 dd 26 00 02 dd 3e 00 03 db 3e 10 03 f4');
    assert.equal(m.ram[CODE + 0x300] | (m.ram[CODE + 0x301] << 8), 0x3000, 'TOP 6 restored');
    assert.deepEqual([...m.ram.subarray(CODE + 0x310, CODE + 0x31a)], [0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f], 'ST(0) = 1.0');
    assert.deepEqual([...m.ram.subarray(CODE + 0x200 + 14, CODE + 0x200 + 24)], [0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f]);
  });

  it('power-on state FCW 0040h, all empty; INIT keeps the x87 state; RESET clears it', () => {
    const m = createTestCpu('f4', NO_IO);
    assert.equal(m.cpu.fpu.cw, 0x40);
    assert.equal(m.cpu.fpu.tagWord(), 0xffff);
    m.cpu.fpu.init();
    m.cpu.fpu.push(0x3fff, 0x80000000, 0);
    m.cpu.init();
    assert.equal(m.cpu.fpu.cw, 0x37f, 'INIT leaves FCW');
    assert.equal(m.cpu.fpu.tagWord(), 0x3fff, 'and the registers');
    m.cpu.reset();
    assert.equal(m.cpu.fpu.cw, 0x40);
    assert.equal(m.cpu.fpu.tagWord(), 0xffff);
  });

  it('ends the run with an internal error naming the bytes for x87 instructions not implemented yet', () => {
    for (const bytes of ['d9 f0', 'd9 f1', 'd9 f2', 'd9 f3', 'd9 f9', 'd9 fb', 'd9 fe', 'd9 ff']) {
      const m = createTestCpu(`db e3 d9 e8 ${bytes} f4`, NO_IO);
      assert.equal(m.cpu.run(100), StopReason.InternalError, bytes);
      assert.match(m.cpu.internalError?.message ?? '', /^x87 F[A-Z0-9]+ is not implemented yet$/);
      assert.deepEqual(m.cpu.internalError?.bytes.slice(0, 2), bytes.split(' ').map((b) => parseInt(b, 16)));
      assert.equal(m.cpu.eip, 4, 'stopped at the instruction');
    }
  });

  it('#UD for the reserved x87 encodings', () => {
    for (const bytes of ['d9 d1', 'd9 e2', 'd9 e3', 'd9 e6', 'd9 e7', 'd9 ef', 'da e8', 'da ea', 'db e5', 'db f8', 'dd f0', 'de d8', 'df e1', 'df f8', 'd9 0e 00 01', 'db 26 00 01', 'dd 2e 00 01']) {
      assert.equal(run(`${bytes} f4`).vector, 6, bytes);
    }
  });
});

describe('x87 robustness', () => {
  it('random escapes over random FPU states end in a result, a guest fault or the named internal error, never a crash', () => {
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const m = createTestCpu('f4', NO_IO);
    const stops = new Map<number, number>();
    for (let n = 0; n < 20000; n++) {
      m.cpu.reset();
      m.cpu.idtrLimit = 0x3ff;
      m.cpu.loadSegmentCache(CS, CODE >> 4, CODE, 0xffff, ATTR_REAL_CODE);
      m.cpu.eip = 0;
      m.cpu.cr0 = (m.cpu.cr0 & ~0x2e) | (rnd(4) === 0 ? rnd(16) << 1 : CR0_NE);
      const st = Array.from({ length: 8 }, () => Array.from({ length: 10 }, () => rnd(256)));
      m.cpu.fpu.setState({
        st, fcw: rnd(2) ? 0x37f : rnd(0x10000), fsw: rnd(0x10000) & ~0x80, ftw: rnd(0x10000),
        lastOpcode: 0, lastIp: 0, lastCs: 0, lastDp: 0, lastDs: 0,
      });
      const bytes = [0xd8 + rnd(8), rnd(256), rnd(256), rnd(256), rnd(256), rnd(256), 0xf4];
      if (rnd(4) === 0) bytes.unshift(rnd(2) ? 0x66 : 0x67);
      m.ram.set(bytes, CODE);
      const stop = m.cpu.stepOnce(false);
      stops.set(stop, (stops.get(stop) ?? 0) + 1);
      if (stop === StopReason.InternalError) assert.match(m.cpu.internalError?.message ?? '', /^x87 F[A-Z0-9]+ is not implemented yet$/);
    }
    assert.ok((stops.get(StopReason.Budget) ?? 0) > 10000, `most instructions complete: ${JSON.stringify([...stops])}`);
  });
});
