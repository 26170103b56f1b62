// The DAP fuzzer in the suite: a fixed seed, a few thousand random and
// hostile requests to the real adapter (dist/debugAdapter.js), in sessions
// over four guests. Fails on any request unanswered within the bound,
// answered with raw JavaScript error text or vmexit's internal-error line,
// on an adapter process that dies, and on one that stops serving (the
// sanity check after each session). The report names the seed and each
// failure's reproducer; `npm run fuzz -- --target dap` runs longer ones.

import { strict as assert } from 'node:assert';
import { report, runDapFuzz } from './dapFuzzer';

describe('DAP fuzzer (issue 8): random and hostile requests to the debug adapter', function () {
  this.timeout(600_000);

  it('answers 3000 requests of seed 8 cleanly and keeps serving', async () => {
    const result = await runDapFuzz({ seed: 8, requests: 3000, perSession: 500, stopAtFirst: true });
    const text = report(result);
    assert.equal(result.failures.length, 0, text);
    assert.ok(result.requests >= 3000, text);
    // The run reached the guests' state, not only the argument checks.
    assert.ok(result.succeeded > result.requests / 4, text);
  });
});
