// Stack traces across far calls and interrupt handlers, and stepping into a
// BIOS service through INT n and out of it again, over stdio as VS Code runs
// the adapter (guest: guests/frames.asm).

import { strict as assert } from 'node:assert';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { adapterHooks, assemble, frames, Guest, launchWith, startClient, waitStop } from './dapHarness';

describe('debug adapter: far and interrupt frames, stepping through INT n', function () {
  this.timeout(30000);
  let dc: DebugClient;
  let g: Guest;
  let mixed: Guest;
  adapterHooks({
    guests: (dir) => {
      g = assemble(dir, 'frames');
      mixed = assemble(dir, 'mixed');
    },
    client: (c) => (dc = c),
    current: () => dc,
  });

  it('shows the caller of a far procedure called by CALL ptr16:16 (9A) and by CALL FAR [mem] (FF /3)', async () => {
    await launchWith(dc, { image: g.bin, symbols: [g.lst] }, () =>
      dc.setBreakpointsRequest({ source: { path: g.asm }, breakpoints: [{ line: g.line('in_near') }] }),
    );
    for (const caller of ['after_far1', 'after_far2']) {
      const st = await frames(dc);
      assert.deepEqual(
        st.map((f) => f.line),
        [g.line('in_near'), g.callBefore('after_near'), g.callBefore(caller)],
        st.map((f) => f.name).join(' | '),
      );
      assert.match(st[0].name, /^in_near 07C0:/);
      assert.match(st[1].name, /^far_proc\+0x[0-9a-f]+ 07C0:/, 'named by the code of the call');
      assert.doesNotMatch(st[1].name, / via /, 'a near call');
      // Named by the label above the call (the first call follows `start`, the second `after_far1`).
      const above = caller === 'after_far1' ? 'start' : 'after_far1';
      assert.match(st[2].name, new RegExp(`^${above}\\+0x[0-9a-f]+ 0000:7C[0-9A-F]{2} .* via far call$`));
      assert.equal(st[2].source?.path, g.asm);
      if (caller === 'after_far1') await waitStop(dc, dc.continueRequest({ threadId: 1 }));
    }
  });

  it('shows a 16-bit caller of a 32-bit code segment (a far call across code sizes, in protected mode)', async () => {
    await launchWith(dc, { image: mixed.bin, symbols: [mixed.lst] }, () =>
      dc.setBreakpointsRequest({ source: { path: mixed.asm }, breakpoints: [{ line: mixed.line('in_far32') }] }),
    );
    const st = await frames(dc);
    assert.deepEqual(st.map((f) => f.line), [mixed.line('in_far32'), mixed.callBefore('after_far32')], st.map((f) => f.name).join(' | '));
    assert.match(st[0].name, /^in_far32 0008:0000[0-9A-F]{4}/, '32-bit: an 8-digit offset');
    assert.match(st[1].name, /^pm16\+0x[0-9a-f]+ 0018:[0-9A-F]{4} .* via far call$/, '16-bit: a 4-digit offset');
  });

  it('shows the code an INT n handler interrupted, through the handler\'s frame pointer', async () => {
    await launchWith(dc, { image: g.bin, symbols: [g.lst] }, () =>
      dc.setBreakpointsRequest({ source: { path: g.asm }, breakpoints: [{ line: g.line('in_int60') }] }),
    );
    const st = await frames(dc);
    assert.deepEqual(st.map((f) => f.line), [g.line('in_int60'), g.callBefore('after_int60')], st.map((f) => f.name).join(' | '));
    assert.match(st[1].name, /^after_leaf_outer\+0x2 0000:.* via INT 60h$/, 'named by the INT instruction');
  });

  it('shows callers of routines without a frame pointer from return addresses the symbols explain', async () => {
    await launchWith(dc, { image: g.bin, symbols: [g.lst] }, () =>
      dc.setBreakpointsRequest({ source: { path: g.asm }, breakpoints: [{ line: g.line('in_leaf') }] }),
    );
    const st = await frames(dc);
    assert.deepEqual(st.map((f) => f.line), [g.line('in_leaf'), g.callBefore('after_leaf_inner'), g.callBefore('after_leaf_outer')], st.map((f) => f.name).join(' | '));
    assert.match(st[1].name, /^leaf_outer\+0x6 0000:/);
    // Without symbols nothing explains the words on the stack: no frames are invented.
    const at = st[0].instructionPointerReference ?? '';
    await dc.stop();
    dc = await startClient();
    await launchWith(dc, { image: g.bin }, () => dc.customRequest('setInstructionBreakpoints', { breakpoints: [{ instructionReference: at }] }));
    const bare = await frames(dc);
    assert.equal(bare[0].instructionPointerReference, at);
    assert.equal(bare.length, 1, bare.map((f) => f.name).join(' | '));
  });

  it('shows no invented callers where the stack proves none', async () => {
    await launchWith(dc, { image: g.bin, symbols: [g.lst] }, () =>
      dc.setBreakpointsRequest({ source: { path: g.asm }, breakpoints: [{ line: g.line('after_far1') }, { line: g.line('after_int10') }] }),
    );
    assert.equal((await frames(dc)).length, 1, 'back from the far call: BP is 0');
    await waitStop(dc, dc.continueRequest({ threadId: 1 }));
    assert.equal((await frames(dc)).length, 1, 'back from INT 10h');
  });

  it('steps into INT 10h (the BIOS handler, as disassembly) and out of it to the instruction after the INT', async () => {
    const intLine = g.line('after_int10') - 2; // the `int 0x10` line, above the label's own line
    await launchWith(dc, { image: g.bin, symbols: [g.lst] }, () =>
      dc.setBreakpointsRequest({ source: { path: g.asm }, breakpoints: [{ line: intLine }] }),
    );
    const before = (await frames(dc))[0];
    assert.equal(before.line, intLine);
    const vector = (await dc.customRequest('readMemory', { memoryReference: '0x40', count: 4 })) as DebugProtocol.ReadMemoryResponse;
    const ivt = Buffer.from(vector.body?.data ?? '', 'base64');
    const handler = ivt.readUInt16LE(2) * 16 + ivt.readUInt16LE(0);

    const into = await waitStop(dc, dc.stepInRequest({ threadId: 1 }));
    assert.equal(into.body.reason, 'step');
    const inside = await frames(dc);
    assert.equal(inside[0].source, undefined, 'the BIOS has no source');
    assert.equal(inside[0].presentationHint, 'subtle');
    assert.equal(Number(inside[0].instructionPointerReference), handler, 'at the handler IVT[10h] names');
    assert.match(inside[0].name, /^F000:/);
    assert.equal(inside[1]?.line, intLine, 'the interrupted code is the caller frame, on its INT');
    assert.match(inside[1].name, /via INT 10h$/);
    const dis = await dc.disassembleRequest({ memoryReference: inside[0].instructionPointerReference ?? '', instructionCount: 3 });
    assert.equal(Number(dis.body?.instructions[0].address), handler);
    assert.notEqual(dis.body?.instructions[0].presentationHint, 'invalid');

    const out = await waitStop(dc, dc.stepOutRequest({ threadId: 1 }));
    assert.equal(out.body.reason, 'step');
    const back = await frames(dc);
    assert.equal(back[0].line, g.line('after_int10'));
    assert.equal(back[0].source?.path, g.asm);
    assert.equal(back.length, 1);
  });
});
