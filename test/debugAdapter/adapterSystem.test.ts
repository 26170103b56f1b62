// The system registers in expressions (evaluate, conditions, setExpression:
// cr0-cr4, efer, dr0-dr7, gdtr/idtr.base/.limit, the hidden segment caches
// as cs.base, ds.limit ...; see src/debugAdapter/systemRegisters.ts) and the
// error paths of the requests, over stdio as VS Code runs the adapter.

import { strict as assert } from 'node:assert';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { assemble, evaluate, Guest, launchWith, prepare, startClient } from './dapHarness';

describe('debug adapter: system registers in expressions, error paths', function () {
  this.timeout(30000);
  let dc: DebugClient;
  let cleanup = (): void => {};
  let bigreal: Guest;
  let boot: Guest;

  before(function () {
    this.timeout(120000);
    const p = prepare();
    cleanup = p.cleanup;
    bigreal = assemble(p.dir, 'bigreal');
    boot = assemble(p.dir, 'boot');
  });

  after(() => cleanup());

  beforeEach(async () => {
    dc = await startClient();
  });

  afterEach(async () => {
    await dc.stop();
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
    assert.match(await evaluate(dc, 'ds.attributes'), /^0x0000C092/, 'present writable data, D/B and G from the 4 GiB descriptor');
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
});
