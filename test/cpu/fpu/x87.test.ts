// Conformance of the x87 against the host FPU (the oracle in ./oracle.c).
//
// For each instruction form (./forms.ts) the test draws cases — operands of
// every class, every rounding and precision control, masked and unmasked
// exceptions, empty and full stacks — runs them natively and in a bare Cpu,
// and compares the control, status and tag words, the eight registers bit
// for bit, the last instruction/data pointers and opcode, EAX, the flags
// FCOMI sets and the data window (./harness.ts). A form the core does not
// implement, or any mismatch, fails its group.
//
//   FPU_SEED=<n>     another draw (default 1)
//   FPU_CASES=<n>    cases per form (default 2000)
//   FPU_SHOW=<n>     mismatches printed per form (default 4)
//   FPU_FILTER=<re>  only forms whose name matches
//   FPU_TABLE=all    print every form's count

import { strict as assert } from 'node:assert';
import { FORMS, GROUPS } from './forms';
import { Rng, check } from './harness';

const SEED = Number(process.env.FPU_SEED ?? 1);
const CASES = Number(process.env.FPU_CASES ?? 2000);
const SHOW = Number(process.env.FPU_SHOW ?? 4);
const FILTER = process.env.FPU_FILTER ? new RegExp(process.env.FPU_FILTER) : null;
const TABLE_ALL = process.env.FPU_TABLE === 'all';

describe('x87 against the host FPU', function () {
  this.timeout(0);
  for (const group of GROUPS) {
    const forms = FORMS.filter((f) => f.group === group && (!FILTER || FILTER.test(f.name)));
    if (forms.length === 0) continue;
    it(`${group} (${forms.length} forms x ${CASES} cases, seed ${SEED})`, () => {
      const problems: string[] = [];
      forms.forEach((f, n) => {
        const r = new Rng(SEED * 7919 + n * 104729 + group.length);
        const cases = Array.from({ length: CASES }, () => f.make(r));
        const report = check(cases, f.compare, SHOW);
        const unstable = report.hostUnstable > 0 ? ` (${report.hostUnstable} host runs differed or lost the pointers and were repeated)` : '';
        const line = `${f.name}: ${report.cases} cases, ${report.mismatches} mismatches, ${report.unimplemented} not implemented${unstable}`;
        if (report.mismatches > 0 || report.unimplemented > 0) problems.push([line, ...report.examples].join('\n    '));
        else if (TABLE_ALL || unstable) console.log(`    ${line}`);
      });
      assert.equal(problems.length, 0, `\n  ${problems.join('\n  ')}`);
    });
  }
});
