// Call stacks of a C kernel (guests/ckernel/frames.c, built at test time at
// -O0 and -O2) from its call frame information: exact at a function's first
// instruction, after its prologue, mid-body and at its RET, with every
// caller frame on the line of its call.

import { strict as assert } from 'node:assert';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { buildCKernel, type CKernel } from './cKernel';
import * as path from 'node:path';
import { adapterHooks, frames, launchWith, startClient } from './dapHarness';

/** Optimisation levels, and the CFI section gcc writes: .eh_frame by default, .debug_frame without unwind tables. */
const BUILDS: Array<[string, string[]]> = [
  ['-O0', ['-O0']],
  ['-O2', ['-O2']],
  ['-O1 with .debug_frame', ['-O1', '-fno-asynchronous-unwind-tables']],
];

const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

describe('debug adapter: C call stacks from call frame information', function () {
  this.timeout(30000);
  let dc: DebugClient;
  const kernels = new Map<string, CKernel>();
  const inlined = new Map<string, CKernel>();
  const hybrid = new Map<string, CKernel>();
  adapterHooks({
    guests: (dir) => {
      for (const [opt, flags] of BUILDS) kernels.set(opt, buildCKernel(dir, 'frames.c', `frames${flags.join('')}`, flags));
      for (const opt of ['-O0', '-O2']) inlined.set(opt, buildCKernel(dir, 'inline.c', `inline${opt}`, [opt]));
      for (const opt of ['-O0', '-O2']) hybrid.set(opt, buildCKernel(dir, 'hybrid.c', `hybrid${opt}`, [opt], ['helper.asm']));
    },
    client: (c) => (dc = c),
    current: () => dc,
  });

  /** Launch stopped at an instruction address. */
  async function stopAt(k: CKernel, address: number): Promise<DebugProtocol.StackFrame[]> {
    await launchWith(dc, { image: k.image, symbols: [k.elf] }, () =>
      dc.customRequest('setInstructionBreakpoints', { breakpoints: [{ instructionReference: hex(address) }] }),
    );
    return frames(dc);
  }

  /** The frames below `add`: scale on its call of add, kmain on its call of scale, _start on its call of kmain. */
  function assertCallers(k: CKernel, st: DebugProtocol.StackFrame[]): void {
    const shown = st.map((f) => `${f.name} @${f.line}`).join(' | ');
    assert.deepEqual(
      st.slice(1).map((f) => [f.name.split(' ')[0].replace(/\+0x[0-9a-f]+$/, ''), f.source?.path, f.line]),
      [
        ['scale', k.source, k.line('/* call add */')],
        ['kmain', k.source, k.line('/* call scale */')],
        ['_start', k.entry, k.line('call    kmain', 'entry.asm')],
      ],
      shown,
    );
    assert.equal(st.length, 4, shown);
    // The frame's address is the return address: the instruction after the call.
    const ret = parseInt(st[1].instructionPointerReference ?? '', 16);
    assert.deepEqual(k.bytesAt(ret - 5, 1), [0xe8], `a CALL rel32 ends at ${hex(ret)}`);
  }

  for (const opt of ['-O0', '-O2']) {
    it(`shows a function inlined into its caller as a frame of its own, with its own variables (${opt})`, async () => {
      const k = inlined.get(opt) as CKernel;
      await launchWith(dc, { image: k.image, symbols: [k.elf] }, () =>
        dc.setBreakpointsRequest({ source: { path: k.source }, breakpoints: [{ line: k.line('/* twice body */') }] }),
      );
      const st = await frames(dc);
      const shown = st.map((f) => `${f.name} @${f.line}`).join(' | ');
      assert.deepEqual(
        st.map((f) => [f.name.split(' ')[0].replace(/\+0x[0-9a-f]+$/, ''), f.line]),
        [
          ['twice', k.line('/* twice body */')],
          ['add3', k.line('/* call twice */')],
          ['kmain', k.line('/* call add3 */')],
          ['_start', k.line('call    kmain', 'entry.asm')],
        ],
        shown,
      );
      assert.match(st[0].name, /^twice \[inlined\] 0008:/);
      assert.equal(st[0].instructionPointerReference, st[1].instructionPointerReference, 'one machine frame');
      const args = await dc.variablesRequest({ variablesReference: (await dc.scopesRequest({ frameId: st[0].id })).body.scopes[1].variablesReference });
      assert.deepEqual(args.body.variables.map((v) => `${v.name}=${v.value}`), ['x=5']);
      const outer = await dc.scopesRequest({ frameId: st[1].id });
      const outerArgs = await dc.variablesRequest({ variablesReference: outer.body.scopes[1].variablesReference });
      assert.deepEqual(outerArgs.body.variables.map((v) => v.name), ['a'], "add3's own parameters, not twice's");
    });
  }

  for (const opt of ['-O0', '-O2']) {
    it(`crosses an assembly routine without CFI between C functions, by its frame pointer (${opt})`, async () => {
      const k = hybrid.get(opt) as CKernel;
      const name = (f: DebugProtocol.StackFrame) => f.name.split(' ')[0].replace(/\+0x[0-9a-f]+$/, '');
      await launchWith(dc, { image: k.image, symbols: [k.elf] }, () =>
        dc.setBreakpointsRequest({ source: { path: k.source }, breakpoints: [{ line: k.line('/* leaf body */') }] }),
      );
      const inLeaf = await frames(dc);
      assert.deepEqual(
        inLeaf.map((f) => [name(f), f.line]),
        [
          ['leaf', k.lineOf(parseInt(inLeaf[0].instructionPointerReference ?? '', 16))],
          ['asm_helper', k.line('call    leaf', 'helper.asm')],
          ['kmain', k.line('/* call helper */')],
          ['_start', k.line('call    kmain', 'entry.asm')],
        ],
        inLeaf.map((f) => f.name).join(' | '),
      );
      // Stopped in the assembly routine itself: its caller by the frame pointer, then CFI again.
      await dc.stop();
      dc = await startClient();
      const helper = path.join(path.dirname(k.source), 'helper.asm');
      await launchWith(dc, { image: k.image, symbols: [k.elf] }, () =>
        dc.setBreakpointsRequest({ source: { path: helper }, breakpoints: [{ line: k.line('; in helper', 'helper.asm') }] }),
      );
      const inHelper = await frames(dc);
      assert.deepEqual(
        inHelper.map((f) => [name(f), f.line]),
        [
          ['asm_helper', k.line('; in helper', 'helper.asm')],
          ['kmain', k.line('/* call helper */')],
          ['_start', k.line('call    kmain', 'entry.asm')],
        ],
        inHelper.map((f) => f.name).join(' | '),
      );
      const scopeNames = async (f: DebugProtocol.StackFrame) => (await dc.scopesRequest({ frameId: f.id })).body.scopes.map((x) => x.name);
      assert.equal((await scopeNames(inHelper[0]))[0], 'Registers', 'assembly has no C scopes');
      assert.equal((await scopeNames(inHelper[1]))[0], 'Locals');
    });
  }

  for (const [opt] of BUILDS) {
    it(`is exact at a function's first instruction (${opt})`, async () => {
      const k = kernels.get(opt) as CKernel;
      const add = k.symbol('add');
      const st = await stopAt(k, add.address);
      assert.match(st[0].name, /^add 0008:/);
      assert.equal(st[0].line, k.lineOf(add.address));
      assertCallers(k, st);
    });

    it(`is exact after the prologue, at a source breakpoint (${opt})`, async () => {
      const k = kernels.get(opt) as CKernel;
      let line = 0;
      await launchWith(dc, { image: k.image, symbols: [k.elf] }, async () => {
        const r = await dc.setBreakpointsRequest({ source: { path: k.source }, breakpoints: [{ line: k.line('/* add body */') }] });
        line = r.body.breakpoints[0].line ?? 0;
      });
      const st = await frames(dc);
      assert.match(st[0].name, /^add(\+0x[0-9a-f]+)? 0008:/); // at -O2 the body starts at the first instruction
      assert.equal(st[0].line, line);
      assertCallers(k, st);
    });

    it(`is exact at the RET of the epilogue (${opt})`, async () => {
      const k = kernels.get(opt) as CKernel;
      const add = k.symbol('add');
      let ret = add.address + add.size - 1;
      while (k.bytesAt(ret, 1)[0] !== 0xc3) ret--; // past any padding
      const st = await stopAt(k, ret);
      assert.match(st[0].name, /^add\+0x[0-9a-f]+ 0008:/);
      assertCallers(k, st);
    });

    it(`is exact mid-body in a caller with its own frame (${opt})`, async () => {
      const k = kernels.get(opt) as CKernel;
      // The CALL of scale: kmain's frame is set up, its arguments pushed.
      const kmain = k.symbol('kmain');
      let call = kmain.address;
      while (k.bytesAt(call, 1)[0] !== 0xe8) call++;
      const st = await stopAt(k, call);
      assert.deepEqual(
        st.map((f) => [f.name.split(' ')[0].replace(/\+0x[0-9a-f]+$/, ''), f.line]),
        [
          ['kmain', k.line('/* call scale */')],
          ['_start', k.line('call    kmain', 'entry.asm')],
        ],
      );
    });
  }
});
