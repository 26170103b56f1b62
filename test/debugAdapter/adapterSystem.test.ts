// The system registers in expressions (evaluate, conditions, setExpression:
// cr0-cr4, efer, dr0-dr7, gdtr/idtr.base/.limit, the hidden segment caches
// as cs.base, ds.limit ...; see src/debugAdapter/systemRegisters.ts) and the
// error paths of the requests, over stdio as VS Code runs the adapter.

import { strict as assert } from 'node:assert';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { adapterHooks, assemble, errorOf, evaluate, Guest, launchWith, waitStop } from './dapHarness';

describe('debug adapter: system registers in expressions, error paths', function () {
  this.timeout(30000);
  let dc: DebugClient;
  let bigreal: Guest;
  let boot: Guest;
  adapterHooks({
    guests: (dir) => {
      bigreal = assemble(dir, 'bigreal');
      boot = assemble(dir, 'boot');
    },
    client: (c) => (dc = c),
    current: () => dc,
  });

  it('evaluates cr0, efer, dr0-dr7, gdtr/idtr base and limit and the hidden segment caches, also in conditions', async () => {
    // A condition on the hidden DS limit: false at `start` (64 KiB), true once in big real mode.
    const stopped = await launchWith(dc, { image: bigreal.bin, symbols: [bigreal.lst] }, () =>
      dc.setBreakpointsRequest({
        source: { path: bigreal.asm },
        breakpoints: [
          { line: bigreal.line('start'), condition: 'ds.limit == 0xffffffff' },
          { line: bigreal.line('in_big_real'), condition: 'ds.limit == 0xffffffff && gdtr.limit == 15 && (cr0 & 1) == 0' },
        ],
      }),
    );
    assert.equal(stopped.body.reason, 'breakpoint', stopped.body.text);
    const frame = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames[0];
    assert.equal(frame.line, bigreal.line('in_big_real'));
    assert.match(await evaluate(dc, 'ds.limit'), /^0xFFFFFFFF/);
    assert.match(await evaluate(dc, 'DS.Limit'), /^0xFFFFFFFF/, 'case-insensitive');
    assert.match(await evaluate(dc, 'ds.selector'), /^0x0000 /);
    assert.match(await evaluate(dc, 'ss.limit'), /^0x0000FFFF/);
    assert.match(await evaluate(dc, 'cs.base'), /^0x00000000/);
    assert.match(await evaluate(dc, 'ds.attributes'), /^0x0000C093/, 'present writable data, accessed (the load sets A), D/B and G from the 4 GiB descriptor');
    assert.match(await evaluate(dc, 'gdtr.limit'), /^0x000F \(15\)/);
    assert.match(await evaluate(dc, 'gdtr.base == gdt'), /^0x0001 /);
    assert.match(await evaluate(dc, 'idtr.limit'), /^0xFFFF/, 'as at reset');
    assert.match(await evaluate(dc, 'idtr.base'), /^0x00000000/);
    assert.match(await evaluate(dc, 'cr0 & 1'), /^0x0000 /);
    assert.match(await evaluate(dc, 'efer'), /^0x00000000/);
    assert.match(await evaluate(dc, 'dr7'), /^0x00000400/);
    assert.match(await evaluate(dc, 'dr5'), /^0x00000400/, 'DR5 aliases DR7');
    assert.match(await evaluate(dc, 'dr6'), /^0xFFFF0FF0/);
    assert.match(await evaluate(dc, 'tr.limit'), /^0x0000FFFF/);
    assert.match(await evaluate(dc, 'cs.base + ip == in_big_real'), /^0x0001 /);
  });

  it('changes system registers with setExpression (gdtr.limit, es.base, dr0, dr7, cr3) and memory follows a new hidden base', async () => {
    await launchWith(dc, { image: boot.bin, symbols: [boot.lst], stopOnEntry: 'bootsector' });
    const set = async (expression: string, value: string): Promise<string> => ((await dc.customRequest('setExpression', { expression, value, frameId: 0 })) as DebugProtocol.SetExpressionResponse).body.value;
    assert.match(await set('gdtr.limit', '0x17'), /^0x0017/);
    assert.match(await evaluate(dc, 'gdtr.limit'), /^0x0017/);
    assert.match(await set('gdtr.base', '0x500'), /^0x00000500/);
    // The hidden ES base moves while the selector stays: es:0 now reads at 0x7C00, the boot sector.
    assert.match(await set('es.base', '0x7c00'), /^0x00007C00/);
    assert.match(await evaluate(dc, 'es'), /^0x0000 /);
    assert.match(await evaluate(dc, 'byte [es:0]'), /^0x31/, 'xor ax, ax (31 C0) at 0x7C00');
    assert.match(await set('es.limit', '0xffffffff'), /^0xFFFFFFFF/);
    assert.match(await set('dr0', '0x7c10'), /^0x00007C10/);
    assert.match(await set('dr7', '0'), /^0x00000400/, 'DR7 bit 10 reads as one');
    assert.match(await set('cr3', '0x9000'), /^0x00009000/);
    // The System scope shows what setExpression wrote.
    const scopes = await dc.scopesRequest({ frameId: 0 });
    const system = (await dc.variablesRequest({ variablesReference: scopes.body.scopes[2].variablesReference })).body.variables;
    assert.match(system.find((v) => v.name === 'gdtr')?.value ?? '', /base 0x00000500 limit 0x0017/);
    assert.match(system.find((v) => v.name === 'dr0')?.value ?? '', /0x00007C10/);
  });

  it('answers bad requests with clear errors: readMemory, disassemble, evaluate, setExpression, setVariable', async () => {
    await launchWith(dc, { image: boot.bin, symbols: [boot.lst], stopOnEntry: 'bootsector' });
    const custom = (command: string, args: object): Promise<unknown> => dc.customRequest(command, args);
    const repl = (expression: string): Promise<unknown> => dc.evaluateRequest({ expression, frameId: 0, context: 'repl' });
    assert.match(await errorOf(custom('readMemory', { memoryReference: 'nosuch', count: 4 })), /^memory reference 'nosuch': unknown register or symbol 'nosuch'$/);
    assert.match(await errorOf(custom('readMemory', { memoryReference: '[bx', count: 4 })), /^memory reference '\[bx': missing '\]' for the '\[' at column 1$/);
    assert.match(await errorOf(dc.disassembleRequest({ memoryReference: 'start+', instructionCount: 4 })), /^memory reference 'start\+': unexpected end of expression$/);
    assert.match(await errorOf(repl('1 +')), /unexpected end of expression/);
    assert.match(await errorOf(repl('dword [phys:0xFFEFFFF0]')), /physical memory at 0xFFEFFFF0 unreadable/);
    assert.match(await errorOf(repl('10 / 0')), /division by zero at column 4/);
    assert.match(await errorOf(repl('eax +* 2')), /column/);
    assert.match(await errorOf(custom('setExpression', { expression: '1 + 2', value: '3', frameId: 0 })), /cannot assign to this; write a register or a memory operand/);
    assert.match(await errorOf(custom('setExpression', { expression: 'start', value: '3', frameId: 0 })), /'start' is a symbol, not a register; .*'word \[start\]'/);
    assert.match(await errorOf(custom('setExpression', { expression: 'ax', value: 'nosuch', frameId: 0 })), /unknown register or symbol 'nosuch'/);
    assert.match(await errorOf(custom('setExpression', { expression: 'word [phys:0xFFFF0]', value: '1', frameId: 0 })), /only 0 of 2 bytes could be written; phys:0x000FFFF0 is not RAM/);
    assert.match(await errorOf(custom('setExpression', { expression: 'ds.nosuch', value: '1', frameId: 0 })), /unknown register or symbol 'ds.nosuch'/);
    const scopes = await dc.scopesRequest({ frameId: 0 });
    const system = scopes.body.scopes[2].variablesReference;
    assert.match(await errorOf(dc.setVariableRequest({ variablesReference: system, name: 'Mode', value: '1' })), /'Mode' cannot be changed/);
    assert.match(await errorOf(dc.setVariableRequest({ variablesReference: system, name: 'nosuch', value: '1' })), /no variable 'nosuch' here/);
    assert.match(await errorOf(dc.setVariableRequest({ variablesReference: system, name: 'cr3', value: '1 +' })), /unexpected end of expression/);
    assert.match(await errorOf(dc.setVariableRequest({ variablesReference: 99999, name: 'ax', value: '1' })), /no variable 'ax' here/);
    // After a step the old references are void.
    await waitStop(dc, dc.stepInRequest({ threadId: 1, granularity: 'instruction' }));
    assert.match(await errorOf(dc.setVariableRequest({ variablesReference: system, name: 'cr3', value: '1' })), /no variable 'cr3' here/);
  });

  it('marks breakpoints no symbols can place unverified with the reason, and refuses data breakpoints on bad addresses', async () => {
    await launchWith(dc, { image: boot.bin, symbols: [boot.lst], stopOnEntry: 'bootsector' });
    const other = await dc.setBreakpointsRequest({ source: { path: '/nowhere/other.asm' }, breakpoints: [{ line: 3 }] });
    assert.equal(other.body.breakpoints[0].verified, false);
    assert.match(other.body.breakpoints[0].message ?? '', /other\.asm is not covered by any symbol file/);
    const past = await dc.setBreakpointsRequest({ source: { path: boot.asm }, breakpoints: [{ line: 100000 }] });
    assert.equal(past.body.breakpoints[0].verified, false);
    assert.match(past.body.breakpoints[0].message ?? '', /no code at or after line 100000 in boot\.asm/);

    const fn = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'no_such_function' }] });
    assert.deepEqual([fn.body.breakpoints[0].verified, fn.body.breakpoints[0].message], [false, "function breakpoint 'no_such_function': unknown register or symbol 'no_such_function'"]);
    const ins = (await dc.customRequest('setInstructionBreakpoints', { breakpoints: [{ instructionReference: '0x7c00 +' }] })).body as DebugProtocol.SetInstructionBreakpointsResponse['body'];
    assert.deepEqual([ins.breakpoints[0].verified, ins.breakpoints[0].message], [false, "instruction breakpoint '0x7c00 +': unexpected end of expression"]);

    const info = async (name: string, asAddress = false): Promise<DebugProtocol.DataBreakpointInfoResponse['body']> =>
      (await dc.dataBreakpointInfoRequest({ name, frameId: 0, asAddress, bytes: asAddress ? 4 : undefined })).body;
    assert.deepEqual(await info('nosuch'), { dataId: null, description: "unknown register or symbol 'nosuch'" });
    assert.match((await info('ax')).description, /not a memory operand/);
    assert.match((await info('byte [phys:0xFFEFFFF0]')).description, /unreadable/);
    const unmapped = await info('0xE0000000', true);
    assert.equal(unmapped.dataId, null);
    assert.match(unmapped.description, /no guest memory at 0xE0000000 .*would never fire/);
    assert.equal((await info('phys:0xE0000000', true)).dataId, null);
    assert.equal((await info('word [0x7c00]')).dataId, 'linear:31744:2');

    const set = await dc.setDataBreakpointsRequest({
      breakpoints: [{ dataId: 'bogus' }, { dataId: 'physical:3758096384:4' }, { dataId: 'linear:31744:0' }, { dataId: 'linear:1280:2', accessType: 'write' }],
    });
    const [bogus, offRam, empty, good] = set.body.breakpoints;
    assert.deepEqual(bogus, { id: bogus.id, verified: false, message: "unknown data breakpoint id 'bogus' (ask dataBreakpointInfo for one)" });
    assert.equal(new Set(set.body.breakpoints.map((b) => b.id)).size, 4, 'each gets its own id');
    assert.equal(offRam.verified, false);
    assert.match(offRam.message ?? '', /no guest memory at phys:0xE0000000/);
    assert.match(empty.message ?? '', /1 to 4096 bytes, not 0/);
    assert.equal(good.verified, true);
  });
});
