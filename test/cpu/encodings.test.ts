// The encoding table (src/cpu/ops/encodings.ts) against the core and the host
// CPU: every invalid encoding raises #UD in the modes the table says (and its
// valid counterpart does not), every listed unimplemented instruction ends
// the run with an internal error naming it, the hint NOPs run as NOPs with
// their operand decoded, and a walk of the one-byte and 0F maps with a few
// ModRM bytes compares "SIGILL on the host" with "#UD in vmexit" at CPL 3.

import { strict as assert } from 'node:assert';
import { StopReason } from '../../src/cpu/cpu';
import {
  INVALID_ENCODINGS, InvalidEncoding, PREFIX_OPCODES, UNIMPLEMENTED_ENCODINGS, encodingName,
} from '../../src/cpu/ops/encodings';
import {
  ATTR_DB, ATTR_DPL_SHIFT, ATTR_REAL_CODE, ATTR_REAL_DATA, CR0_PE, CS, DS, ES, FS, GS, SS, VEC_UD, VM, ZF,
} from '../../src/cpu/state';
import { DATA_ADDR, IN_SIZE, OUT_SIZE } from './native/forms';
import { buildRunner, runNative } from './native/oracle';
import { createBareCpu } from './testMachine';

type Mode = 'real' | 'vm86' | 'pm16' | 'pm32' | 'pm32-cpl3';

const CODE = 0x10000;
const { cpu, ram } = createBareCpu();
const ALL_VECTORS = Array.from({ length: 32 }, (_, v) => v);

/** The segment caches and control state of `mode`, code at CS:0 (linear CODE). */
function enterMode(mode: Mode): void {
  cpu.reset();
  const cpl = mode === 'vm86' || mode === 'pm32-cpl3' ? 3 : 0;
  if (mode === 'real' || mode === 'vm86') {
    for (const s of [ES, SS, DS, FS, GS]) cpu.loadSegmentCache(s, CODE >> 4, CODE, 0xffff, ATTR_REAL_DATA | (cpl << ATTR_DPL_SHIFT));
    cpu.loadSegmentCache(CS, CODE >> 4, CODE, 0xffff, ATTR_REAL_CODE | (cpl << ATTR_DPL_SHIFT));
  } else {
    const db = mode === 'pm16' ? 0 : ATTR_DB;
    for (const s of [ES, SS, DS, FS, GS]) cpu.loadSegmentCache(s, 0x10 | cpl, 0, 0xffffffff, ATTR_REAL_DATA | db | (cpl << ATTR_DPL_SHIFT));
    cpu.loadSegmentCache(CS, 0x08 | cpl, CODE, mode === 'pm16' ? 0xffff : 0xffffffff, ATTR_REAL_CODE | db | (cpl << ATTR_DPL_SHIFT));
  }
  if (mode !== 'real') cpu.cr0 |= CR0_PE;
  cpu.cpl = cpl;
  cpu.setRegs({ eax: 0, ecx: 0, edx: 0, ebx: 0, esp: 0x8000, ebp: 0, esi: 0, edi: 0, eip: 0, eflags: mode === 'vm86' ? VM | 2 : 2 });
}

type Outcome = { kind: 'ok' } | { kind: 'fault'; vector: number } | { kind: 'internal'; message: string };

/** Runs one instruction (`bytes`, padded with zeros) in `mode`; exceptions are intercepted, not delivered. */
function runOne(bytes: number[], mode: Mode, setup?: () => void): Outcome {
  enterMode(mode);
  setup?.();
  ram.fill(0, CODE, CODE + 32);
  ram.set(bytes, CODE);
  cpu.setDebug({ breakpoints: [], exceptions: ALL_VECTORS, softwareInterrupts: [], modeChanges: false, magicBreakpoint: false });
  const stop = cpu.run(1);
  cpu.debug.pendingException = null;
  if (stop === StopReason.InternalError) return { kind: 'internal', message: cpu.internalError?.message ?? '' };
  const event = cpu.debug.event;
  if (stop === StopReason.Debug && event?.kind === 'exception') return { kind: 'fault', vector: event.vector };
  return { kind: 'ok' };
}

function isUd(o: Outcome): boolean {
  return o.kind === 'fault' && o.vector === VEC_UD;
}

function describe_(o: Outcome): string {
  return o.kind === 'ok' ? 'ran' : o.kind === 'fault' ? `vector ${o.vector}` : `internal error "${o.message}"`;
}

function opBytes(index: number): number[] {
  return index >= 0x100 ? [0x0f, index & 0xff] : [index];
}

function regsOf(e: InvalidEncoding): number[] {
  return [0, 1, 2, 3, 4, 5, 6, 7].filter((r) => e.regs & (1 << r));
}

/** The instances of an invalid entry that must raise #UD, with the mode; and counterparts that must not. */
function instances(e: InvalidEncoding): { ud: [number[], Mode, (() => void)?][]; valid: [number[], Mode, (() => void)?][] } {
  const op = opBytes(e.index);
  const ud: [number[], Mode, (() => void)?][] = [];
  const valid: [number[], Mode, (() => void)?][] = [];
  switch (e.form) {
    case 'always':
      for (const reg of regsOf(e)) {
        for (const mode of ['real', 'pm32'] as Mode[]) {
          ud.push([[...op, (reg << 3) | 0x00], mode]);
          ud.push([[...op, 0xc0 | (reg << 3)], mode]);
        }
      }
      break;
    case 'register':
      for (const reg of regsOf(e)) {
        ud.push([[...op, 0xc0 | (reg << 3) | 1], 'pm32']);
        ud.push([[...op, 0xc0 | (reg << 3) | 1], 'real']);
        // The memory form ([EAX] = 0 / [BX+SI] = 0 in flat or real segments) is not #UD.
        valid.push([[...op, (reg << 3) | 0x00], 'pm32']);
      }
      break;
    case 'real-vm86':
      for (const reg of regsOf(e)) {
        for (const mode of ['real', 'vm86'] as Mode[]) ud.push([[...op, 0xc0 | (reg << 3)], mode]);
        valid.push([[...op, 0xc0 | (reg << 3)], 'pm32']);
      }
      break;
    case 'reg-field': {
      const bad: Record<number, number[]> = { 0x8c: [6, 7], 0x8e: [1, 6, 7], 0x8f: [1, 2, 3, 4, 5, 6, 7], 0x120: [1, 5, 6, 7], 0x122: [1, 5, 6, 7], 0x121: [4, 5], 0x123: [4, 5] };
      const good: Record<number, number[]> = { 0x8c: [0, 5], 0x8e: [0, 3], 0x8f: [0], 0x120: [0, 2], 0x122: [2, 3], 0x121: [0, 7], 0x123: [0, 1] };
      const de = e.index === 0x121 || e.index === 0x123 ? () => { cpu.cr4 |= 1 << 3; } : undefined;
      for (const reg of bad[e.index]) ud.push([[...op, 0xc0 | (reg << 3)], 'pm32', de]);
      for (const reg of good[e.index]) valid.push([[...op, 0xc0 | (reg << 3)], 'pm32', de]);
      if (de) for (const reg of bad[e.index]) valid.push([[...op, 0xc0 | (reg << 3)], 'pm32']); // CR4.DE = 0: aliases of DR6/DR7
      break;
    }
  }
  return { ud, valid };
}

const hex = (bytes: number[]) => bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ');

describe('CPU: invalid and unimplemented encodings (src/cpu/ops/encodings.ts)', function () {
  it('every invalid encoding of the table raises #UD, and its valid counterpart does not', function () {
    const problems: string[] = [];
    for (const e of INVALID_ENCODINGS) {
      const { ud, valid } = instances(e);
      assert.ok(ud.length > 0, `no instance for ${encodingName(e.index)}`);
      for (const [bytes, mode, setup] of ud) {
        const o = runOne(bytes, mode, setup);
        if (!isUd(o)) problems.push(`${hex(bytes)} in ${mode} (${e.why}): ${describe_(o)}, expected #UD`);
      }
      for (const [bytes, mode, setup] of valid) {
        const o = runOne(bytes, mode, setup);
        if (isUd(o) || o.kind === 'internal') problems.push(`${hex(bytes)} in ${mode} (valid form of: ${e.why}): ${describe_(o)}`);
      }
    }
    assert.deepEqual(problems, []);
  });

  it('the defects of issue 8: FE /2-/7, ARPL in real and vm86 mode, UD0/UD1/UD2, C6/C7 /1-/7, LOCK misuse are #UD', function () {
    const cases: [string, Mode][] = [
      ['fe 10', 'real'], ['fe f8', 'pm32'], ['63 c0', 'real'], ['63 c0', 'vm86'], ['0f 0b', 'real'], ['0f ff 00', 'pm32'],
      ['0f b9 00', 'real'], ['c6 08 00', 'real'], ['c7 f8 00 00', 'pm16'],
      ['f0 01 c0', 'pm32'], ['f0 90', 'real'], ['f0 38 00', 'pm32'], ['f0 0f 1f 00', 'pm32'], ['f0 63 00', 'pm32'],
      ['c4 c0', 'real'], ['8d c0', 'pm32'], ['62 c0', 'real'], ['0f c7 c8', 'pm32'], ['8e 30', 'real'], ['8e c8', 'pm32'],
      ['0f 00 c0', 'real'], ['0f 02 c0', 'vm86'], ['0f 00 d8', 'vm86'],
    ];
    for (const [code, mode] of cases) {
      const bytes = code.split(' ').map((b) => parseInt(b, 16));
      assert.ok(isUd(runOne(bytes, mode)), `${code} in ${mode}: ${describe_(runOne(bytes, mode))}`);
    }
  });

  it('what the core does not implement ends the run with an internal error naming it', function () {
    for (const e of UNIMPLEMENTED_ENCODINGS) {
      const o = runOne(opBytes(e.index), 'pm32');
      assert.equal(o.kind, 'internal', `${e.name}: ${describe_(o)}`);
      assert.match((o as { message: string }).message, new RegExp(`^${e.name} \\(${encodingName(e.index)}\\) is not implemented`));
    }
    // WRMSR starting the performance counters (PerfEvtSel0.EN): no event is modelled.
    const o = runOne([0x0f, 0x30], 'real', () => cpu.setRegs({ ...cpu.getRegs(), ecx: 0x186, eax: 0x004300c0, edx: 0 }));
    assert.match(describe_(o), /internal error "counting performance-monitoring events \(PerfEvtSel0.EN\) is not implemented"/);
  });

  it('RDPMC reads the P6 counters PerfCtr0/1 (40 bits); #GP(0) for another counter or at CPL 3', function () {
    // WRMSR C1h with bit 31 set: bits 39:32 are its sign extension.
    runOne([0x0f, 0x30], 'real', () => cpu.setRegs({ ...cpu.getRegs(), ecx: 0xc1, eax: 0x80000001, edx: 0x12 }));
    assert.equal(cpu.perfCtr[0], 0xff80000001);
    const o = runOne([0x0f, 0x33], 'real', () => {
      cpu.perfCtr[1] = 0x3412345678;
      cpu.setRegs({ ...cpu.getRegs(), ecx: 1 });
    });
    assert.equal(describe_(o), 'ran');
    assert.equal(cpu.getRegs().eax, 0x12345678);
    assert.equal(cpu.getRegs().edx, 0x34);
    assert.equal(describe_(runOne([0x0f, 0x33], 'pm32', () => cpu.setRegs({ ...cpu.getRegs(), ecx: 0 }))), 'ran');
    assert.equal(describe_(runOne([0x0f, 0x33], 'real', () => cpu.setRegs({ ...cpu.getRegs(), ecx: 2 }))), 'vector 13');
    assert.equal(describe_(runOne([0x0f, 0x33], 'pm32-cpl3', () => cpu.setRegs({ ...cpu.getRegs(), ecx: 0 }))), 'vector 13');
    assert.equal(describe_(runOne([0x0f, 0x33], 'vm86', () => cpu.setRegs({ ...cpu.getRegs(), ecx: 0, eflags: 0x20002 }))), 'vector 13');
  });

  it('hint NOPs (0F 0D, 0F 18-0F 1F, ENDBR32/64) decode their operand and touch nothing, even beyond the segment limit', function () {
    // [disp32] = FFFFFFF0h with DS limited to 15 bytes, and [BX+disp16] in real mode past 64 KiB.
    const setupSmallDs = () => cpu.loadSegmentCache(DS, 0x10, 0x100000, 0xf, ATTR_REAL_DATA | ATTR_DB);
    const cases: [string, Mode, number][] = [
      ['f3 0f 1e fb', 'pm32', 4], ['f3 0f 1e fa', 'pm32', 4], ['f3 0f 1e fb', 'real', 4],
      ['0f 1f 44 00 00', 'pm32', 5], ['66 0f 1f 84 00 00 00 00 00', 'pm32', 9], ['0f 1f 80 00 00 00 00', 'pm32', 7],
      ['0f 0d 0d f0 ff ff ff', 'pm32', 7], ['0f 0d 08', 'real', 3], ['0f 18 05 f0 ff ff ff', 'pm32', 7],
      ['0f 19 87 ff ff', 'real', 5], ['0f 1a c0', 'pm32', 3], ['0f 1b 04 24', 'pm32', 4], ['0f 1c 3d 00 01 00 00', 'pm32', 7],
      ['0f 1d 00', 'pm16', 3], ['0f 1e 40 7f', 'pm32', 4], ['0f 1f c0', 'real', 3], ['0f 18 e0', 'pm32', 3],
    ];
    for (const [code, mode, length] of cases) {
      const bytes = code.split(' ').map((b) => parseInt(b, 16));
      const o = runOne(bytes, mode, setupSmallDs);
      assert.equal(describe_(o), 'ran', `${code} in ${mode}`);
      assert.equal(cpu.eip, length, `${code}: length`);
    }
    // The register form of 0F 0D is #UD (as on the host and in QEMU); LOCK on a hint NOP is #UD.
    assert.ok(isUd(runOne([0x0f, 0x0d, 0xc8], 'pm32')));
    assert.ok(isUd(runOne([0xf0, 0x0f, 0x18, 0x00], 'pm32')));
  });

  it('SYSENTER/SYSEXIT: #GP(0) in real mode and with SYSENTER_CS = 0; otherwise to the flat ring-0 / ring-3 segments', function () {
    for (const op of [0x34, 0x35]) {
      assert.equal(describe_(runOne([0x0f, op], 'real', () => { cpu.sysenterCs = 0x08; })), 'vector 13');
      assert.equal(describe_(runOne([0x0f, op], 'pm32')), 'vector 13');
    }
    const setup = () => {
      cpu.sysenterCs = 0x0b; // RPL bits are ignored
      cpu.sysenterEsp = 0x9000;
      cpu.sysenterEip = 0xc0001000;
      cpu.setRegs({ ...cpu.getRegs(), ecx: 0x7000, edx: 0x401000, eflags: 0x10202 });
    };
    assert.equal(describe_(runOne([0x0f, 0x34], 'pm32-cpl3', setup)), 'ran');
    let s = cpu.getSregs();
    assert.deepEqual([s.cs.selector, s.cs.base, s.cs.limit, s.ss.selector, cpu.cpl], [0x08, 0, 0xffffffff, 0x10, 0]);
    assert.equal(cpu.getRegs().esp, 0x9000);
    assert.equal(cpu.getRegs().eip, 0xc0001000);
    assert.equal(cpu.getRegs().eflags & 0x10200, 0, 'RF and IF cleared');
    assert.equal(describe_(runOne([0x0f, 0x35], 'pm32', setup)), 'ran');
    s = cpu.getSregs();
    assert.deepEqual([s.cs.selector, s.ss.selector, (s.cs.attributes >> 5) & 3, cpu.cpl], [0x1b, 0x23, 3, 3]);
    assert.deepEqual([cpu.getRegs().esp, cpu.getRegs().eip], [0x7000, 0x401000]);
    assert.equal(describe_(runOne([0x0f, 0x35], 'pm32-cpl3', setup)), 'vector 13', 'SYSEXIT at CPL 3');
  });

  it('ARPL in protected mode raises the destination RPL and sets ZF', function () {
    // 63 C8: ARPL AX, CX with AX = 0x0010 (RPL 0), CX = 0x0003 (RPL 3).
    runOne([0x63, 0xc8], 'pm32', () => cpu.setRegs({ ...cpu.getRegs(), eax: 0x12340010, ecx: 3 }));
    assert.equal(cpu.getRegs().eax, 0x12340013);
    assert.ok(cpu.getRegs().eflags & ZF);
    runOne([0x63, 0xc8], 'pm16', () => cpu.setRegs({ ...cpu.getRegs(), eax: 0x0013, ecx: 2, eflags: 2 | ZF }));
    assert.equal(cpu.getRegs().eax, 0x0013);
    assert.equal(cpu.getRegs().eflags & ZF, 0);
    // A memory destination: [EAX] = word 0x0021 gets RPL 2 from DX.
    runOne([0x63, 0x10], 'pm32', () => {
      cpu.setRegs({ ...cpu.getRegs(), eax: 0x200, edx: 0x0002 });
      ram[0x200] = 0x21; ram[0x201] = 0;
    });
    assert.equal(ram[0x200], 0x22);
  });
});

// ---------------------------------------------------------------------------
// The host CPU: SIGILL natively <=> #UD in vmexit, at CPL 3 in 32-bit code
// ---------------------------------------------------------------------------

/**
 * Opcodes the walk does not run on the host: system calls (INT n, SYSCALL,
 * SYSENTER), returns and DS loads (they would leave the runner's own code
 * without its stack or data segment), POPF (the host stack's bytes may set
 * AC, and the runner's C code then takes alignment checks), and the x87
 * escapes (the FPU's).
 */
const HOST_SKIP = new Set([0x9d, 0xcd, 0xc2, 0xc3, 0xca, 0xcb, 0xcf, 0x1f, 0x8e, 0xc5, 0x105, 0x107, 0x134, 0x135,
  0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf]);

/**
 * Where the host CPU and the CPU vmexit models differ by design: the host is
 * an x86-64 part with features vmexit's CPUID does not report (the table's
 * entries with a `feature` are left out of the walk for that reason), and
 * may be an AMD one. By opcode, or by opcode and ModRM byte.
 */
const HOST_DIFFERENCES: Record<string, string> = {
  '0f b8': 'F3-less 0F B8 is JMPE on Itanium only; some hosts decode it',
  '0f 01 c1': 'VMCALL (VMX) on the host; group 7 register forms are #UD on a P6',
  '0f 01 d1': 'XSETBV (XSAVE) on the host',
  '0f 01 d9': 'VMMCALL (AMD SVM) on the host',
  '0f 01 f9': 'RDTSCP on the host',
  '0f c7 1b': 'XRSTORS on the host',
  '0f c7 23': 'XSAVEC on the host',
  '0f c7 2b': 'XSAVES on the host',
  '0f c7 f1': 'RDRAND on the host',
  '0f c7 f9': 'RDSEED/RDPID on the host',
  'f0 0f 20': 'LOCK MOV from CR0 is MOV from CR8 on AMD (AltMovCr8; #GP at CPL 3); #UD on Intel',
  'f0 0f 22': 'LOCK MOV to CR0 is MOV to CR8 on AMD (AltMovCr8; #GP at CPL 3); #UD on Intel',
  'f0 0f 00 2b': 'LOCK VERW m16: the host (AMD) raises #GP; the SDM lists #UD for LOCK (vmexit follows it)',
};

/** ModRM bytes of the walk: [EBX] and ECX with each reg field. */
const WALK_MODRMS = [0, 1, 2, 3, 4, 5, 6, 7].flatMap((reg) => [(reg << 3) | 3, 0xc1 | (reg << 3)]);

describe('CPU: #UD against the host CPU (one-byte and 0F maps, user mode)', function () {
  this.timeout(120_000);
  it('every encoding that raises SIGILL natively raises #UD in vmexit, and no other (with and without LOCK)', function () {
    const exe = buildRunner();
    const feature = new Map<number, string>();
    for (const e of INVALID_ENCODINGS) if (e.feature && e.form === 'always' && e.regs === 0xff) feature.set(e.index, e.feature);
    const unimplemented = new Set(UNIMPLEMENTED_ENCODINGS.map((e) => e.index));
    const cases: number[][] = [];
    for (let index = 0; index < 0x200; index++) {
      if (HOST_SKIP.has(index) || index === 0x0f || PREFIX_OPCODES.includes(index)) continue;
      if (feature.has(index) || unimplemented.has(index) || hex(opBytes(index)) in HOST_DIFFERENCES) continue;
      for (const modrm of WALK_MODRMS) {
        if (hex([...opBytes(index), modrm]) in HOST_DIFFERENCES) continue;
        // C4/C5 with a register operand are the VEX prefixes on a host with AVX (vmexit has none: #UD).
        if ((index === 0xc4 || index === 0xc5) && modrm >= 0xc0) continue;
        cases.push([...opBytes(index), modrm, 0, 0, 0, 0, 0, 0]);
        // With LOCK: legal only on the read-modify-write instructions with a memory destination.
        if (!(hex([0xf0, ...opBytes(index)]) in HOST_DIFFERENCES) && !(hex([0xf0, ...opBytes(index), modrm]) in HOST_DIFFERENCES)) {
          cases.push([0xf0, ...opBytes(index), modrm, 0, 0, 0, 0, 0, 0]);
        }
      }
    }
    const input = Buffer.alloc(cases.length * IN_SIZE);
    cases.forEach((code, k) => {
      const at = k * IN_SIZE;
      code.forEach((b, i) => { input[at + i] = b; });
      input[at + 15] = code.length;
      const regs = [1, 1, 0, DATA_ADDR + 16, 0, DATA_ADDR + 16, DATA_ADDR + 16, DATA_ADDR + 16];
      regs.forEach((v, i) => input.writeUInt32LE(v >>> 0, at + 16 + i * 4));
      input.writeUInt32LE(0x202, at + 48);
    });
    const out = runNative(exe, input);
    const problems: string[] = [];
    let hostIll = 0;
    cases.forEach((code, k) => {
      const sig = out.readUInt32LE(k * OUT_SIZE + 36) & 0xff;
      const hostUd = sig === 4;
      if (hostUd) hostIll++;
      const o = runOne(code, 'pm32-cpl3', () => {
        cpu.setRegs({ ...cpu.getRegs(), eax: 1, ecx: 1, ebx: 0x200, ebp: 0x200, esi: 0x200, edi: 0x200, eflags: 0x202 });
        cpu.loadSegmentCache(CS, 0x1b, CODE, 0xffffffff, ATTR_REAL_CODE | ATTR_DB | (3 << ATTR_DPL_SHIFT));
      });
      if (hostUd !== isUd(o) || o.kind === 'internal') {
        const head = code[0] === 0xf0 ? 1 : 0;
        problems.push(`${hex(code.slice(0, head + (code[head] === 0x0f ? 3 : 2)))}: host ${sig === 0 ? 'ran' : `signal ${sig}`}, vmexit ${describe_(o)}`);
      }
    });
    console.log(
      `    ${cases.length} encodings walked, ${hostIll} SIGILL on the host; left out as features CPUID does not report: ` +
        `${feature.size} opcodes; as valid but not implemented: ${[...unimplemented].map((i) => encodingName(i)).join(', ') || 'none'}`,
    );
    assert.ok(hostIll > 20, `only ${hostIll} SIGILLs on the host: is the walk running?`);
    assert.deepEqual(problems, []);
  });
});
