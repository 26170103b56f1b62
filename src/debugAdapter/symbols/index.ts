// The symbol layer of the debug adapter: pure parsing and lookup, no DAP.
//
// Formats (add them to one SymbolTable, several at once, each with a load):
// - NASM listings (`nasm -l x.lst`): lines and labels. org, bin-format
//   sections (start/vstart/follows/vfollows/align), local labels
//   (`parent.local`), EQU constants, struc fields, times/<rep>, long data
//   continuation lines, incbin, %include'd files and macro / %rep
//   expansions (by following the source column; see nasmListing.ts).
// - NASM map files (`[map all x.map]`, bin format) and GNU ld map files
//   (`-Map=x.map`): symbols only.
// - ELF32/ELF64 little-endian objects and executables: .symtab symbols and
//   DWARF 2-5 .debug_line (with the .o's relocations applied; comp_dir from
//   .debug_info; DWARF 5 entry formats with string/line_strp/strp/udata/
//   data1-16 forms).
//
// Limitations:
// - The listing names neither the main source nor included files: the main
//   source is taken as the listing's name with .asm/.nasm/.s/.S/.inc beside
//   it unless `source` is given, includes are looked for beside the
//   including file, the main source, the listing and `includePaths`, and
//   each choice is confirmed against the listing's text (a warning if not).
// - Labels in a false %if branch of a listing are still recorded (the
//   listing shows those lines without saying they were skipped); EQUs are
//   kept only when their value is a plain constant expression.
// - An object-format listing (elf/coff) is placed like a bin file: right
//   only for its first section; give the object file (with -g -F dwarf).
// - A relocatable ELF's allocated sections are laid out in order from the
//   load address of .text, as a linker would place a lone object.
// - Addresses are JavaScript numbers: exact below 2^53 (all of 32-bit and
//   low-half 64-bit space; higher-half kernel addresses are approximate).

import type { LoadSpec } from './types';

export { SymbolTable, nodeSymbolIo } from './table';
export type { AddListingOptions, SymbolTableOptions } from './table';
export type { AddResult, LineResolution, LoadSpec, SourceLocation, SymbolInfo, SymbolIo, SymbolKind } from './types';
export { parseNasmListing } from './nasmListing';
export { parseLdMap, parseNasmMap } from './mapFile';

/** The load of a launch configuration's symbol file entry: an address, a segment, or neither. */
export function loadSpecOf(entry: { address?: number; segment?: number }): LoadSpec {
  if (entry.segment !== undefined) return { kind: 'segment', segment: entry.segment };
  if (entry.address !== undefined) return { kind: 'linear', address: entry.address };
  return { kind: 'auto' };
}
