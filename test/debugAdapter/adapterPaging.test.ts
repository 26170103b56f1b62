// Breakpoints and watchpoints under paging, where a linear address and a
// physical one are different places: a phys: instruction breakpoint hits
// through every linear address that maps to it, a linear one only through
// its own; a linear data breakpoint follows the guest's page tables as they
// change (armed before paging was on, moved by a CR3 reload).

import { strict as assert } from 'node:assert';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { DebugProtocol } from '@vscode/debugprotocol';
import { adapterHooks, assemble, evaluate, frames, Guest, launchWith, waitStop } from './dapHarness';

const ALIAS = 0x400000 - 0x7000;

describe('debug adapter: paging', function () {
  this.timeout(30000);
  let dc: DebugClient;
  let g: Guest;
  let routine = 0;
  adapterHooks({ guests: (dir) => (g = assemble(dir, 'paged')), client: (c) => (dc = c), current: () => dc });

  async function topLinear(): Promise<number> {
    return Number((await frames(dc))[0].instructionPointerReference);
  }

  async function setInstructionBreakpoints(references: string[]): Promise<DebugProtocol.Breakpoint[]> {
    const r = await dc.customRequest('setInstructionBreakpoints', { breakpoints: references.map((instructionReference) => ({ instructionReference })) });
    return (r.body as DebugProtocol.SetInstructionBreakpointsResponse['body']).breakpoints;
  }

  it('a physical instruction breakpoint hits through both linear addresses of its page', async () => {
    await launchWith(dc, { image: g.bin, symbols: [g.lst], stopOnEntry: 'bootsector' });
    routine = Number(/^0x[0-9a-f]+/i.exec(await evaluate(dc, 'routine'))?.[0]);
    assert.ok(routine > 0x7c00 && routine < 0x7e00);
    const [bp] = await setInstructionBreakpoints(['phys:routine']);
    assert.equal(bp.verified, true);
    assert.equal(bp.instructionReference, `phys:0x${routine.toString(16).toUpperCase().padStart(8, '0')}`);
    const first = await waitStop(dc, dc.continueRequest({ threadId: 1 }));
    assert.equal(first.body.reason, 'breakpoint');
    assert.deepEqual(first.body.hitBreakpointIds, [bp.id]);
    assert.equal(await topLinear(), routine, 'called through the identity mapping');
    const second = await waitStop(dc, dc.continueRequest({ threadId: 1 }));
    assert.equal(second.body.reason, 'breakpoint');
    assert.equal(await topLinear(), routine + ALIAS, 'called through the alias at 400000h');
    assert.match(await evaluate(dc, 'ebx'), /^0x00000001 /, 'the first call ran in between');
    // The Disassembly view at the physical reference shows the routine's bytes.
    const dis = await dc.disassembleRequest({ memoryReference: bp.instructionReference ?? '', instructionCount: 1 });
    assert.equal(dis.body?.instructions[0].instruction, 'inc ebx');
    assert.equal(Number(dis.body?.instructions[0].address), routine);
  });

  it('disassembles the 32-bit part of the boot sector as 32-bit code while the CPU is still in real mode', async () => {
    await launchWith(dc, { image: g.bin, symbols: [g.lst], stopOnEntry: 'bootsector' });
    assert.match(await evaluate(dc, 'cr0 & 1'), /\(0\)$/);
    // From the far jump into pm32 on: the jump is 16-bit code (BITS 16), pm32's lines are BITS 32.
    const dis = await dc.disassembleRequest({ memoryReference: 'pm32', instructionOffset: -1, instructionCount: 4 });
    assert.deepEqual(
      dis.body?.instructions.map((i) => i.instruction),
      [`jmp 8:0x${Number(dis.body?.instructions[1].address).toString(16)}`, 'mov ax, 0x10', 'mov ds, eax', 'mov es, eax'],
    );
    // The instruction at CS:EIP decodes as the CPU runs it (16-bit here), whatever the listing says.
    const here = await dc.disassembleRequest({ memoryReference: '0x7c00', instructionCount: 2 });
    assert.deepEqual(here.body?.instructions.map((i) => i.instruction), ['cli', 'xor ax, ax']);
  });

  it('the mode-change filter stops when paging is turned on, after the MOV CR0', async () => {
    const first = await launchWith(dc, { image: g.bin, symbols: [g.lst] }, () => dc.setExceptionBreakpointsRequest({ filters: ['mode-change'] }));
    assert.equal(first.body.description, 'Mode change: real mode → 16-bit protected mode');
    const second = await waitStop(dc, dc.continueRequest({ threadId: 1 }));
    assert.equal(second.body.description, 'Mode change: 16-bit protected mode → 32-bit protected mode');
    const third = await waitStop(dc, dc.continueRequest({ threadId: 1 }));
    assert.equal(third.body.description, 'Mode change: paging on (32-bit protected mode)');
    assert.equal((await frames(dc))[0].line, g.line('paged'));
    assert.match(await evaluate(dc, 'cr0 >> 31'), /\(1\)$/);
  });

  it('disassembles a selector:offset reference at the size of that code segment (no symbols)', async () => {
    await launchWith(dc, { image: g.bin }, () => dc.setExceptionBreakpointsRequest({ filters: ['mode-change'] }));
    const in32 = await waitStop(dc, dc.continueRequest({ threadId: 1 }));
    assert.equal(in32.body.description, 'Mode change: 16-bit protected mode → 32-bit protected mode');
    const text = async (reference: string): Promise<string[]> =>
      ((await dc.disassembleRequest({ memoryReference: reference, instructionCount: 2 })).body?.instructions ?? []).map((i) => i.instruction);
    assert.deepEqual(await text('0x18:0x7c00'), ['cli', 'xor ax, ax'], 'the 16-bit code segment at 18h');
    assert.deepEqual(await text('0x08:0x7c00'), ['cli', 'xor eax, eax'], 'the 32-bit code segment at 08h');
    assert.deepEqual(await text('0x7c00'), ['cli', 'xor eax, eax'], 'a plain address: as the current code');
  });

  it('a linear instruction breakpoint hits only through its own linear address', async () => {
    await launchWith(dc, { image: g.bin, symbols: [g.lst], stopOnEntry: 'bootsector' });
    const [bp] = await setInstructionBreakpoints([`0x${(routine + ALIAS).toString(16)}`]);
    assert.equal(bp.verified, true);
    const hit = await waitStop(dc, dc.continueRequest({ threadId: 1 }));
    assert.deepEqual(hit.body.hitBreakpointIds, [bp.id]);
    assert.equal(await topLinear(), routine + ALIAS);
    assert.match(await evaluate(dc, 'ebx'), /^0x00000001 /, 'the identity call did not stop');
  });

  it('a linear data breakpoint follows the page tables: armed before paging, moved by a CR3 reload', async () => {
    const exited = new Promise<number>((resolve) => dc.once('exited', (e: DebugProtocol.ExitedEvent) => resolve(e.body.exitCode)));
    await launchWith(dc, { image: g.bin, symbols: [g.lst], stopOnEntry: 'bootsector' });
    const info = await dc.dataBreakpointInfoRequest({ name: 'lin:0x401000', asAddress: true, bytes: 4, frameId: 0 });
    assert.ok(info.body.dataId, info.body.description);
    const set = await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId, accessType: 'write' }] });
    assert.equal(set.body.breakpoints[0].verified, true);
    const first = await waitStop(dc, dc.continueRequest({ threadId: 1 }));
    assert.equal(first.body.reason, 'data breakpoint');
    assert.match(first.body.text ?? '', /0x11111111/);
    assert.equal((await frames(dc))[0].line, g.line('first_write') + 1, 'stopped after the writing instruction');
    assert.match(await evaluate(dc, 'dword [phys:0x30000]'), /^0x11111111 /);
    const second = await waitStop(dc, dc.continueRequest({ threadId: 1 }));
    assert.equal(second.body.reason, 'data breakpoint');
    assert.match(second.body.text ?? '', /0x22222222/);
    assert.equal((await frames(dc))[0].line, g.line('second_write') + 1);
    assert.match(await evaluate(dc, 'dword [phys:0x31000]'), /^0x22222222 /);
    // The write to physical 30000h through its identity address is not the watched linear address any more.
    await dc.continueRequest({ threadId: 1 });
    assert.equal(await exited, 5);
  });

  it('data breakpoints honour a hit count and a condition', async () => {
    await launchWith(dc, { image: g.bin, symbols: [g.lst], stopOnEntry: 'bootsector' });
    const info = await dc.dataBreakpointInfoRequest({ name: 'lin:0x401000', asAddress: true, bytes: 4, frameId: 0 });
    const dataId = info.body.dataId ?? '';
    // The second write only.
    const set = await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId, accessType: 'write', hitCondition: '2' }] });
    const hit = await waitStop(dc, dc.continueRequest({ threadId: 1 }));
    assert.equal(hit.body.reason, 'data breakpoint');
    assert.deepEqual(hit.body.hitBreakpointIds, [set.body.breakpoints[0].id]);
    assert.equal((await frames(dc))[0].line, g.line('second_write') + 1);
    // A condition on the value written, from a fresh start: only the first write has it.
    const again = await waitStop(dc, dc.restartRequest({}));
    assert.equal(again.body.reason, 'entry');
    await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId, accessType: 'write', condition: 'dword [0x401000] == 0x11111111' }] });
    const first = await waitStop(dc, dc.continueRequest({ threadId: 1 }));
    assert.equal((await frames(dc))[0].line, g.line('first_write') + 1);
    assert.match(first.body.text ?? '', /0x11111111/);
    const exited = new Promise<number>((resolve) => dc.once('exited', (e: DebugProtocol.ExitedEvent) => resolve(e.body.exitCode)));
    await dc.continueRequest({ threadId: 1 });
    assert.equal(await exited, 5, 'the second write does not stop');
  });
});
