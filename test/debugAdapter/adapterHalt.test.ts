// The debugger and a guest that halts for good with interrupts enabled
// (issue 8, defect 1): every 8259 line masked, then STI; HLT. The adapter
// stops with a reason that says nothing can wake the guest, and keeps
// answering. A guest stuck in HLT that no mask explains (an IRQ0 handler
// without EOI) runs on, and threads and pause are answered while it does.

import { strict as assert } from 'node:assert';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { adapterHooks, assemble, Guest, launchWith, waitStop } from './dapHarness';

describe('debug adapter: a guest nothing can wake', function () {
  this.timeout(30000);
  let dc: DebugClient;
  let masked: Guest;
  let noEoi: Guest;
  adapterHooks({
    guests: (dir) => {
      masked = assemble(dir, 'masked');
      noEoi = assemble(dir, 'noeoi');
    },
    client: (c) => (dc = c),
    current: () => dc,
  });

  for (const cpus of [1, 2]) {
    it(`stops with the reason when every interrupt line is masked (${cpus} vCPU${cpus > 1 ? 's' : ''})`, async () => {
      const stopped = await launchWith(dc, { image: masked.bin, symbols: [masked.lst], cpus });
      assert.equal(stopped.body.reason, 'halted');
      assert.match(stopped.body.description ?? '', /^The guest halted and nothing can wake it: every 8259 interrupt line is masked/);
      assert.match(stopped.body.text ?? '', /HLT at 0000:7C0[0-9A-F] with interrupts enabled/);
      const threads = (await dc.threadsRequest()).body.threads;
      assert.equal(threads.length, cpus);
      const top = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames[0];
      assert.equal(top.line, masked.line('sleep') + 1, 'shown after the HLT (EIP points past it, as on hardware)');
      // Continuing comes straight back with the same reason: it does not hang.
      const again = await waitStop(dc, dc.continueRequest({ threadId: 1 }));
      assert.equal(again.body.reason, 'halted');
    });
  }

  it('answers threads and pause while a guest sleeps in HLT with its interrupt stuck in service', async () => {
    const entry = await launchWith(dc, { image: noEoi.bin, symbols: [noEoi.lst], stopOnEntry: 'bootsector' });
    assert.equal(entry.body.reason, 'entry');
    await dc.continueRequest({ threadId: 1 });
    // Let it reach the HLT and spend guest time there (ticks pile up behind the first).
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (let i = 0; i < 3; i++) {
      const threads = (await dc.threadsRequest()).body.threads;
      assert.equal(threads.length, 1);
    }
    const paused = await waitStop(dc, dc.pauseRequest({ threadId: 1 }));
    assert.equal(paused.body.reason, 'pause');
    const ticks = (await dc.evaluateRequest({ expression: 'word [ticks]', frameId: 0, context: 'repl' })).body.result;
    assert.match(ticks, /^0x0001 /, 'one tick taken, the rest held behind the missing EOI');
  });
});
