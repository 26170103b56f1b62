// NASM listings (nasm -l) assembled at test time: a boot sector with org
// 0x7C00, labels and local labels, a macro, times and %include; a
// multi-section bin file checked against NASM's own map file; macros
// defined in an included file; segment and linear loads; path matching.

import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { SymbolTable } from '../../../src/debugAdapter/symbols';
import { Scratch, hex, lineOf } from './tools';

const BOOT = `bits 16
org 0x7c00
%macro PUTC 1
    mov al, %1
    call print_char
%endmacro
start:
    cli
    xor ax, ax
    mov ds, ax
.loop:
    PUTC 'A'
    jmp .loop

msg: db "Hello, world, this is a long message that wraps the hex column", 0
%include "lib/inc.asm"
data: dw 1,2,3

    times 510-($-$$) db 0
    dw 0xaa55
`;

const INC = `; included file
print_char:
    mov ah, 0x0e
    int 0x10
.out: ret
`;

describe('symbols: NASM listing', function () {
  this.timeout(20000);
  let s: Scratch;
  let boot: string;
  let inc: string;
  let table: SymbolTable;

  before(function () {
    s = new Scratch('lst');
    boot = s.write('boot.asm', BOOT);
    inc = s.write('lib/inc.asm', INC);
    s.run('nasm', ['-f', 'bin', '-l', 'boot.lst', '-o', 'boot.bin', 'boot.asm']);
    table = new SymbolTable();
    const r = table.addListing(s.path('boot.lst'), s.read('boot.lst'));
    assert.deepEqual(r.warnings, []);
    assert.equal(r.format, 'nasm-listing');
    assert.deepEqual(r.sourceFiles, [boot, inc].sort());
  });
  after(() => s.remove());

  it('gives labels their org-based addresses, local labels as parent.local', function () {
    assert.equal(hex(table.lookupSymbol('start')), '0x7c00');
    assert.equal(hex(table.lookupSymbol('start.loop')), '0x7c05');
    assert.equal(hex(table.lookupSymbol('msg')), '0x7c0c');
    assert.equal(hex(table.lookupSymbol('print_char')), '0x7c4b');
    assert.equal(hex(table.lookupSymbol('print_char.out')), '0x7c4f');
    assert.equal(hex(table.lookupSymbol('data')), '0x7c50');
    assert.equal(table.lookupSymbol('nonesuch'), undefined);
    // `.loop` alone: unique, or by the scope of an address.
    assert.equal(hex(table.lookupSymbol('.loop')), '0x7c05');
    assert.equal(hex(table.lookupSymbol('.out', 0x7c4d)), '0x7c4f');
    assert.equal(table.lookupSymbol('.out', 0x7c00), 0x7c4f); // only one .out anyway
    // Case-insensitive fallback when unique.
    assert.equal(hex(table.lookupSymbol('START')), '0x7c00');
  });

  it('resolves source lines to addresses, moving forward to code', function () {
    assert.deepEqual(table.lineToAddresses(boot, 8), { line: 8, addresses: [0x7c00] });
    assert.deepEqual(table.lineToAddresses(boot, 7), { line: 8, addresses: [0x7c00] }); // `start:` label line
    assert.deepEqual(table.lineToAddresses(boot, 1), { line: 8, addresses: [0x7c00] });
    assert.deepEqual(table.lineToAddresses(boot, 10), { line: 10, addresses: [0x7c03] });
    assert.deepEqual(table.lineToAddresses(boot, 11), { line: 12, addresses: [0x7c05] }); // macro call: its first byte only
    assert.deepEqual(table.lineToAddresses(boot, 13), { line: 13, addresses: [0x7c0a] });
    // A data line asked for directly is honoured; data lines are not "code" to move to.
    assert.deepEqual(table.lineToAddresses(boot, 15), { line: 15, addresses: [0x7c0c] });
    assert.deepEqual(table.lineToAddresses(boot, 19), { line: 19, addresses: [0x7c56] });
    assert.deepEqual(table.lineToAddresses(boot, 14), { error: 'no code at or after line 14 in boot.asm' });
  });

  it('maps macro body lines to every expansion', function () {
    assert.deepEqual(table.lineToAddresses(boot, 4), { line: 4, addresses: [0x7c05] });
    assert.deepEqual(table.lineToAddresses(boot, 5), { line: 5, addresses: [0x7c07] });
    // Addresses in an expansion report the invoking line, with the expansion's whole range.
    assert.deepEqual(table.addressToLine(0x7c07), { path: boot, line: 12, start: 0x7c05, end: 0x7c0a, bits: 16 });
  });

  it('maps %include lines to the included file', function () {
    assert.deepEqual(table.lineToAddresses(inc, 2), { line: 3, addresses: [0x7c4b] });
    assert.deepEqual(table.lineToAddresses(inc, 5), { line: 5, addresses: [0x7c4f] });
    assert.deepEqual(table.addressToLine(0x7c4e), { path: inc, line: 4, start: 0x7c4d, end: 0x7c4f, bits: 16 });
    assert.deepEqual(table.addressToLine(0x7c50), { path: boot, line: 17, start: 0x7c50, end: 0x7c56, bits: 16 });
  });

  it('covers continuation lines and times with their whole size', function () {
    assert.deepEqual(table.addressToLine(0x7c4a), { path: boot, line: 15, start: 0x7c0c, end: 0x7c4b, bits: 16 });
    assert.deepEqual(table.addressToLine(0x7dfd), { path: boot, line: 19, start: 0x7c56, end: 0x7dfe, bits: 16 });
    assert.deepEqual(table.addressToLine(0x7dff), { path: boot, line: 20, start: 0x7dfe, end: 0x7e00, bits: 16 });
    assert.equal(table.addressToLine(0x7e00), null);
    assert.equal(table.addressToLine(0x7bff), null);
  });

  it('names addresses as symbol+offset', function () {
    assert.deepEqual(table.symbolAt(0x7c00), { name: 'start', offset: 0 });
    assert.deepEqual(table.symbolAt(0x7c03), { name: 'start', offset: 3 });
    assert.deepEqual(table.symbolAt(0x7c0a), { name: 'start.loop', offset: 5 });
    assert.deepEqual(table.symbolAt(0x7dff), { name: 'data', offset: 0x1af });
    assert.equal(table.symbolAt(0x7e00), null); // past the code the listing covers
    assert.equal(table.symbolAt(0x7bff), null);
  });

  it('matches the editor path to the listing path: exact, other folder, not another case', function () {
    assert.deepEqual(table.lineToAddresses('/elsewhere/project/boot.asm', 8), { line: 8, addresses: [0x7c00] });
    assert.deepEqual(table.lineToAddresses(path.join('/x', 'lib', 'inc.asm'), 3), { line: 3, addresses: [0x7c4b] });
    assert.deepEqual(table.lineToAddresses('/elsewhere/other.asm', 8), { error: 'other.asm is not covered by any symbol file (add its NASM listing, map file or ELF to "symbols" in the launch configuration)' });
    const sensitive = new SymbolTable(undefined, { caseSensitivePaths: true });
    sensitive.addListing(s.path('boot.lst'), s.read('boot.lst'));
    assert.ok('error' in sensitive.lineToAddresses(path.join(s.dir, 'BOOT.asm'), 8));
    assert.deepEqual(table.sourceFiles(), [boot, inc].sort());
  });

  it('applies a segment or linear load to code assembled at org 0', function () {
    const src = s.write('seg.asm', 'bits 16\nstart: jmp short .go\n.go: mov ax, cs\n  jmp $\n');
    s.run('nasm', ['-f', 'bin', '-l', 'seg.lst', '-o', 'seg.bin', 'seg.asm']);
    const t = new SymbolTable();
    t.addListing(s.path('seg.lst'), s.read('seg.lst'), { kind: 'segment', segment: 0x7c0 });
    assert.equal(hex(t.lookupSymbol('start.go')), '0x7c02');
    assert.equal(t.symbolInfo('start.go')?.value, 2);
    assert.deepEqual(t.lineToAddresses(src, 3), { line: 3, addresses: [0x7c02] });
    const u = new SymbolTable();
    u.addListing(s.path('seg.lst'), s.read('seg.lst'), { kind: 'linear', address: 0x20000 });
    assert.equal(hex(u.lookupSymbol('start.go')), '0x20002');
    assert.deepEqual(u.addressToLine(0x20005), { path: src, line: 4, start: 0x20004, end: 0x20006, bits: 16 });
  });

  it('finds the main source from the source option when the listing is elsewhere', function () {
    s.write('out/.keep', '');
    s.run('nasm', ['-f', 'bin', '-l', 'out/b.lst', '-o', 'out/b.bin', 'boot.asm']);
    const t = new SymbolTable();
    const r = t.addListing(s.path('out/b.lst'), s.read('out/b.lst'), { kind: 'auto' }, { source: '../boot.asm' });
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(t.lineToAddresses(boot, 9), { line: 9, addresses: [0x7c01] });
    const lost = new SymbolTable();
    const r2 = lost.addListing(s.path('out/b.lst'), s.read('out/b.lst'));
    assert.match(r2.warnings.join('\n'), /main source file not found/);
  });

  it('finds the main source one folder above the listing (a build folder) under the listing\'s name', function () {
    s.write('build/.keep', '');
    s.run('nasm', ['-f', 'bin', '-l', 'build/boot.lst', '-o', 'build/boot.bin', 'boot.asm']);
    const t = new SymbolTable();
    const r = t.addListing(s.path('build/boot.lst'), s.read('build/boot.lst'));
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(t.lineToAddresses(boot, 9), { line: 9, addresses: [0x7c01] });
    assert.equal(t.addressToLine(0x7c01)?.path, boot);
  });

  it('rejects a file that is not a listing', function () {
    assert.throws(() => new SymbolTable().addListing('x.lst', 'hello\nworld\n'), /x\.lst is not a NASM listing/);
  });
});

describe('symbols: NASM listing with sections, macros from an include, %rep', function () {
  this.timeout(20000);
  let s: Scratch;
  let main: string;
  let minc: string;
  let table: SymbolTable;
  const MAIN = `[map all t.map]
bits 16
org 0x100
%include "m.inc"
struc pt
  .x resw 1
  .y resw 1
endstruc
section .text
main:
    TWICE msg
    %rep 2
    nop
    %endrep
    align 8
puts: ret
msg db "hi", 0
section .data
val: dd 5
.second: dw 7
section .bss
buf: resb 16
section .high align=16
hi1: db 1
section .moved vstart=0x9000
far1: nop
far2: ret
section .text
tail: hlt
`;
  const MINC = `%macro SAY 1
    mov si, %1
    call puts
%endmacro
%macro TWICE 1
    SAY %1
    SAY %1
%endmacro
%include "sub.inc"
`;

  before(function () {
    s = new Scratch('sect');
    main = s.write('t.asm', MAIN);
    minc = s.write('m.inc', MINC);
    s.write('sub.inc', 'CONST equ 0x42\n');
    s.run('nasm', ['-f', 'bin', '-l', 't.lst', '-o', 't.bin', 't.asm']);
    table = new SymbolTable();
    assert.deepEqual(table.addListing(s.path('t.lst'), s.read('t.lst')).warnings, []);
  });
  after(() => s.remove());

  it('places every label where NASM\'s own map file says', function () {
    const map = new SymbolTable();
    map.addMapFile(s.path('t.map'), s.read('t.map'));
    const labels = map.allSymbols().filter((x) => x.kind === 'label');
    assert.ok(labels.length >= 10, `map labels: ${labels.map((x) => x.name)}`);
    for (const l of labels) assert.equal(hex(table.lookupSymbol(l.name)), hex(l.address), l.name);
    assert.equal(hex(table.lookupSymbol('val.second')), '0x' + (map.lookupSymbol('val')! + 4).toString(16));
  });

  it('keeps EQU and struc values as constants', function () {
    assert.equal(table.lookupSymbol('CONST'), 0x42);
    assert.equal(table.lookupSymbol('pt.y'), 2);
    assert.equal(table.symbolInfo('pt.y')?.kind, 'constant');
    assert.equal(table.symbolAt(0x42), null);
  });

  it('maps macro lines of an included file, nested expansions and %rep', function () {
    const line = (m: string, n = 1) => lineOf(MINC, m, n);
    assert.deepEqual(table.lineToAddresses(minc, line('mov si')), { line: 2, addresses: [0x100, 0x106] });
    assert.deepEqual(table.lineToAddresses(minc, line('call puts')), { line: 3, addresses: [0x103, 0x109] });
    assert.deepEqual(table.lineToAddresses(minc, line('SAY %1', 1)), { line: 6, addresses: [0x100] });
    assert.deepEqual(table.lineToAddresses(minc, line('SAY %1', 2)), { line: 7, addresses: [0x106] });
    const twice = lineOf(MAIN, 'TWICE msg');
    assert.deepEqual(table.lineToAddresses(main, twice), { line: twice, addresses: [0x100] });
    assert.deepEqual(table.addressToLine(0x109), { path: main, line: twice, start: 0x100, end: 0x10c, bits: 16 });
    const nop = lineOf(MAIN, 'nop');
    assert.deepEqual(table.lineToAddresses(main, nop), { line: nop, addresses: [0x10c, 0x10d] });
    assert.deepEqual(table.lineToAddresses(main, lineOf(MAIN, 'tail:')), { line: lineOf(MAIN, 'tail:'), addresses: [table.lookupSymbol('tail')!] });
    assert.deepEqual(table.lineToAddresses(main, lineOf(MAIN, 'far2')), { line: lineOf(MAIN, 'far2'), addresses: [0x9001] });
  });
});
