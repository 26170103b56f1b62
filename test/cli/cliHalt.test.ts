// `vmexit run` and guests that halt with interrupts enabled (issue 8,
// defect 1): a guest nothing can wake (every 8259 line masked, then STI;
// HLT) ends with status 4 and one line saying why, with one vCPU and two; a
// guest stuck in HLT that no mask explains (an IRQ0 handler without EOI)
// runs on, and --timeout ends it on time; an idle guest waiting for its
// timer still wakes as before.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { assemble } from '../guests/harness';
import { assertOneLineError, ensureCliBuilt, runCli, show } from './cliHarness';

describe('CLI: a halted guest', function () {
  this.timeout(120_000);

  let tmp: string;

  before(function () {
    this.timeout(300_000);
    ensureCliBuilt();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vmexit-halt-'));
  });

  after(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  for (const cpus of ['1', '2']) {
    it(`every interrupt line masked, then STI; HLT: status 4 naming the masks (--cpus ${cpus})`, async () => {
      const r = await runCli(['run', '--cpus', cpus, assemble('masked')], { timeoutMs: 30_000 });
      assert.equal(r.status, 4, show(r));
      assert.ok(r.stdout.includes('MARK masking the interrupt lines'), show(r));
      assertOneLineError(r, /^vmexit: the guest halted at 0000:7E[0-9A-F]{2} and nothing can wake it: every 8259 interrupt line is masked \(IMR FFh\/FFh\); every IOAPIC redirection entry is masked; no local APIC timer is armed/);
      if (cpus === '2') assert.match(r.stderr, /vCPU 1 waits for a Start-up IPI nobody can send/);
    });

    it(`a guest asleep behind a missing EOI: --timeout 1 ends it on time with status 124 (--cpus ${cpus})`, async () => {
      const r = await runCli(['run', '--cpus', cpus, '--timeout', '1', assemble('masked', { NO_EOI: true })], { timeoutMs: 30_000 });
      assert.equal(r.status, 124, show(r));
      assert.ok(r.stdout.includes('MARK IRQ0 without an EOI'), show(r));
      assertOneLineError(r, /timeout after 1 s/);
    });
  }

  it('--trace: a guest nothing can wake is status 4 too; one that waits for its timer logs instructions, not the sleep', async () => {
    const dead = await runCli(['run', '--trace', path.join(tmp, 'masked.trace'), assemble('masked')], { timeoutMs: 30_000 });
    assert.equal(dead.status, 4, show(dead));
    const waits = await runCli(['run', '--trace', path.join(tmp, 'wait.trace'), assemble('wait')], { timeoutMs: 60_000 });
    assert.equal(waits.status, 1, show(waits));
    // One second of guest time asleep in HLT: a line per instruction, not one per 10 ns slept.
    const lines = fs.readFileSync(path.join(tmp, 'wait.trace'), 'utf8').split('\n').length;
    assert.ok(lines < 100_000, `${lines} trace lines`);
  });

  it('an idle guest waiting for its timer (IRQ0 open) still wakes: status 1', async () => {
    const r = await runCli(['run', assemble('masked', { OPEN_IRQ0: true })]);
    assert.equal(r.status, 1, show(r));
    assert.ok(r.stdout.includes('PASS woke up 18 times'), show(r));
  });
});
