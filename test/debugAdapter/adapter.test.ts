// The debug adapter as VS Code runs it: `node dist/debugAdapter.js` in its
// own process, driven over stdio by @vscode/debugadapter-testsupport's
// DebugClient, against guest programs assembled here with NASM (with
// listings for source breakpoints).

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { adapterHooks, assemble, Guest, waitStop } from './dapHarness';

let work = '';

async function topFrame(dc: DebugClient): Promise<DebugProtocol.StackFrame> {
  const st = await dc.stackTraceRequest({ threadId: 1 });
  return st.body.stackFrames[0];
}

async function scopeVariables(dc: DebugClient, scope: string): Promise<DebugProtocol.Variable[]> {
  const scopes = await dc.scopesRequest({ frameId: 0 });
  const s = scopes.body.scopes.find((x) => x.name === scope);
  assert.ok(s, `scope ${scope}`);
  return (await dc.variablesRequest({ variablesReference: s.variablesReference })).body.variables;
}

async function launchStopped(dc: DebugClient, args: Record<string, unknown>): Promise<DebugProtocol.StoppedEvent> {
  const [, , stopped] = await Promise.all([dc.configurationSequence(), dc.launch(args), dc.waitForEvent('stopped', 10000)]);
  return stopped as DebugProtocol.StoppedEvent;
}

describe('debug adapter (DAP over stdio)', function () {
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

  it('stops on entry at the boot sector, 0000:7C00, mapped to the listing', async () => {
    const stopped = await launchStopped(dc, { image: boot.bin, symbols: [boot.lst], stopOnEntry: 'bootsector' });
    assert.equal(stopped.body.reason, 'entry');
    const frame = await topFrame(dc);
    assert.match(frame.name, /0000:7C00/);
    assert.match(frame.name, /linear 0x07C00/);
    assert.equal(frame.source?.path, boot.asm);
    assert.equal(frame.line, boot.line('start'));
    const threads = await dc.threadsRequest();
    assert.match(threads.body.threads[0].name, /^vCPU 0/);
  });

  it('stops on entry at the reset vector', async () => {
    await launchStopped(dc, { image: boot.bin, stopOnEntry: 'reset' });
    const frame = await topFrame(dc);
    assert.match(frame.name, /F000:FFF0/);
    assert.equal(frame.instructionPointerReference, '0xFFFFFFF0', 'CS base FFFF0000 until the first far jump');
    assert.equal(frame.presentationHint, 'subtle');
  });

  it('hits a source breakpoint set on a listing line', async () => {
    await dc.hitBreakpoint(
      { image: boot.bin, symbols: [boot.lst] },
      { path: boot.asm, line: boot.line('after_call') },
    );
    const regs = await scopeVariables(dc, 'Registers');
    assert.equal(regs.find((v) => v.name === 'ax')?.value, '0x1239');
  });

  it('steps by instruction (next over a call, stepIn into it, stepOut back)', async () => {
    await launchStopped(dc, { image: boot.bin, symbols: [boot.lst], stopOnEntry: 'bootsector' });
    for (let i = 0; i < 6; i++) await waitStop(dc, dc.nextRequest({ threadId: 1, granularity: 'instruction' }));
    assert.equal((await topFrame(dc)).line, boot.line('start') + 6, 'at the call');
    await waitStop(dc, dc.stepInRequest({ threadId: 1, granularity: 'instruction' }));
    assert.equal((await topFrame(dc)).line, boot.line('add_them'), 'inside the called function');
    await waitStop(dc, dc.stepInRequest({ threadId: 1, granularity: 'instruction' }));
    const stack = await dc.stackTraceRequest({ threadId: 1 });
    assert.ok(stack.body.stackFrames.length >= 1);
    await waitStop(dc, dc.stepOutRequest({ threadId: 1 }));
    assert.equal((await topFrame(dc)).line, boot.line('after_call'), 'back after the call');
  });

  it('steps over INT 10h to the next line (not into the BIOS)', async () => {
    await dc.hitBreakpoint({ image: boot.bin, symbols: [boot.lst] }, { path: boot.asm, line: boot.line('after_call') + 2 });
    await waitStop(dc, dc.nextRequest({ threadId: 1 }));
    assert.equal((await topFrame(dc)).line, boot.line('after_int'));
    const screen = await dc.customRequest('vmexit.screen');
    assert.match((screen.body as { rows: string[] }).rows.join('\n'), /A/);
  });

  it('shows registers sized to the mode, EFLAGS bits and hidden segment bases', async () => {
    await launchStopped(dc, { image: boot.bin, symbols: [boot.lst], stopOnEntry: 'bootsector' });
    const regs = await scopeVariables(dc, 'Registers');
    assert.deepEqual(regs.map((r) => r.name).slice(0, 9), ['ax', 'bx', 'cx', 'dx', 'si', 'di', 'bp', 'sp', 'ip']);
    assert.equal(regs.find((r) => r.name === 'ip')?.value, '0x7C00');
    const flags = regs.find((r) => r.name === 'eflags');
    assert.ok(flags && flags.variablesReference > 0);
    const bits = (await dc.variablesRequest({ variablesReference: flags.variablesReference })).body.variables;
    assert.ok(bits.some((b) => b.name === 'IF'));
    const segs = await scopeVariables(dc, 'Segments');
    const cs = segs.find((s) => s.name === 'cs');
    assert.ok(cs && cs.variablesReference > 0);
    const hidden = (await dc.variablesRequest({ variablesReference: cs.variablesReference })).body.variables;
    assert.equal(hidden.find((h) => h.name === 'base')?.value, '0x00000000');
    assert.equal(hidden.find((h) => h.name === 'limit')?.value, '0x0000FFFF');
    const system = await scopeVariables(dc, 'System');
    assert.equal(system.find((s) => s.name === 'Mode')?.value, 'real mode');
    // setVariable on a register
    const set = await dc.setVariableRequest({ variablesReference: (await dc.scopesRequest({ frameId: 0 })).body.scopes[0].variablesReference, name: 'bx', value: '0x4242' });
    assert.equal(set.body.value, '0x4242');
  });

  it('reads the boot sector at 0x7C00, writes memory, and reports unreadable bytes', async () => {
    await launchStopped(dc, { image: boot.bin, stopOnEntry: 'bootsector' });
    const read = await dc.customRequest('readMemory', { memoryReference: '0x7c00', count: 512 });
    const data = Buffer.from((read.body as { data?: string }).data ?? '', 'base64');
    assert.deepEqual(data, fs.readFileSync(boot.bin));
    await dc.customRequest('writeMemory', { memoryReference: '0x600', data: Buffer.from([1, 2, 3]).toString('base64') });
    const back = await dc.customRequest('readMemory', { memoryReference: 'phys:0x600', count: 3 });
    assert.deepEqual(Buffer.from((back.body as { data: string }).data, 'base64'), Buffer.from([1, 2, 3]));
    const far = await dc.customRequest('readMemory', { memoryReference: '0xF0000000', count: 16 });
    assert.equal((far.body as { unreadableBytes?: number }).unreadableBytes, 16);
  });

  it('disassembles around CS:IP in NASM syntax, backwards and forwards', async () => {
    await dc.hitBreakpoint({ image: boot.bin, symbols: [boot.lst] }, { path: boot.asm, line: boot.line('after_call') });
    const dis = await dc.disassembleRequest({ memoryReference: '0x7c12', instructionOffset: -3, instructionCount: 6 });
    const ins = dis.body?.instructions ?? [];
    assert.equal(ins.length, 6);
    assert.equal(ins[3].address, '0x00007C12');
    assert.match(ins[3].instruction, /^mov ah, ?0xe$/);
    assert.match(ins[2].instruction, /^call 0x7c33$/);
    assert.match(ins[0].instruction, /^mov ax, ?0x1234$/);
    assert.match(ins[5].instruction, /^int 0x10$/);
  });

  it('evaluates registers, arithmetic and NASM memory operands', async () => {
    await launchStopped(dc, { image: boot.bin, symbols: [boot.lst], stopOnEntry: 'bootsector' });
    await dc.setVariableRequest({ variablesReference: (await dc.scopesRequest({ frameId: 0 })).body.scopes[0].variablesReference, name: 'ax', value: '0x41' });
    const ax = await dc.evaluateRequest({ expression: 'ax+1', context: 'repl' });
    assert.match(ax.body.result, /^0x0042 /);
    const w = await dc.evaluateRequest({ expression: 'word [0x7c00]', context: 'watch' });
    assert.match(w.body.result, /^0xC031 /);
    assert.equal(w.body.memoryReference, '0x00007C00');
    const seg = await dc.evaluateRequest({ expression: 'byte [0:0x7dfe]', context: 'hover' });
    assert.match(seg.body.result, /^0x55 /);
    const same = await dc.evaluateRequest({ expression: 'byte [07C0:01FF] == 0xAA', context: 'repl' });
    assert.match(same.body.result, /^0x0001 /);
    const sym = await dc.evaluateRequest({ expression: 'add_them - start', context: 'repl' });
    assert.match(sym.body.result, /^0x0033 /);
    await assert.rejects(dc.evaluateRequest({ expression: 'nosuchthing', context: 'repl' }), /unknown register or symbol 'nosuchthing'/);
  });

  it('pauses a running guest quickly and continues', async () => {
    const spin = assemble(work, 'spin');
    const [, , ] = await Promise.all([dc.configurationSequence(), dc.launch({ image: spin.bin })]);
    await new Promise((r) => setTimeout(r, 200));
    const t0 = performance.now();
    const stopped = await waitStop(dc, dc.pauseRequest({ threadId: 1 }));
    const latency = performance.now() - t0;
    assert.equal(stopped.body.reason, 'pause');
    assert.ok(latency < 250, `pause took ${latency.toFixed(1)} ms`);
    const eax = await dc.evaluateRequest({ expression: 'eax', context: 'repl' });
    assert.doesNotMatch(eax.body.result, /^0x00000000 /);
    await dc.continueRequest({ threadId: 1 });
    await waitStop(dc, dc.pauseRequest({ threadId: 1 }));
  });

  it('answers bad launch arguments with an error response', async () => {
    await dc.initializeRequest();
    const bad: [Record<string, unknown>, RegExp][] = [
      [{}, /nothing to boot/],
      [{ image: path.join(work, 'missing.img') }, /does not exist/],
      [{ image: boot.bin, memory: 'lots' }, /'memory'/],
      [{ image: boot.bin, stopOnEntry: 'sometime' }, /'stopOnEntry'/],
      [{ image: boot.bin, cpus: 0 }, /'cpus'/],
      [{ image: boot.bin, bios: path.join(work, 'boot.lst') }, /BIOS image/],
      [{ image: boot.bin, symbols: [42] }, /symbols\[0\]/],
      [{ image: boot.bin, symbols: [{ path: boot.lst, source: path.join(work, 'gone.asm') }] }, /symbols\[0\]'\.source: .*gone\.asm does not exist/],
      [{ image: boot.bin, symbols: [{ path: boot.lst, source: 7 }] }, /symbols\[0\]'\.source must be a file path/],
      [{ image: boot.bin, frobnicate: true }, /unknown launch argument 'frobnicate'/],
    ];
    for (const [args, pattern] of bad) {
      await assert.rejects(dc.launchRequest(args as DebugProtocol.LaunchRequestArguments), (e: Error) => {
        assert.match(e.message, pattern, `${JSON.stringify(args)}: ${e.message}`);
        return true;
      });
    }
  });

  it('runs to the end: serial output, the magic breakpoint, then the exit status', async () => {
    const output: string[] = [];
    dc.on('output', (e: DebugProtocol.OutputEvent) => {
      if (e.body.category === 'stdout') output.push(e.body.output);
    });
    const magic = await launchStopped(dc, { image: boot.bin });
    assert.match(magic.body.description ?? '', /Magic breakpoint/);
    const [, exited] = await Promise.all([dc.continueRequest({ threadId: 1 }), dc.waitForEvent('exited', 10000), dc.waitForEvent('terminated', 10000)]);
    assert.equal((exited as DebugProtocol.ExitedEvent).body.exitCode, 43);
    assert.match(output.join(''), /hello serial/);
  });

  it('stepping over the OUT to isa-debug-exit ends the session with the guest status', async () => {
    await launchStopped(dc, { image: boot.bin }); // at the magic breakpoint, after xchg bx, bx
    await Promise.all([dc.nextRequest({ threadId: 1, granularity: 'instruction' }), dc.waitForEvent('stopped')]); // mov al, 15h
    const [, exited] = await Promise.all([
      dc.nextRequest({ threadId: 1, granularity: 'instruction' }), // out 0F4h, al
      dc.waitForEvent('exited', 10000),
    ]);
    assert.equal((exited as DebugProtocol.ExitedEvent).body.exitCode, 43);
  });
});
