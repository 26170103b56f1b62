// The symbol layer of the debug adapter: NASM listings, NASM and GNU ld map
// files, ELF files with DWARF line information. Pure parsing and lookup;
// addresses are linear. See table.ts for the queries.

export { SymbolTable, nodeSymbolIo } from './table';
export type { AddListingOptions, SymbolTableOptions } from './table';
export type { AddResult, LineResolution, LoadSpec, SourceLocation, SymbolInfo, SymbolIo, SymbolKind } from './types';
export { parseNasmListing } from './nasmListing';
export { parseLdMap, parseNasmMap } from './mapFile';
