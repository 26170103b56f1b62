// The debug adapter on the special guests (big real mode, a fault, a triple
// fault, self-modifying code) and the breakpoint kinds: conditions, hit
// counts, logpoints, function and instruction breakpoints, exception filters,
// data breakpoints, restart. Setup shared through dapHarness.ts.

import { strict as assert } from 'node:assert';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { adapterHooks, assemble, Guest, launchWith, waitStop } from './dapHarness';

let work = '';

async function evaluate(dc: DebugClient, expression: string): Promise<string> {
  return (await dc.evaluateRequest({ expression, context: 'repl' })).body.result;
}

async function top(dc: DebugClient): Promise<DebugProtocol.StackFrame> {
  return (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames[0];
}

describe('debug adapter: guests and breakpoint kinds', function () {
  this.timeout(30000);
  let dc: DebugClient;
  let boot: Guest;

  adapterHooks({
    guests: (dir) => {
      work = dir;
      boot = assemble(dir, 'boot');
    },
    client: (c) => (dc = c),
    current: () => dc,
  });

  it('shows big real mode: DS selector 0 with a 4 GiB hidden limit, and stops on mode changes', async () => {
    const g = assemble(work, 'bigreal');
    const first = await launchWith(dc, { image: g.bin, symbols: [g.lst] }, () =>
      dc.setExceptionBreakpointsRequest({ filters: ['mode-change'] }),
    );
    assert.match(first.body.description ?? '', /real mode → 16-bit protected mode/);
    const back = await waitStop(dc, dc.continueRequest({ threadId: 1 }));
    assert.match(back.body.description ?? '', /protected mode → big real mode/);
    await dc.setExceptionBreakpointsRequest({ filters: [] });
    await dc.setBreakpointsRequest({ source: { path: g.asm }, breakpoints: [{ line: g.line('in_big_real') }] });
    await waitStop(dc, dc.continueRequest({ threadId: 1 }));
    const scopes = await dc.scopesRequest({ frameId: 0 });
    const segs = (await dc.variablesRequest({ variablesReference: scopes.body.scopes[1].variablesReference })).body.variables;
    const ds = segs.find((s) => s.name === 'ds');
    assert.ok(ds);
    assert.match(ds.value, /^0x0000 .*limit 0xFFFFFFFF/);
    const system = (await dc.variablesRequest({ variablesReference: scopes.body.scopes[2].variablesReference })).body.variables;
    assert.equal(system.find((s) => s.name === 'Mode')?.value, 'big real mode');
    assert.match(await evaluate(dc, 'dword [phys:0x100000]'), /^0xCAFEBABE/);
  });

  it('stops on #UD with the exception filter; continuing delivers it to the guest handler', async () => {
    const g = assemble(work, 'fault');
    const stop = await launchWith(dc, { image: g.bin, symbols: [g.lst] }, () => dc.setExceptionBreakpointsRequest({ filters: ['exception-6'] }));
    assert.equal(stop.body.reason, 'exception');
    assert.match(stop.body.description ?? '', /#UD invalid opcode/);
    assert.equal((await top(dc)).line, g.line('faulting'));
    const [, exited] = await Promise.all([dc.continueRequest({ threadId: 1 }), dc.waitForEvent('exited', 10000)]);
    assert.equal((exited as DebugProtocol.ExitedEvent).body.exitCode, 5);
  });

  it('stops on a triple fault with the state before the fatal instruction', async () => {
    const g = assemble(work, 'triple');
    const stop = await launchWith(dc, { image: g.bin, symbols: [g.lst] });
    assert.equal(stop.body.reason, 'exception');
    assert.match(stop.body.description ?? '', /Triple fault/);
    assert.equal((await top(dc)).line, g.line('fatal'));
    await assert.rejects(dc.continueRequest({ threadId: 1 }), /shut down/);
  });

  it('disassembles self-modified code as it is now', async () => {
    const g = assemble(work, 'selfmod');
    await launchWith(dc, { image: g.bin, symbols: [g.lst] }, () =>
      dc.setBreakpointsRequest({ source: { path: g.asm }, breakpoints: [{ line: g.line('patched') }] }),
    );
    const pc = (await top(dc)).instructionPointerReference ?? '';
    const dis = await dc.disassembleRequest({ memoryReference: pc, instructionCount: 2 });
    assert.match(dis.body?.instructions[0].instruction ?? '', /^mov al, ?7$/);
    const [, exited] = await Promise.all([dc.continueRequest({ threadId: 1 }), dc.waitForEvent('exited', 10000)]);
    assert.equal((exited as DebugProtocol.ExitedEvent).body.exitCode, 15);
  });

  it('honours conditions, hit counts and logpoints', async () => {
    const output: string[] = [];
    dc.on('output', (e: DebugProtocol.OutputEvent) => output.push(e.body.output));
    const line = boot.line('spin');
    // The loop body runs with CX = 3, 2, 1. Condition "cx - 3" is false on the first pass: auto-continue.
    const hit = await launchWith(dc, { image: boot.bin, symbols: [boot.lst] }, () =>
      dc.setBreakpointsRequest({
        source: { path: boot.asm },
        breakpoints: [{ line: boot.line('printed'), logMessage: 'si is {si}' }, { line, condition: 'cx - 3' }],
      }),
    );
    assert.equal(hit.body.reason, 'breakpoint');
    assert.match(await evaluate(dc, 'cx'), /^0x0002 /, 'second pass of the loop');
    assert.ok(output.some((o) => /si is 0x7C/.test(o)), `logpoint output in ${JSON.stringify(output)}`);
    // Hit count: the third hit of a fresh breakpoint (CX = 1 on the last pass; this one is already past the second).
    await dc.setBreakpointsRequest({ source: { path: boot.asm }, breakpoints: [{ line, hitCondition: '1' }] });
    await waitStop(dc, dc.continueRequest({ threadId: 1 }));
    assert.match(await evaluate(dc, 'cx'), /^0x0001 /);
  });

  it('sets function breakpoints on symbols and instruction breakpoints on seg:off (one place, two names)', async () => {
    const fn = await launchWith(dc, { image: boot.bin, symbols: [boot.lst] }, async () => {
      const r = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'add_them' }, { name: 'no_such_symbol' }] });
      assert.equal(r.body.breakpoints[0].verified, true);
      assert.equal(r.body.breakpoints[1].verified, false);
    });
    assert.equal((await top(dc)).line, boot.line('add_them'));
    assert.deepEqual(fn.body.hitBreakpointIds?.length, 1);
    await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
    const ins = await dc.customRequest('setInstructionBreakpoints', { breakpoints: [{ instructionReference: '07C0:0018' }] });
    assert.equal((ins.body as DebugProtocol.SetInstructionBreakpointsResponse['body']).breakpoints[0].instructionReference, '0x00007C18');
    const stop = await waitStop(dc, dc.continueRequest({ threadId: 1 }));
    assert.equal(stop.body.reason, 'breakpoint');
    assert.equal((await top(dc)).line, boot.line('after_int'));
  });

  it('stops on INT 10h with the software-interrupt filter and on a data breakpoint write', async () => {
    const stop = await launchWith(dc, { image: boot.bin, symbols: [boot.lst] }, () =>
      dc.setExceptionBreakpointsRequest({ filters: ['magic'], filterOptions: [{ filterId: 'software-interrupt', condition: '10h' }] }),
    );
    assert.match(stop.body.description ?? '', /INT 10h/);
    await dc.setExceptionBreakpointsRequest({ filters: [] });
    // INT 10h pushes FLAGS at 0000:7BFE (the stack starts at 7C00).
    const info = await dc.dataBreakpointInfoRequest({ name: 'word [ss:0x7bfe]' });
    assert.ok(info.body.dataId);
    await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId, accessType: 'write' }] });
    const data = await waitStop(dc, dc.continueRequest({ threadId: 1 }));
    assert.equal(data.body.reason, 'data breakpoint');
    assert.match(data.body.text ?? '', /by the instruction at 0000:7C16/);
    await dc.setDataBreakpointsRequest({ breakpoints: [] });
    await dc.customRequest('setExpression', { expression: 'word [0x600]', value: '0x1111' });
    assert.match(await evaluate(dc, 'word [0x600]'), /^0x1111 /);
  });

  it('restarts cold with breakpoints kept', async () => {
    await launchWith(dc, { image: boot.bin, symbols: [boot.lst] }, () =>
      dc.setBreakpointsRequest({ source: { path: boot.asm }, breakpoints: [{ line: boot.line('after_call') }] }),
    );
    assert.match(await evaluate(dc, 'ax'), /^0x1239 /);
    await dc.setVariableRequest({ variablesReference: (await dc.scopesRequest({ frameId: 0 })).body.scopes[0].variablesReference, name: 'ax', value: '0' });
    const again = await waitStop(dc, dc.restartRequest({}));
    assert.equal(again.body.reason, 'breakpoint');
    assert.match(await evaluate(dc, 'ax'), /^0x1239 /);
  });

  it('terminates while running', async () => {
    const spin = assemble(work, 'spin');
    await Promise.all([dc.configurationSequence(), dc.launch({ image: spin.bin })]);
    await Promise.all([dc.terminateRequest({}), dc.waitForEvent('terminated', 5000)]);
  });
});
