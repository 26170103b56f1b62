// Map files written by the real tools: NASM's [map all] (bin format) and
// GNU ld's -Map, with the loads a launch configuration may give, and
// SymbolTable.addFile's format detection.

import { strict as assert } from 'node:assert';
import { SymbolTable, loadSpecOf } from '../../../src/debugAdapter/symbols';
import { Scratch, hex } from './tools';

describe('symbols: map files', function () {
  this.timeout(30000);
  let s: Scratch;

  before(function () {
    s = new Scratch('map');
    s.write(
      'loader.asm',
      `[map all loader.map]
bits 16
org 0x500
STACK_TOP equ 0x7000
entry:
    mov sp, STACK_TOP
.spin:
    jmp .spin
section .data
greeting: db "hi", 0
section .bss
buffer: resb 32
`,
    );
    s.run('nasm', ['-f', 'bin', '-l', 'loader.lst', '-o', 'loader.bin', 'loader.asm']);
    s.write(
      'kmain.c',
      `int ticks;
void tick(void) { ticks++; }
int main(void) { for (;;) tick(); }
`,
    );
    s.write(
      'entry.asm',
      `bits 32
section .text
global _start
extern main
_start:
    call main
    hlt
`,
    );
    s.run('nasm', ['-f', 'elf32', '-o', 'entry.o', 'entry.asm']);
    // -O2 puts main in .text.startup: a long input section name on its own line.
    s.run('gcc', ['-m32', '-O2', '-fno-pic', '-fno-asynchronous-unwind-tables', '-c', 'kmain.c', '-o', 'kmain.o']);
    s.run('ld', ['-m', 'elf_i386', '-Ttext=0x100000', '-Map=kernel.map', '-o', 'kernel.elf', 'entry.o', 'kmain.o']);
  });
  after(() => s.remove());

  it('reads a NASM map: labels at their virtual addresses, EQUs as constants', function () {
    const table = new SymbolTable();
    const r = table.addMapFile(s.path('loader.map'), s.read('loader.map'));
    assert.equal(r.format, 'nasm-map');
    assert.equal(hex(table.lookupSymbol('entry')), '0x500');
    assert.equal(hex(table.lookupSymbol('entry.spin')), '0x503');
    assert.equal(hex(table.lookupSymbol('greeting')), '0x508'); // .data aligned to 4 after 5 bytes of .text
    assert.equal(hex(table.lookupSymbol('buffer')), '0x50c');
    assert.equal(table.lookupSymbol('STACK_TOP'), 0x7000);
    assert.equal(table.symbolInfo('STACK_TOP')?.kind, 'constant');
    assert.deepEqual(table.symbolAt(0x504), { name: 'entry.spin', offset: 1 });
    assert.deepEqual(table.sourceFiles(), []);
  });

  it('moves a NASM map by a linear load (relative to .text) or a segment', function () {
    const lin = new SymbolTable();
    lin.addMapFile(s.path('loader.map'), s.read('loader.map'), { kind: 'linear', address: 0x10000 });
    assert.equal(hex(lin.lookupSymbol('entry')), '0x10000');
    assert.equal(hex(lin.lookupSymbol('buffer')), '0x1000c');
    assert.equal(lin.lookupSymbol('STACK_TOP'), 0x7000); // constants do not move
    const seg = new SymbolTable();
    seg.addMapFile(s.path('loader.map'), s.read('loader.map'), loadSpecOf({ segment: 0x1000 }));
    assert.deepEqual(loadSpecOf({ address: 0x7c00 }), { kind: 'linear', address: 0x7c00 });
    assert.deepEqual(loadSpecOf({}), { kind: 'auto' });
    assert.equal(hex(seg.lookupSymbol('entry.spin')), '0x10503');
  });

  it('reads a GNU ld map: symbols, script assignments, long section names', function () {
    const table = new SymbolTable();
    const r = table.addMapFile(s.path('kernel.map'), s.read('kernel.map'));
    assert.equal(r.format, 'ld-map');
    const elf = new SymbolTable();
    elf.addElf(s.path('kernel.elf'), s.bytes('kernel.elf'));
    // ld's script puts .text.startup (main at -O2) first in .text, then entry.o's .text aligned to 16.
    assert.equal(hex(table.lookupSymbol('main')), '0x100000');
    assert.equal(hex(table.lookupSymbol('_start')), '0x100010');
    for (const name of ['_start', 'main', 'tick', 'ticks', '_edata', '__bss_start', '_end']) {
      assert.equal(hex(table.lookupSymbol(name)), hex(elf.lookupSymbol(name)), name);
    }
    assert.deepEqual(table.symbolAt(table.lookupSymbol('tick')! + 2), { name: 'tick', offset: 2 });
  });

  it('moves an ld map by a linear load relative to .text', function () {
    const table = new SymbolTable();
    table.addMapFile(s.path('kernel.map'), s.read('kernel.map'), { kind: 'linear', address: 0x200000 });
    assert.equal(hex(table.lookupSymbol('main')), '0x200000');
    assert.equal(hex(table.lookupSymbol('_start')), '0x200010');
    assert.equal(table.symbolInfo('_start')?.value, 0x100010);
  });

  it('detects the format of a file (addFile) and rejects unknown ones', function () {
    const table = new SymbolTable();
    assert.equal(table.addFile(s.path('loader.map')).format, 'nasm-map');
    assert.equal(table.addFile(s.path('kernel.map')).format, 'ld-map');
    assert.equal(table.addFile(s.path('loader.lst')).format, 'nasm-listing');
    assert.equal(table.addFile(s.path('kernel.elf')).format, 'elf');
    assert.deepEqual(table.lineToAddresses(s.path('loader.asm'), 7), { line: 8, addresses: [0x503] });
    s.write('junk.txt', 'nothing to see\n');
    assert.throws(() => table.addFile(s.path('junk.txt')), /junk\.txt: unknown symbol file format/);
    assert.throws(() => table.addFile(s.path('missing.map')), /cannot read symbol file .*missing\.map/);
    assert.throws(() => table.addMapFile('x.map', 'hello'), /x\.map is neither a NASM map file nor a GNU ld map file/);
  });
});
