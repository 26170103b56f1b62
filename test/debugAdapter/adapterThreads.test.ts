// The debug adapter with two vCPUs: one thread per vCPU with its state in
// the name, a breakpoint in AP code stopping with the AP's thread id (all
// threads stopped), registers and evaluation per thread through frame ids
// that carry the vCPU, and stepping one thread while the other stays put.

import { strict as assert } from 'node:assert';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { adapterHooks, assemble, errorOf, Guest, launchWith, waitStop } from './dapHarness';

async function threadNames(dc: DebugClient): Promise<[number, string][]> {
  return (await dc.threadsRequest()).body.threads.map((t) => [t.id, t.name]);
}

async function topFrame(dc: DebugClient, threadId: number): Promise<number> {
  return (await dc.stackTraceRequest({ threadId })).body.stackFrames[0].id;
}

async function evaluateOn(dc: DebugClient, frameId: number, expression: string): Promise<string> {
  return (await dc.evaluateRequest({ expression, frameId, context: 'repl' })).body.result;
}

describe('debug adapter: vCPUs as threads', function () {
  this.timeout(30000);
  let dc: DebugClient;
  let g: Guest;
  adapterHooks({ guests: (dir) => (g = assemble(dir, 'smp2')), client: (c) => (dc = c), current: () => dc });

  it('lists one thread per vCPU with its state, before and after the Start-up IPI', async () => {
    const first = await launchWith(dc, { image: g.bin, symbols: [g.lst], cpus: 2, stopOnEntry: 'bootsector' });
    assert.equal(first.body.threadId, 1);
    assert.equal(first.body.allThreadsStopped, true);
    assert.deepEqual(await threadNames(dc), [[1, 'vCPU 0 (stopped)'], [2, 'vCPU 1 (waiting for SIPI)']]);
    // Stop on the BSP right after it sent the SIPI: the AP is started but has not run yet.
    await dc.setBreakpointsRequest({ source: { path: g.asm }, breakpoints: [{ line: g.line('bsp_wait') }] });
    const atWait = await waitStop(dc, dc.continueRequest({ threadId: 1 }));
    assert.equal(atWait.body.threadId, 1);
    assert.deepEqual(await threadNames(dc), [[1, 'vCPU 0 (stopped)'], [2, 'vCPU 1 (stopped)']]);
    // The AP's first instruction is at 0800:0000.
    const apFrame = await topFrame(dc, 2);
    assert.equal(await evaluateOn(dc, apFrame, 'cs'), '0x0800 (2048)');
    assert.equal(await evaluateOn(dc, apFrame, 'eip'), '0x00000000 (0)');
    // Both halt in the end: the BSP after the AP counted itself in.
    await dc.setBreakpointsRequest({ source: { path: g.asm }, breakpoints: [] });
    const halted = await waitStop(dc, dc.continueRequest({ threadId: 1 }));
    assert.equal(halted.body.reason, 'halted');
    assert.deepEqual(await threadNames(dc), [[1, 'vCPU 0 (halted)'], [2, 'vCPU 1 (halted)']]);
  });

  it('stops at a breakpoint in AP code on the AP\'s thread; each thread has its own registers and frames', async () => {
    await launchWith(dc, { image: g.bin, symbols: [g.lst], cpus: 2, stopOnEntry: 'bootsector' });
    await dc.setBreakpointsRequest({ source: { path: g.asm }, breakpoints: [{ line: g.line('ap_spot') }] });
    const hit = await waitStop(dc, dc.continueRequest({ threadId: 1 }));
    assert.equal(hit.body.reason, 'breakpoint');
    assert.equal(hit.body.threadId, 2, 'the AP hit it');
    assert.equal(hit.body.allThreadsStopped, true);
    const ap = (await dc.stackTraceRequest({ threadId: 2 })).body.stackFrames[0];
    const bsp = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames[0];
    assert.equal(ap.line, g.line('ap_spot'));
    assert.notEqual(ap.id, bsp.id, 'frame ids differ per vCPU');
    assert.equal(await evaluateOn(dc, ap.id, 'ax'), '0x1234 (4660)');
    assert.match(await evaluateOn(dc, ap.id, 'cr0 & 1'), /\(0\)$/, 'the AP is in real mode');
    assert.match(await evaluateOn(dc, bsp.id, 'cr0 & 1'), /\(1\)$/, 'the BSP is in protected mode');
    // The Registers scope of each frame shows that vCPU's registers.
    const eaxOf = async (frameId: number): Promise<string | undefined> => {
      const scopes = (await dc.scopesRequest({ frameId })).body.scopes;
      const vars = (await dc.variablesRequest({ variablesReference: scopes[0].variablesReference })).body.variables;
      return vars.find((v) => v.name === 'eax' || v.name === 'ax')?.value;
    };
    assert.equal(await eaxOf(ap.id), '0x1234');
    assert.notEqual(await eaxOf(bsp.id), await eaxOf(ap.id));
    assert.match(await errorOf(dc.stackTraceRequest({ threadId: 3 })), /no vCPU 2/);
    // The machine view for the extension has both vCPUs.
    const machine = (await dc.customRequest('vmexit.machine')).body as { vcpus: { name: string; location: string }[] };
    assert.deepEqual(machine.vcpus.map((v) => v.name), ['vCPU 0', 'vCPU 1']);
    assert.match(machine.vcpus[1].location, /^0000:/);
    assert.notEqual(machine.vcpus[0].location, machine.vcpus[1].location);
  });

  it('steps the requested thread only; the other vCPU stays where it was', async () => {
    await launchWith(dc, { image: g.bin, symbols: [g.lst], cpus: 2, stopOnEntry: 'bootsector' });
    await dc.setBreakpointsRequest({ source: { path: g.asm }, breakpoints: [{ line: g.line('ap_spot') }] });
    await waitStop(dc, dc.continueRequest({ threadId: 1 }));
    const bspBefore = await evaluateOn(dc, await topFrame(dc, 1), 'eip');
    const stepped = await waitStop(dc, dc.nextRequest({ threadId: 2, granularity: 'instruction' }));
    assert.equal(stepped.body.threadId, 2);
    assert.equal(stepped.body.allThreadsStopped, true);
    const ap = (await dc.stackTraceRequest({ threadId: 2 })).body.stackFrames[0];
    assert.equal(ap.line, g.line('ap_spot') + 1, 'the AP moved one instruction');
    assert.equal(await evaluateOn(dc, ap.id, 'word [ap_counter]'), '0x0001 (1)');
    assert.equal(await evaluateOn(dc, await topFrame(dc, 1), 'eip'), bspBefore, 'the BSP did not run');
    // A step on the BSP moves the BSP, not the AP.
    const onBsp = await waitStop(dc, dc.stepInRequest({ threadId: 1, granularity: 'instruction' }));
    assert.equal(onBsp.body.threadId, 1);
    assert.equal((await dc.stackTraceRequest({ threadId: 2 })).body.stackFrames[0].line, g.line('ap_spot') + 1);
  });
});
