// The instruction fuzzer in the suite: a short fixed-seed run over every
// mode (real, 16- and 32-bit protected, paging) that fails on any crash or
// hang, and checks of the harness itself (it must see what it looks for).
// The long run is `npm run fuzz -- --instructions 20000000` (README).

import { strict as assert } from 'node:assert';
import { formatCrash, formatReport, fuzzCpu } from './cpuFuzz';
import { checkStateValid, opcodeKey } from './cpuStream';
import { FUZZ_MODES } from './machine';

/** Instructions per mode of the suite's run (about 5 s per 2,000,000 on an unloaded core; 5 modes). */
const PER_MODE = 2_000_000;

const REGS = { eax: 0, ecx: 0, edx: 0, ebx: 0, esp: 0, ebp: 0, esi: 0, edi: 0, eip: 0, eflags: 2 };
const SEG = { selector: 0, base: 0, limit: 0xffff, attributes: 0x93 };
const SREGS = {
  es: SEG, cs: SEG, ss: SEG, ds: SEG, fs: SEG, gs: SEG, ldtr: SEG, tr: SEG, gdtr: { base: 0, limit: 0 }, idtr: { base: 0, limit: 0x3ff },
  cr0: 0, cr2: 0, cr3: 0, cr4: 0, efer: 0, apicBase: 0xfee00900,
};

describe('CPU fuzzer (test/fuzz)', function () {
  this.timeout(300_000);

  it(`runs ${PER_MODE} random instructions per mode (seed 1) without a crash or a hang`, async function () {
    const reports = await fuzzCpu({ modes: FUZZ_MODES, seed: 1, instructions: PER_MODE, streamInstructions: 100_000, hangMs: 20_000 });
    console.log(formatReport(reports).replace(/^/gm, '      '));
    for (const r of reports) {
      assert.ok(r.instructions >= PER_MODE * 0.99, `${r.mode}: only ${r.instructions} instructions ran`);
      assert.ok(r.snapshots > 0, `${r.mode}: no snapshot round trip`);
      assert.ok(r.vectors.reduce((a, n) => a + n, 0) > 100, `${r.mode}: the stubs saw almost no faults`);
    }
    assert.deepEqual(reports.flatMap((r) => r.crashes.map(formatCrash)), []);
  });

  it('sees an invalid register or segment value', function () {
    assert.doesNotThrow(() => checkStateValid(REGS, SREGS));
    assert.throws(() => checkStateValid({ ...REGS, eax: NaN }, SREGS), /eax is NaN/);
    assert.throws(() => checkStateValid({ ...REGS, esi: -1 }, SREGS), /esi is -1/);
    assert.throws(() => checkStateValid(REGS, { ...SREGS, fs: { ...SEG, limit: -1 } }), /fs.limit is -1/);
    assert.throws(() => checkStateValid(REGS, { ...SREGS, ds: { ...SEG, selector: undefined as unknown as number } }), /ds.selector is undefined/);
    assert.throws(() => checkStateValid(REGS, { ...SREGS, idtr: { base: 0, limit: 0x10000 } }), /idtr.limit/);
  });

  it('reports a run that never returns as a hang, with the state before it', async function () {
    const [r] = await fuzzCpu({ modes: ['pm32'], seed: 3, instructions: 20_000, streamInstructions: 20_000, hangMs: 1500, hangAtRun: 3 });
    assert.equal(r.crashes.length, 1);
    const [c] = r.crashes;
    assert.equal(c.kind, 'hang');
    assert.ok(c.reproducer, 'the shrinker kept the state before the hang');
    assert.match(formatCrash(c), /npm run fuzz -- --mode pm32 --seed 3 --stream 0/);
  });

  it('names internal errors by opcode', function () {
    assert.equal(opcodeKey([0x66, 0xf3, 0x0f, 0x33, 0xc0]), '0F 33');
    assert.equal(opcodeKey([0xf7, 0xe0]), 'F7 /4');
    assert.equal(opcodeKey([0x0f, 0x01, 0xd8]), '0F 01 /3');
  });
});
