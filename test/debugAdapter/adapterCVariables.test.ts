// C variables of a C kernel (guests/ckernel/vars.c, built at test time):
// the Locals, Arguments and Globals scopes of any frame, values of every
// kind of type, expansion of structures, arrays and pointers, evaluate and
// hover of C names (a C variable's value; an assembly label keeps its
// address), setVariable and setExpression.

import { strict as assert } from 'node:assert';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { buildCKernel, type CKernel } from './cKernel';
import { adapterHooks, frames, launchWith, startClient } from './dapHarness';

/** gcc 12 writes DWARF 5 by default; DWARF 4 has .debug_loc and .debug_ranges, DWARF 3 bit fields by DW_AT_bit_offset. */
const BUILDS = ['-O0', '-O1', '-O2', '-O2 -gdwarf-4', '-O0 -gdwarf-3'];

describe('debug adapter: C variables, types and values', function () {
  this.timeout(30000);
  let dc: DebugClient;
  const kernels = new Map<string, CKernel>();
  adapterHooks({
    guests: (dir) => {
      for (const opt of BUILDS) kernels.set(opt, buildCKernel(dir, 'vars.c', `vars${opt.replace(/ /g, '')}`, opt.split(' ')));
    },
    client: (c) => (dc = c),
    current: () => dc,
  });

  async function stopAtLine(k: CKernel, marker: string): Promise<DebugProtocol.StackFrame[]> {
    await launchWith(dc, { image: k.image, symbols: [k.elf] }, () =>
      dc.setBreakpointsRequest({ source: { path: k.source }, breakpoints: [{ line: k.line(marker) }] }),
    );
    return frames(dc);
  }

  async function scopes(frameId: number): Promise<Map<string, number>> {
    const r = await dc.scopesRequest({ frameId });
    return new Map(r.body.scopes.map((s) => [s.name, s.variablesReference]));
  }

  async function vars(ref: number): Promise<Map<string, DebugProtocol.Variable>> {
    const r = await dc.variablesRequest({ variablesReference: ref });
    return new Map(r.body.variables.map((v) => [v.name, v]));
  }

  async function scope(frameId: number, name: string): Promise<Map<string, DebugProtocol.Variable>> {
    const ref = (await scopes(frameId)).get(name);
    assert.ok(ref, `a ${name} scope`);
    return vars(ref);
  }

  async function evaluate(expression: string, frameId?: number): Promise<DebugProtocol.EvaluateResponse['body']> {
    return (await dc.evaluateRequest({ expression, frameId, context: 'watch' })).body;
  }

  function values(m: Map<string, DebugProtocol.Variable>): Record<string, string> {
    return Object.fromEntries([...m].map(([k, v]) => [k, v.value]));
  }

  it('shows Locals (nested blocks, innermost first), Arguments and Globals before the register scopes (-O0)', async () => {
    const k = kernels.get('-O0') as CKernel;
    const st = await stopAtLine(k, '/* walk body */');
    assert.match(st[0].name, /^walk/);
    const names = [...(await scopes(st[0].id)).keys()];
    assert.deepEqual(names.slice(0, 4), ['Locals', 'Arguments', 'Globals', 'Registers']);
    const locals = await scope(st[0].id, 'Locals');
    assert.deepEqual([...locals.keys()], ['value', 'i', 'total']);
    assert.equal(locals.get('i')?.value, '0');
    assert.equal(locals.get('total')?.value, '0');
    assert.equal(locals.get('i')?.type, 'int');
    const args = await scope(st[0].id, 'Arguments');
    assert.deepEqual([...args.keys()], ['list', 'limit']);
    assert.equal(args.get('limit')?.value, '2');
    assert.equal(args.get('list')?.type, 'struct node *');
    const first = parseInt(args.get('list')?.value ?? '', 16);
    assert.equal(first, k.symbol('first').address, 'list points at first');
    // A pointer to a structure expands straight to the members it points to; the next pointer on to its own.
    const members = await vars(args.get('list')?.variablesReference ?? 0);
    assert.deepEqual(values(members), { value: '1', next: `0x${k.symbol('second').address.toString(16).padStart(8, '0')}` });
    assert.equal(members.get('value')?.evaluateName, 'list->value');
    const next = await vars(members.get('next')?.variablesReference ?? 0);
    assert.deepEqual(values(next), { value: '2', next: '0x00000000' });
    assert.equal(next.get('value')?.evaluateName, '(list->next)->value');
    assert.equal((await evaluate('(list->next)->value')).result, '2');
    assert.equal(next.get('next')?.variablesReference, 0, 'a null pointer does not expand');
    // A pointer to anything else expands to its one target.
    const greeting = (await vars((await scopes(st[0].id)).get('Globals') ?? 0)).get('greeting');
    const chars = await vars(greeting?.variablesReference ?? 0);
    assert.deepEqual(values(chars), { '*greeting': "104 'h'" });
  });

  for (const opt of ['-O0', '-O0 -gdwarf-3']) it(`shows every kind of type among the globals (${opt})`, async () => {
    const k = kernels.get(opt) as CKernel;
    const st = await stopAtLine(k, '/* walk body */');
    const g = await scope(st[0].id, 'Globals');
    const v = values(g);
    assert.equal(v.counter, '7');
    assert.match(v.greeting, /^0x[0-9a-f]{8} "hello"$/);
    assert.equal(v.banner, '"vmexit"');
    assert.equal(v.grid, '[[1, 2, 3], [4, 5, 6]]');
    assert.equal(v.paint, 'GREEN');
    assert.equal(v.status, '{ready = 1, mode = 5, level = -3}');
    assert.equal(v.w, '{value = 287454020, bytes = "D3\\"\\021"}');
    assert.equal(v.op, `0x${k.symbol('add').address.toString(16).padStart(8, '0')} <add>`);
    assert.equal(v.sink, '0');
    assert.deepEqual([v.gain, v.ratio, v.ready, v.big, v.small, v.byte], ['0.5', '1.25', 'true', '-5000000000', '-2', "200 '\\310'"]);
    assert.deepEqual([g.get('gain')?.type, g.get('big')?.type, g.get('ready')?.type], ['float', 'long long int', '_Bool']);
    assert.equal(g.get('op')?.type, 'int (*)(int, int)');
    assert.equal(g.get('grid')?.type, 'int [2][3]');
    assert.equal(g.get('sink')?.type, 'volatile int');
    assert.equal(g.get('greeting')?.type, 'const char *');
    assert.equal(g.get('counter')?.memoryReference, `0x${k.symbol('counter').address.toString(16).padStart(8, '0')}`);
    const rows = await vars(g.get('grid')?.variablesReference ?? 0);
    assert.deepEqual([...rows.keys()], ['[0]', '[1]']);
    const row1 = await vars(rows.get('[1]')?.variablesReference ?? 0);
    assert.deepEqual(values(row1), { '[0]': '4', '[1]': '5', '[2]': '6' });
    assert.equal(row1.get('[2]')?.evaluateName, 'grid[1][2]');
    const bits = await vars(g.get('status')?.variablesReference ?? 0);
    assert.deepEqual(values(bits), { ready: '1', mode: '5', level: '-3' });
  });

  it('shows the variables of a caller frame with that frame\'s registers', async () => {
    const k = kernels.get('-O0') as CKernel;
    const st = await stopAtLine(k, '/* add body */');
    assert.deepEqual(st.map((f) => f.name.split(/[+ ]/)[0]), ['add', 'walk', 'kmain', '_start']);
    assert.deepEqual(values(await scope(st[0].id, 'Arguments')), { a: '0', b: '1' });
    const walk = await scope(st[1].id, 'Locals');
    assert.deepEqual(values(walk), { value: '1', i: '0', total: '0' });
    const kmain = await scope(st[2].id, 'Locals');
    assert.equal(kmain.get('pt')?.value, '{x = 3, y = 4}');
    assert.equal(kmain.get('name')?.value, '"kern"');
    assert.equal(kmain.get('mask')?.value, '255');
    assert.equal(kmain.get('mask')?.type, 'u32');
    assert.deepEqual((await evaluate('pt.y', st[2].id)).result, '4');
    assert.deepEqual((await evaluate('name[1]', st[2].id)).result, "101 'e'");
  });

  it('evaluates C expressions: names, members, ->, indexing, * and &; assembly labels keep their address', async () => {
    const k = kernels.get('-O0') as CKernel;
    await stopAtLine(k, '/* walk body */');
    assert.equal((await evaluate('counter')).result, '7');
    assert.equal((await evaluate('first.next->value')).result, '2');
    assert.equal((await evaluate('list->next->next')).result, '0x00000000');
    assert.equal((await evaluate('grid[1][2]')).result, '6');
    assert.equal((await evaluate('*list')).result, `{value = 1, next = 0x${k.symbol('second').address.toString(16).padStart(8, '0')}}`);
    const address = await evaluate('&counter');
    assert.equal(address.result, `0x${k.symbol('counter').address.toString(16).padStart(8, '0')}`);
    assert.equal(address.type, 'int *');
    const hover = await dc.evaluateRequest({ expression: 'paint', context: 'hover' });
    assert.equal(hover.body.result, 'GREEN');
    const st = await evaluate('status');
    assert.ok(st.variablesReference > 0, 'a structure expands');
    assert.deepEqual(values(await vars(st.variablesReference)), { ready: '1', mode: '5', level: '-3' });
    // _start has no DWARF variable: NASM semantics, its address.
    assert.match((await evaluate('_start')).result, /^0x00010000 /);
    assert.match((await evaluate('eax')).result, /^0x/);
    assert.match(await dc.evaluateRequest({ expression: 'first.nope' }).then(() => '', (e: Error) => e.message), /struct node has no member 'nope'/);
  });

  it('evaluates C arithmetic, comparisons, casts to the program\'s types and pointer arithmetic', async () => {
    const k = kernels.get('-O0') as CKernel;
    await stopAtLine(k, '/* walk body */');
    const hex8 = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;
    const cases: Array<[string, string]> = [
      ['counter * 2 + 1', '15'],
      ['counter - 10', '-3'],
      ['list->value == 1 && limit > 1', '1'],
      ['counter << 4 | 1', '113'],
      ['!list', '0'],
      ['(struct node *)list', hex8(k.symbol('first').address)],
      ['((struct node *)&second)->value', '2'],
      ['(unsigned char)w.value', "68 'D'"],
      ['(u32)-1', '4294967295'],
      ['(enum color)6', 'BLUE'],
      ['*(grid[1] + 1)', '5'],
      ['&grid[1][2] - &grid[0][0]', '5'],
      ['banner[0] == 118', '1'],
      ['greeting[4]', "111 'o'"],
    ];
    for (const [expression, want] of cases) assert.equal((await evaluate(expression)).result, want, expression);
    assert.equal((await evaluate('(struct node *)list')).type, 'struct node *');
    assert.match(await dc.evaluateRequest({ expression: '(struct nothing *)list' }).then(() => '', (e: Error) => e.message), /no type 'struct nothing'/);
    assert.match(await dc.evaluateRequest({ expression: 'counter / (limit - 2)' }).then(() => '', (e: Error) => e.message), /division by zero/);
  });

  it('takes C conditions on breakpoints and C expressions in log messages', async () => {
    const k = kernels.get('-O0') as CKernel;
    const logged: string[] = [];
    dc.on('output', (e: DebugProtocol.OutputEvent) => {
      if (e.body.output.startsWith('walk:')) logged.push(e.body.output.trim());
    });
    await launchWith(dc, { image: k.image, symbols: [k.elf] }, () =>
      dc.setBreakpointsRequest({
        source: { path: k.source },
        breakpoints: [
          { line: k.line('/* walk body */'), condition: 'i == 1 && list->value == 2' },
          { line: k.line('/* call add */'), logMessage: 'walk: total={total} node={*list} name={greeting}' },
        ],
      }),
    );
    assert.equal((await evaluate('i')).result, '1');
    assert.deepEqual(logged, [`walk: total=0 node={value = 1, next = 0x${k.symbol('second').address.toString(16).padStart(8, '0')}} name=${(await evaluate('greeting')).result}`]);
  });

  it('sets data breakpoints on C variables: from the Variables view and from C expressions', async () => {
    const k = kernels.get('-O0') as CKernel;
    const st = await stopAtLine(k, '/* walk body */');
    const globals = (await scopes(st[0].id)).get('Globals') ?? 0;
    const info = await dc.dataBreakpointInfoRequest({ variablesReference: globals, name: 'counter' });
    assert.equal(info.body.dataId, `linear:${k.symbol('counter').address}:4`, info.body.description);
    const member = await dc.dataBreakpointInfoRequest({ name: 'first.next' });
    assert.equal(member.body.dataId, `linear:${k.symbol('first').address + 4}:4`, member.body.description);
    const bits = await dc.dataBreakpointInfoRequest({ name: 'status.mode' });
    assert.equal(bits.body.dataId, `linear:${k.symbol('status').address}:1`, 'a bit field watches the bytes holding it');
    await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId as string, accessType: 'write' }] });
    const hit = await Promise.all([dc.continueRequest({ threadId: 1 }), dc.waitForEvent('stopped')]).then(([, e]) => e as DebugProtocol.StoppedEvent);
    assert.equal(hit.body.reason, 'data breakpoint');
    assert.equal((await evaluate('counter')).result, '8', 'stopped after add wrote counter (7 + 0 + 1)');
    assert.match((await frames(dc))[0].name, /^add/);
    // A variable in a register has no memory to watch.
    await dc.stop();
    dc = await startClient();
    const o2 = kernels.get('-O2') as CKernel;
    const st2 = await stopAtLine(o2, '/* call add */');
    const locals = (await scopes(st2[0].id)).get('Locals') ?? 0;
    const reg = await dc.dataBreakpointInfoRequest({ variablesReference: locals, name: 'i' });
    assert.equal(reg.body.dataId, null);
    assert.match(reg.body.description, /not in memory/);
  });

  it('sets locals, globals, members and bit fields', async () => {
    const k = kernels.get('-O0') as CKernel;
    const st = await stopAtLine(k, '/* walk body */');
    const locals = (await scopes(st[0].id)).get('Locals') ?? 0;
    assert.equal((await dc.setVariableRequest({ variablesReference: locals, name: 'total', value: '40' })).body.value, '40');
    assert.equal((await evaluate('total')).result, '40');
    const globals = (await scopes(st[0].id)).get('Globals') ?? 0;
    await dc.setVariableRequest({ variablesReference: globals, name: 'counter', value: '0x64' });
    assert.equal((await evaluate('counter')).result, '100');
    const status = (await vars(globals)).get('status')?.variablesReference ?? 0;
    await dc.setVariableRequest({ variablesReference: status, name: 'level', value: '-8' });
    assert.equal((await evaluate('status')).result, '{ready = 1, mode = 5, level = -8}');
    await dc.setVariableRequest({ variablesReference: globals, name: 'ratio', value: '2.5e1' });
    assert.equal((await evaluate('ratio')).result, '25');
    assert.equal((await evaluate('ratio / 2')).result, '12.5');
    await dc.setVariableRequest({ variablesReference: globals, name: 'big', value: '-(1 << 40)' });
    assert.equal((await evaluate('big')).result, `${-(2 ** 40)}`);
    await dc.setVariableRequest({ variablesReference: globals, name: 'paint', value: 'BLUE' });
    assert.equal((await evaluate('paint')).result, 'BLUE', 'set by enumerator name');
    assert.equal((await evaluate('paint == BLUE && RED == 0')).result, '1');
    assert.equal((await evaluate('((((((((((counter))))))))))')).result, '100', 'parentheses nest');
    const set = (await dc.customRequest('setExpression', { expression: 'first.value', value: '9' })) as DebugProtocol.SetExpressionResponse;
    assert.equal(set.body.value, '9');
    assert.equal((await evaluate('list->value')).result, '9');
  });

  for (const opt of ['-O1', '-O2', '-O2 -gdwarf-4']) {
    it(`shows optimised code's variables from location lists, in the current and a caller frame (${opt})`, async () => {
      const k = kernels.get(opt) as CKernel;
      const st = await stopAtLine(k, '/* call add */');
      assert.match(st[0].name, /^walk/);
      // First time round: value 1 from first, total 0, i 0.
      assert.deepEqual(values(await scope(st[0].id, 'Locals')), { value: '1', i: '0', total: '0' });
      const args = values(await scope(st[0].id, 'Arguments'));
      assert.deepEqual(args, { list: `0x${k.symbol('first').address.toString(16).padStart(8, '0')}`, limit: '2' });
      // A variable in a register of the current frame is set in that register.
      const locals = (await scopes(st[0].id)).get('Locals') ?? 0;
      assert.equal((await dc.setVariableRequest({ variablesReference: locals, name: 'i', value: '5' })).body.value, '5');
      assert.equal((await evaluate('i')).result, '5');
      const regs = values(await scope(st[0].id, 'Registers'));
      assert.ok(Object.values(regs).some((r) => /^0x0+5\b/.test(r)), `a register holds 5: ${JSON.stringify(regs)}`);
      await dc.setVariableRequest({ variablesReference: locals, name: 'i', value: '0' });
      // In add, walk is a caller: its variables live in registers add saved (the CFI says where) or in its frame.
      await dc.setBreakpointsRequest({ source: { path: k.source }, breakpoints: [{ line: k.line('/* add body */') }] });
      await Promise.all([dc.continueRequest({ threadId: 1 }), dc.waitForEvent('stopped')]);
      const inAdd = await frames(dc);
      assert.deepEqual(inAdd.map((f) => f.name.split(/[+ ]/)[0]), ['add', 'walk', 'kmain', '_start']);
      assert.deepEqual(values(await scope(inAdd[0].id, 'Arguments')), { a: '0', b: '1' });
      const walk = values(await scope(inAdd[1].id, 'Locals'));
      // i lives in a callee-saved register (ESI) that add's CFI restores; value and total were in
      // caller-saved EAX, which the location lists do not cover at the call: optimized out, as GDB says.
      assert.equal(walk.i, '0', JSON.stringify(walk));
      const walkLocals = (await scopes(inAdd[1].id)).get('Locals') ?? 0;
      assert.match(
        await dc.setVariableRequest({ variablesReference: walkLocals, name: 'i', value: '3' }).then(() => 'set', (e: Error) => e.message),
        /cannot be changed/,
        "a caller's register is shown, not written",
      );
      for (const [name, want] of [['value', '1'], ['total', '0']]) {
        assert.ok(walk[name] === want || walk[name] === '<optimized out>', `${name} = ${walk[name]} (${JSON.stringify(walk)})`);
      }
    });
  }
});
