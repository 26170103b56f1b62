// Hostile and huge requests to the debug adapter (issue 8, defects 9-11):
// counts beyond vmexit's limits are refused at once with a message naming
// the limit, bad breakpoint positions are unverified with a message naming
// the file, and no request's failure carries raw JavaScript error text.

import { strict as assert } from 'node:assert';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { adapterHooks, assemble, errorOf, evaluate, Guest, launchWith } from './dapHarness';

/** Text of JavaScript's own errors, which must never reach the client. */
const RAW_JS_ERROR = /Cannot read propert|is not a function|is not iterable|Invalid array length|Maximum call stack|undefined|\bat .*\.js:\d+/;

describe('debug adapter: request limits and hostile arguments (issue 8)', function () {
  this.timeout(30000);
  let dc: DebugClient;
  let boot: Guest;
  let spin: Guest;

  adapterHooks({
    guests: (dir) => {
      boot = assemble(dir, 'boot');
      spin = assemble(dir, 'spin');
    },
    client: (c) => (dc = c),
    current: () => dc,
  });

  const launch = (): Promise<unknown> => launchWith(dc, { image: boot.bin, symbols: [boot.lst], stopOnEntry: 'bootsector' });

  it('refuses a disassembly of 10,000,000 instructions at once, naming the limit, and goes on serving (defect 9)', async () => {
    await launch();
    const huge = await errorOf(dc.disassembleRequest({ memoryReference: '0x7c00', instructionCount: 10_000_000 }));
    assert.equal(huge, "disassemble: 'instructionCount' is 10000000; the limit is 10000 instructions per request");
    const back = await errorOf(dc.disassembleRequest({ memoryReference: '0x7c00', instructionOffset: -10_000_000, instructionCount: 50 }));
    assert.equal(back, "disassemble: 'instructionOffset' is -10000000; the limit is 10000 instructions per request either way");
    assert.match(await errorOf(dc.disassembleRequest({ memoryReference: '0x7c00', instructionCount: 2.5 })), /'instructionCount' must be a whole number, not 2\.5/);
    const page = await dc.disassembleRequest({ memoryReference: '0x7c00', instructionOffset: -25, instructionCount: 50 });
    assert.equal(page.body?.instructions.length, 50);
    const most = await dc.disassembleRequest({ memoryReference: '0x7c00', instructionCount: 10_000 });
    assert.equal(most.body?.instructions.length, 10_000);
  });

  it('refuses readMemory and writeMemory beyond 1 MiB and bad counts and offsets, naming the limit (defect 9)', async () => {
    await launch();
    assert.equal(await errorOf(dc.customRequest('readMemory', { memoryReference: '0', count: 1e9 })), "readMemory: 'count' is 1000000000; the limit is 1048576 bytes per request");
    assert.equal(await errorOf(dc.customRequest('readMemory', { memoryReference: '0', count: -1 })), "readMemory: 'count' must be from 0 to 1048576, not -1");
    assert.equal(await errorOf(dc.customRequest('readMemory', { memoryReference: '0' })), "readMemory: 'count' is required");
    assert.equal(await errorOf(dc.customRequest('readMemory', { memoryReference: '0', count: 4, offset: 1e300 })), "readMemory: 'offset' must be from -4294967295 to 4294967295, not 1e+300");
    const all = (await dc.customRequest('readMemory', { memoryReference: '0', count: 1 << 20 })).body as DebugProtocol.ReadMemoryResponse['body'];
    assert.equal(Buffer.from(all?.data ?? '', 'base64').length, 1 << 20);
    const big = Buffer.alloc((1 << 20) + 3).toString('base64');
    assert.match(await errorOf(dc.customRequest('writeMemory', { memoryReference: '0x10000', data: big })), /^writeMemory: 'data' is .*; the limit is/);
    assert.equal(await errorOf(dc.customRequest('writeMemory', { memoryReference: '0x10000', data: 5 })), "writeMemory: 'data' must be a string, not 5");
  });

  it('refuses negative or fractional paging of variables and stack frames; huge levels are answered with what there is', async () => {
    await launch();
    const scopes = await dc.scopesRequest({ frameId: 0 });
    const ref = scopes.body.scopes[0].variablesReference;
    assert.equal(await errorOf(dc.variablesRequest({ variablesReference: ref, start: -3 })), "variables: 'start' must be from 0 to 2147483647, not -3");
    assert.equal(await errorOf(dc.variablesRequest({ variablesReference: ref, count: 1.5 })), "variables: 'count' must be a whole number, not 1.5");
    const paged = await dc.variablesRequest({ variablesReference: ref, start: 1, count: 1e9 });
    assert.ok(paged.body.variables.length > 0);
    assert.equal(await errorOf(dc.stackTraceRequest({ threadId: 1, startFrame: -1 })), "stackTrace: 'startFrame' must be from 0 to 65535, not -1");
    const st = await dc.stackTraceRequest({ threadId: 1, levels: 2 ** 31 - 1 });
    assert.equal(st.body.stackFrames.length, st.body.totalFrames);
    assert.equal(await errorOf(dc.stackTraceRequest({ threadId: 7 })), 'no vCPU 6 (this machine has 1)');
  });

  it('marks breakpoints on lines -5, 1.5, null and 0 unverified with a message naming the file (defect 10)', async () => {
    await launch();
    const lines = [-5, 1.5, null, 0];
    const set = await dc.setBreakpointsRequest({ source: { path: boot.asm }, breakpoints: lines.map((line) => ({ line }) as DebugProtocol.SourceBreakpoint) });
    assert.deepEqual(
      set.body.breakpoints.map((b) => [b.verified, b.message]),
      [
        [false, 'boot.asm: line -5 is not a line number (they count from 1)'],
        [false, 'boot.asm: line 1.5 is not a line number (they count from 1)'],
        [false, 'boot.asm: line null is not a line number (they count from 1)'],
        [false, 'boot.asm: line 0 is not a line number (they count from 1)'],
      ],
    );
    const legacy = await dc.setBreakpointsRequest({ source: { path: boot.asm }, lines: [-1] });
    assert.equal(legacy.body.breakpoints[0].verified, false);
    const column = await dc.setBreakpointsRequest({ source: { path: boot.asm }, breakpoints: [{ line: boot.line('start'), column: -2 }] });
    assert.deepEqual([column.body.breakpoints[0].verified, column.body.breakpoints[0].message], [false, 'boot.asm: column -2 is not a column number (they count from 1)']);
    // A good line still verifies beside the bad ones.
    const mixed = await dc.setBreakpointsRequest({ source: { path: boot.asm }, breakpoints: [{ line: -5 }, { line: boot.line('start') }] });
    assert.deepEqual(mixed.body.breakpoints.map((b) => b.verified), [false, true]);
  });

  it('names the file (or says there is none) when a source cannot be placed (defect 10)', async () => {
    await launch();
    const named = await dc.setBreakpointsRequest({ source: { path: '', name: 'other.asm' }, breakpoints: [{ line: 3 }] });
    assert.equal(named.body.breakpoints[0].message, 'other.asm is not covered by any symbol file (add its NASM listing, map file or ELF to "symbols" in the launch configuration)');
    const none = await dc.setBreakpointsRequest({ source: { path: '' }, breakpoints: [{ line: 3 }] });
    assert.equal(none.body.breakpoints[0].message, 'the breakpoint is in a source without a path or name; save the file, then set the breakpoint again');
    assert.equal(await errorOf(dc.setBreakpointsRequest({ source: null } as unknown as DebugProtocol.SetBreakpointsArguments)), "setBreakpoints: 'source' must be an object, not null");
  });

  it('answers hostile instruction, function, data and exception breakpoints with reasons, not JavaScript errors (defect 10)', async () => {
    await launch();
    const ins = (await dc.customRequest('setInstructionBreakpoints', { breakpoints: [{ instructionReference: '0x7c00', offset: 1.5 }, { instructionReference: '0x7c00', offset: 0 }] }))
      .body as DebugProtocol.SetInstructionBreakpointsResponse['body'];
    assert.deepEqual(ins.breakpoints.map((b) => b.verified), [false, true]);
    assert.equal(ins.breakpoints[0].message, "instruction breakpoint '0x7c00': offset 1.5 is not a whole number from -0xFFFFFFFF to 0xFFFFFFFF");
    assert.equal(await errorOf(dc.customRequest('setInstructionBreakpoints', { breakpoints: [{ instructionReference: 7 }] })), "setInstructionBreakpoints: 'breakpoints[0].instructionReference' must be a string, not 7");
    const fn = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: '' }, { name: 'start' }] });
    assert.deepEqual(fn.body.breakpoints.map((b) => [b.verified, b.message]), [[false, "function breakpoint '': empty expression"], [true, undefined]]);
    const long = await errorOf(dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: '('.repeat(5000) }] }));
    assert.equal(long, "setFunctionBreakpoints: 'breakpoints[0].name' is 5000 characters long; the limit is 4096");
    assert.equal(await errorOf(dc.setFunctionBreakpointsRequest({ breakpoints: 'x' } as unknown as DebugProtocol.SetFunctionBreakpointsArguments)), "setFunctionBreakpoints: 'breakpoints' must be a list, not a string");
    const data = await dc.customRequest('setDataBreakpoints', {
      breakpoints: [{ dataId: 'linear:99999999999999:4' }, { dataId: 'linear:4096:2', accessType: 'sideways' }, { dataId: 'linear:4096:2', accessType: 'write' }],
    });
    const made = (data.body as DebugProtocol.SetDataBreakpointsResponse['body']).breakpoints;
    assert.deepEqual(made.map((b) => b.verified), [false, false, true]);
    assert.equal(made[0].message, "unknown data breakpoint id 'linear:99999999999999:4' (ask dataBreakpointInfo for one)");
    assert.equal(made[1].message, 'access type "sideways" is not read, write or readWrite');
    assert.equal(await errorOf(dc.setExceptionBreakpointsRequest({ filters: [3] } as unknown as DebugProtocol.SetExceptionBreakpointsArguments)), "setExceptionBreakpoints: 'filters[0]' must be a string, not 3");
    assert.equal(await errorOf(dc.setExceptionBreakpointsRequest({ filters: ['nonsense'] })), 'unknown exception filter: nonsense');
  });

  it('answers 400 KB of nested evaluate input with the expression limit (defect 11)', async () => {
    await launch();
    const huge = '('.repeat(200_000) + '1' + ')'.repeat(200_000);
    assert.equal(await errorOf(dc.evaluateRequest({ expression: huge, frameId: 0, context: 'repl' })), "evaluate: 'expression' is 400001 characters long; the limit is 4096");
    const deep = '['.repeat(1000) + '1' + ']'.repeat(1000);
    assert.match(await errorOf(dc.evaluateRequest({ expression: deep, frameId: 0 })), /^expression nested more than 256 levels deep at column \d+/);
    assert.equal(await evaluate(dc, '1+2'), '0x0003 (3)');
  });

  it('answers malformed requests with a clean message, never JavaScript error text', async () => {
    const early = await errorOf(dc.stackTraceRequest({ threadId: 1 }));
    assert.equal(early, 'no guest is running (launch first)');
    await launch();
    const messages = await Promise.all([
      errorOf(dc.customRequest('stackTrace')),
      errorOf(dc.customRequest('scopes', {})),
      errorOf(dc.customRequest('variables', { variablesReference: 'x' })),
      errorOf(dc.customRequest('evaluate', { expression: null })),
      errorOf(dc.customRequest('evaluate', { expression: '{_x} + {y}', frameId: 0 })),
      errorOf(dc.customRequest('setVariable', { variablesReference: 1 })),
      errorOf(dc.customRequest('next', { threadId: '1' })),
      errorOf(dc.customRequest('readMemory', { memoryReference: { a: 1 }, count: 4 })),
      errorOf(dc.customRequest('dataBreakpointInfo', {})),
      errorOf(dc.customRequest('setDataBreakpoints', { breakpoints: [null] })),
    ]);
    for (const m of messages) assert.doesNotMatch(m, RAW_JS_ERROR);
    assert.equal(messages[0], "stackTrace: the arguments are missing ('threadId' is required)");
    assert.equal(messages[6], "next: 'threadId' must be a whole number, not a string");
    assert.equal(messages[4], "unexpected character '{' at column 1");
    // Still serving.
    assert.equal((await dc.threadsRequest()).body.threads.length, 1);
    assert.equal(await evaluate(dc, '2*3'), '0x0006 (6)');
  });

  it('keeps answering while a breakpoint in a tight loop is hit and its condition keeps failing (found by the DAP fuzzer)', async () => {
    await launchWith(dc, { image: spin.bin, symbols: [spin.lst], stopOnEntry: 'bootsector' });
    // Hit on every iteration of `inc eax; jmp forever`; true only after about 2^32 of them.
    const set = await dc.setBreakpointsRequest({ source: { path: spin.asm }, breakpoints: [{ line: spin.line('forever'), condition: 'eax == 0xFFFFFFF0' }] });
    assert.equal(set.body.breakpoints[0].verified, true);
    await dc.continueRequest({ threadId: 1 });
    const threads = await dc.threadsRequest();
    assert.match(threads.body.threads[0].name, /running/);
    const stopped = dc.waitForEvent('stopped', 10000);
    await dc.pauseRequest({ threadId: 1 });
    assert.equal(((await stopped) as DebugProtocol.StoppedEvent).body.reason, 'pause');
    assert.notEqual(await evaluate(dc, 'eax'), '0x00000000 (0)');
  });
});
