// ELF files with DWARF line information, built at test time: gcc -g for
// DWARF 2, 3, 4 and 5 in 32- and 64-bit objects (REL and RELA relocations
// of .debug_line / .debug_info / .debug_line_str), nasm -f elf32/elf64
// -g -F dwarf, and a kernel linked with ld -Ttext=0x100000. The line
// tables are checked against readelf's decoded dump of the same file.

import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { SymbolTable } from '../../../src/debugAdapter/symbols';
import { Scratch, hex, lineOf } from './tools';

const HEADER = `static int twice(int x)
{
    return 2 * x; /* TWICE */
}
`;

const C_SOURCE = `#include "h.h"
int counter;
int add(int a, int b) /* ADD */
{
    int s = a + b; /* SUM */
    for (int i = 0; i < 3; i++) /* LOOP */
        s += twice(i); /* BODY */
    return s; /* RET */
}

void helper(void) { counter++; } /* HELPER */
/* A long line, so the line program uses DW_LNS_const_add_pc. */
int big(int a) { int r = a*3+a/5+a%7+(a<<3)-(a>>2)+a*11+a/13+a%17+a/19+a%23; /* BIG */
    return r; }
`;

const ASM_SOURCE = `bits 32
section .text
global start
extern add
start:
    mov eax, 1
.loop:
    dec eax
    jnz .loop
    push 2
    push 3
    call add
    hlt
section .data
val: dd 7
`;

interface OracleRow {
  file: string;
  line: number;
  address: number;
  stmt: boolean;
}

/** readelf's decoded line table: every row with a line number. */
function readelfRows(s: Scratch, file: string): OracleRow[] {
  const out = s.run('readelf', ['--debug-dump=decodedline', file]);
  const rows: OracleRow[] = [];
  for (const l of out.split('\n')) {
    const m = /^(\S+)\s+(\d+)\s+(0x[0-9a-f]+|\d+)(?:\s+\d+)?(\s+x)?\s*$/.exec(l);
    if (m) rows.push({ file: m[1], line: Number(m[2]), address: Number(m[3]), stmt: m[4] !== undefined });
  }
  assert.ok(rows.length > 5, `readelf gave no rows:\n${out}`);
  return rows;
}

/** Every oracle address maps to the oracle's line; every line resolves to one of its own addresses. */
function checkAgainstOracle(table: SymbolTable, rows: OracleRow[], bias: number, files: Map<string, string>): void {
  const last = new Map<number, OracleRow>();
  for (const r of rows) last.set(r.address, r);
  for (const [address, r] of last) {
    const loc = table.addressToLine(address + bias);
    assert.ok(loc, `no line for ${hex(address + bias)}`);
    assert.equal(`${path.basename(loc.path)}:${loc.line}`, `${r.file}:${r.line}`, `line of ${hex(address + bias)}`);
  }
  const byLine = new Map<string, number[]>();
  for (const r of rows) {
    if (!r.stmt) continue;
    const key = `${r.file}:${r.line}`;
    byLine.set(key, [...(byLine.get(key) ?? []), r.address + bias]);
  }
  for (const [key, addresses] of byLine) {
    const [file, line] = key.split(':');
    const res = table.lineToAddresses(files.get(file) ?? file, Number(line));
    assert.ok(!('error' in res), `${key}: ${'error' in res ? res.error : ''}`);
    assert.equal(res.line, Number(line), key);
    assert.ok(res.addresses.includes(Math.min(...addresses)), `${key}: ${res.addresses.map(hex)} lacks ${hex(Math.min(...addresses))}`);
    for (const a of res.addresses) assert.ok(addresses.includes(a), `${key}: ${hex(a)} is not a row of that line`);
  }
}

describe('symbols: ELF with DWARF line information', function () {
  this.timeout(60000);
  let s: Scratch;
  let cFile: string;
  let hFile: string;
  let files: Map<string, string>;

  before(function () {
    s = new Scratch('elf');
    cFile = s.write('c.c', C_SOURCE);
    hFile = s.write('inc/h.h', HEADER);
    s.write('k.asm', ASM_SOURCE);
    files = new Map([
      ['c.c', cFile],
      ['h.h', hFile],
      ['k.asm', s.path('k.asm')],
    ]);
  });
  after(() => s.remove());

  for (const bits of [32, 64]) {
    for (const version of [2, 3, 4, 5]) {
      it(`reads gcc -m${bits} -gdwarf-${version} objects at a load address`, function () {
        const obj = `c${bits}-${version}.o`;
        // Relative names: the paths come from DW_AT_comp_dir / directory 0.
        s.run('gcc', [`-m${bits}`, `-gdwarf-${version}`, '-O0', '-fno-pic', '-Iinc', '-c', 'c.c', '-o', obj]);
        const table = new SymbolTable();
        const r = table.addElf(s.path(obj), s.bytes(obj), { kind: 'linear', address: 0x200000 });
        assert.deepEqual(r.warnings, []);
        assert.deepEqual(table.sourceFiles(), [cFile, hFile].sort());
        const add = table.lookupSymbol('add');
        const helper = table.lookupSymbol('helper');
        const twice = table.lookupSymbol('twice');
        assert.ok(add !== undefined && helper !== undefined && twice !== undefined);
        assert.equal(table.symbolInfo('add')?.kind, 'function');
        // `twice` comes first in .text (it is defined first): .text starts at the load address.
        assert.equal(hex(twice), '0x200000');
        // A breakpoint on the function's header line moves to its `{` line, at the entry.
        const addLine = lineOf(C_SOURCE, 'ADD');
        assert.deepEqual(table.lineToAddresses(cFile, addLine), { line: addLine + 1, addresses: [add] });
        assert.deepEqual(table.lineToAddresses(hFile, 1), { line: 2, addresses: [twice] });
        assert.equal(table.addressToLine(helper)?.line, lineOf(C_SOURCE, 'HELPER'));
        assert.equal(table.addressToLine(add + 1)?.line, addLine + 1);
        assert.deepEqual(table.symbolAt(add + 3), { name: 'add', offset: 3 });
        // The loop line has two blocks (init, and condition after the body).
        const loop = table.lineToAddresses(cFile, lineOf(C_SOURCE, 'LOOP'));
        assert.ok(!('error' in loop) && loop.addresses.length === 2, JSON.stringify(loop));
        assert.deepEqual(table.lineToAddresses(cFile, 10), { line: 11, addresses: [helper] });
        const last = lineOf(C_SOURCE, 'return r;');
        assert.deepEqual(table.lineToAddresses(cFile, last + 1), { error: `no code at or after line ${last + 1} in c.c` });
        assert.equal(table.addressToLine(table.lookupSymbol('big')! + 0x40)?.line, lineOf(C_SOURCE, 'BIG'));
        // readelf relocates a .o's sections to 0 as this reader does.
        checkAgainstOracle(table, readelfRows(s, obj), 0x200000, files);
      });
    }
  }

  it('reads nasm -f elf32 -g -F dwarf objects (local labels as parent.local)', function () {
    s.run('nasm', ['-f', 'elf32', '-g', '-F', 'dwarf', '-o', 'k32.o', 'k.asm']);
    const table = new SymbolTable();
    table.addElf(s.path('k32.o'), s.bytes('k32.o'), { kind: 'linear', address: 0x7000 });
    assert.equal(hex(table.lookupSymbol('start')), '0x7000');
    assert.equal(hex(table.lookupSymbol('start.loop')), '0x7005');
    const k = s.path('k.asm');
    assert.deepEqual(table.lineToAddresses(k, lineOf(ASM_SOURCE, '.loop:')), { line: lineOf(ASM_SOURCE, 'dec eax'), addresses: [0x7005] });
    assert.deepEqual(table.addressToLine(0x7007), { path: k, line: lineOf(ASM_SOURCE, 'jnz'), start: 0x7006, end: 0x7008 });
    assert.deepEqual(table.symbolAt(0x7006), { name: 'start.loop', offset: 1 });
    checkAgainstOracle(table, readelfRows(s, 'k32.o'), 0x7000, files);
  });

  it('reads nasm -f elf64 -g -F dwarf objects (RELA)', function () {
    s.run('nasm', ['-f', 'elf64', '-g', '-F', 'dwarf', '-o', 'k64.o', 'k.asm']);
    const table = new SymbolTable();
    table.addElf(s.path('k64.o'), s.bytes('k64.o'), { kind: 'linear', address: 0x400000 });
    assert.equal(hex(table.lookupSymbol('start.loop')), '0x400005');
    checkAgainstOracle(table, readelfRows(s, 'k64.o'), 0x400000, files);
  });

  it('reads gcc -g objects of preprocessed GNU assembler (.S)', function () {
    const src = s.write(
      'entry.S',
      `#define MAGIC 0x1badb002
    .code32
    .text
    .globl entry
entry:
    movl $MAGIC, %eax
1:  decl %eax
    jnz 1b
    hlt
`,
    );
    s.run('gcc', ['-m32', '-g', '-c', 'entry.S', '-o', 'entry.o']);
    const table = new SymbolTable();
    table.addElf(s.path('entry.o'), s.bytes('entry.o'), { kind: 'linear', address: 0x9000 });
    const S = (m: string) => lineOf(s.read('entry.S'), m);
    assert.equal(hex(table.lookupSymbol('entry')), '0x9000');
    assert.deepEqual(table.lineToAddresses(src, S('entry:')), { line: S('movl'), addresses: [0x9000] });
    assert.deepEqual(table.lineToAddresses(src, S('decl')), { line: S('decl'), addresses: [0x9005] });
    assert.deepEqual(table.addressToLine(0x9008), { path: src, line: S('hlt'), start: 0x9008, end: 0x9009 });
  });

  it('reads a kernel linked with ld -Ttext=0x100000 (auto and segment loads)', function () {
    s.run('nasm', ['-f', 'elf32', '-g', '-F', 'dwarf', '-o', 'k.o', 'k.asm']);
    s.run('gcc', ['-m32', '-g', '-O0', '-fno-pic', '-fno-asynchronous-unwind-tables', '-Iinc', '-c', 'c.c', '-o', 'c.o']);
    s.run('ld', ['-m', 'elf_i386', '-Ttext=0x100000', '-e', 'start', '-Map=kernel.map', '-o', 'kernel.elf', 'k.o', 'c.o']);
    const table = new SymbolTable();
    const r = table.addFile(s.path('kernel.elf'));
    assert.equal(r.format, 'elf');
    assert.deepEqual(r.warnings, []);
    assert.equal(hex(table.lookupSymbol('start')), '0x100000');
    assert.equal(table.lookupSymbol('val'), table.lookupSymbol('val'));
    assert.deepEqual(table.sourceFiles(), [cFile, s.path('k.asm'), hFile].sort());
    checkAgainstOracle(table, readelfRows(s, 'kernel.elf'), 0, files);
    // The same file loaded in a segment: everything moves by segment * 16.
    const seg = new SymbolTable();
    seg.addElf(s.path('kernel.elf'), s.bytes('kernel.elf'), { kind: 'segment', segment: 0x1000 });
    assert.equal(hex(seg.lookupSymbol('start')), '0x110000');
    assert.equal(seg.addressToLine(0x110000)?.line, lineOf(ASM_SOURCE, 'mov eax, 1'));
    // Symbols from several files at once: the ld map agrees with the ELF.
    table.addMapFile(s.path('kernel.map'), s.read('kernel.map'));
    for (const name of ['start', 'add', 'helper']) {
      const all = table.allSymbols().filter((x) => x.name === name);
      assert.equal(all.length, 2, name);
      assert.equal(all[0].address, all[1].address, name);
    }
  });

  it('warns about a relocatable object without a load address and an ELF without -g', function () {
    s.run('gcc', ['-m32', '-O0', '-Iinc', '-c', 'c.c', '-o', 'nodebug.o']);
    const table = new SymbolTable();
    const r = table.addElf(s.path('nodebug.o'), s.bytes('nodebug.o'));
    assert.match(r.warnings.join('\n'), /no line information/);
    assert.match(r.warnings.join('\n'), /relocatable object/);
    assert.ok(table.lookupSymbol('add') !== undefined);
  });

  it('rejects files that are not ELF, or truncated ones, by name', function () {
    const table = new SymbolTable();
    assert.throws(() => table.addElf('/x/not.elf', new Uint8Array(64)), /not\.elf is not an ELF file/);
    s.run('gcc', ['-m32', '-g', '-Iinc', '-c', 'c.c', '-o', 'cut.o']);
    const bytes = s.bytes('cut.o');
    assert.throws(() => table.addElf('/x/cut.o', bytes.subarray(0, bytes.length - 200)), /cut\.o: section header table/);
  });
});
