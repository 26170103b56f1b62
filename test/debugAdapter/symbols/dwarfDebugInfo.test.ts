// The DWARF layer below the adapter, width by width: call frame information
// and unwinding, DIE trees, types and location expressions of gcc -m32 and
// -m64 kernels (x86-64 numbers its registers differently: RSP is 7, RIP 16),
// and the expression machine on hand-written expressions.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SymbolTable } from '../../../src/debugAdapter/symbols';
import { unwindStep } from '../../../src/debugAdapter/symbols/cfi';
import { evaluateLocation, evaluateValue, ExpressionUnavailable, type ExpressionContext } from '../../../src/debugAdapter/symbols/dwarfExpr';
import { DW_TAG } from '../../../src/debugAdapter/symbols/dwarfInfo';
import { registerSet } from '../../../src/debugAdapter/symbols/dwarfRegisters';
import { TypeBuilder, typeName } from '../../../src/debugAdapter/symbols/dwarfTypes';
import { Scratch } from './tools';

const VARS = path.join(__dirname, '..', 'guests', 'ckernel', 'vars.c');

describe('symbols: DWARF DIEs, types, expressions and call frame information', function () {
  this.timeout(60000);
  let s: Scratch;
  before(() => {
    s = new Scratch('dwarfinfo');
    fs.copyFileSync(VARS, s.path('vars.c'));
  });
  after(() => s.remove());

  /** vars.c linked at 0x100000 for a width and optimisation level; the table and symbol addresses. */
  function build(bits: 32 | 64, opt: string): { table: SymbolTable; sym: (n: string) => number } {
    const out = `vars${bits}${opt}`;
    s.run('gcc', [`-m${bits}`, '-g', opt, '-ffreestanding', '-fno-pie', '-fno-pic', '-nostdlib', '-fno-stack-protector', '-c', 'vars.c', '-o', `${out}.o`]);
    s.run('ld', ['-m', bits === 32 ? 'elf_i386' : 'elf_x86_64', '-Ttext=0x100000', '-e', 'kmain', '-o', `${out}.elf`, `${out}.o`]);
    const table = new SymbolTable();
    const r = table.addFile(s.path(`${out}.elf`));
    assert.deepEqual(r.warnings, []);
    return { table, sym: (n) => table.lookupSymbol(n) as number };
  }

  for (const bits of [32, 64] as const) {
    const size = bits / 8;
    const regs = registerSet(size);

    it(`unwinds by the CFA rules at a function's first instruction and after its prologue (-m${bits} -O0)`, () => {
      const { table, sym } = build(bits, '-O0');
      const program = table.programAt(sym('add'));
      assert.ok(program);
      assert.equal(program.addressSize, size);
      const entry = program.cfiRowAt(sym('add'));
      assert.deepEqual(entry?.cfa, { kind: 'register', register: regs.sp, offset: size });
      assert.equal(entry?.returnColumn, regs.pc);
      // After push ebp/rbp and mov: the CFA is the frame pointer + 2 words; the old frame pointer at CFA - 2 words.
      const body = table.lineToAddresses(s.path('vars.c'), fs.readFileSync(VARS, 'utf8').split('\n').findIndex((l) => l.includes('/* add body */')) + 1);
      assert.ok('addresses' in body);
      const row = program.cfiRowAt(body.addresses[0]);
      assert.deepEqual(row?.cfa, { kind: 'register', register: regs.fp, offset: 2 * size });
      assert.deepEqual(row?.registers.get(regs.fp), { kind: 'offset', offset: -2 * size });
      // One step: the stack holds the saved frame pointer, then the return address.
      const fp = 0x8000;
      const memory = new Map([[fp, 0x9000], [fp + size, 0x100123]]);
      const step = unwindStep(row!, new Map([[regs.fp, fp], [regs.sp, fp - 16], [3, 0x33]]), size, (a) => memory.get(a));
      assert.equal(step?.cfa, fp + 2 * size);
      assert.equal(step?.caller.get(regs.pc), 0x100123);
      assert.equal(step?.caller.get(regs.sp), fp + 2 * size);
      assert.equal(step?.caller.get(regs.fp), 0x9000);
      assert.equal(step?.caller.get(3), 0x33, 'RBX/EBX is callee-saved: unchanged');
    });

    it(`reads types and global locations of a -m${bits} unit`, () => {
      const { table, sym } = build(bits, '-O0');
      const program = table.programAt(sym('add'))!;
      const info = program.info;
      assert.equal(info.units[0].header.addressSize, size);
      const types = new TypeBuilder(info);
      const globals = new Map(info.globals(info.units[0]).map((d) => [info.name(d), d]));
      const names = Object.fromEntries([...globals].map(([n, d]) => [n, typeName(types.typeOfObject(d))]));
      assert.deepEqual(names, {
        counter: 'int', greeting: 'const char *', banner: 'char [16]', grid: 'int [2][3]', paint: 'enum color', status: 'struct flags',
        w: 'union word', second: 'struct node', first: 'struct node', op: 'int (*)(int, int)', sink: 'volatile int',
        gain: 'float', ratio: 'double', ready: '_Bool', big: 'long long int', small: 'short int', byte: 'unsigned char',
      });
      const node = types.typeOfObject(globals.get('first')!);
      assert.equal(node.kind === 'struct' && node.members.map((m) => `${m.name}@${m.offset}`).join(' '), `value@0 next@${size}`);
      const ctx: ExpressionContext = { addressSize: size, register: () => undefined, readMemory: () => undefined };
      const expr = info.locationAt(globals.get('counter')!, 0);
      assert.ok(expr instanceof Uint8Array);
      assert.deepEqual(evaluateLocation(expr, ctx), { kind: 'memory', address: sym('counter') });
      const fn = info.functionAt(sym('walk') + 8);
      assert.equal(fn && info.name(fn), 'walk');
      assert.deepEqual(fn?.children.filter((c) => c.tag === DW_TAG.formalParameter).map((c) => info.name(c)), ['list', 'limit']);
    });
  }

  it('evaluates DWARF expressions: registers, pieces, stack values, branches, frame base and CFA', () => {
    const ctx: ExpressionContext = {
      addressSize: 4,
      register: (n) => (n === 5 ? 0x1000 : n === 0 ? 0xfffffffe : undefined),
      readMemory: (a, n) => (a === 0x2000 && n === 4 ? 0x11223344 : undefined),
      frameBase: () => 0x3000,
      cfa: () => 0x4000,
    };
    const e = (...b: number[]) => Uint8Array.from(b);
    assert.deepEqual(evaluateLocation(e(0x75, 0x7c), ctx), { kind: 'memory', address: 0xffc }, 'DW_OP_breg5 -4');
    assert.deepEqual(evaluateLocation(e(0x91, 0x08), ctx), { kind: 'memory', address: 0x3008 }, 'DW_OP_fbreg 8');
    assert.deepEqual(evaluateLocation(e(0x9c, 0x23, 0x04), ctx), { kind: 'memory', address: 0x4004 }, 'DW_OP_call_frame_cfa; plus_uconst 4');
    assert.deepEqual(evaluateLocation(e(0x50), ctx), { kind: 'register', register: 0 }, 'DW_OP_reg0');
    assert.deepEqual(evaluateLocation(e(0x70, 0x02, 0x9f), ctx), { kind: 'value', value: 0 }, 'DW_OP_breg0 2; stack_value wraps at 32 bits');
    assert.deepEqual(evaluateLocation(e(0x0c, 0x00, 0x20, 0x00, 0x00, 0x06, 0x9f), ctx), { kind: 'value', value: 0x11223344 }, 'const4u; deref');
    assert.deepEqual(evaluateLocation(e(0x33, 0x9f, 0x93, 0x04, 0x50, 0x93, 0x04), ctx), {
      kind: 'pieces',
      pieces: [
        { location: { kind: 'value', value: 3 }, bits: 32, bitOffset: 0 },
        { location: { kind: 'register', register: 0 }, bits: 32, bitOffset: 0 },
      ],
    });
    // lit1; bra +1 (taken); lit5 (skipped); lit7 -> 7
    assert.equal(evaluateValue(e(0x31, 0x28, 0x01, 0x00, 0x35, 0x37), ctx), 7);
    assert.deepEqual(evaluateLocation(e(), ctx), { kind: 'empty' }, 'an empty expression: optimized out');
    assert.throws(() => evaluateValue(e(0x71, 0x00), { ...ctx, register: () => undefined }), ExpressionUnavailable, 'DW_OP_breg1 with ECX unknown in the frame');
    // lit2; skip +1; lit5 (skipped); lit3; plus -> 5
    assert.equal(evaluateValue(e(0x32, 0x2f, 0x01, 0x00, 0x35, 0x33, 0x22), ctx), 5);
    assert.throws(() => evaluateValue(e(0x2f, 0xfd, 0xff), ctx), /runs too long/, 'a skip back to itself is cut off');
  });
});
