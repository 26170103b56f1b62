// What the adapter asks of symbols, behind one small interface, answered by
// the SymbolTable of ./symbols (NASM listings, NASM/ld map files, ELF with
// DWARF line info), loaded with each file's load address or segment.

import { loadSpecOf, SymbolTable } from './symbols';
import type { SymbolFileSpec } from './launchConfig';
import type { CodeBits } from './symbols/types';
import type { DebugProgram } from './symbols/debugProgram';

export interface LineAddresses {
  /** The line that got the breakpoint (moved to the nearest line with code). */
  line: number;
  addresses: number[];
}

export interface SourcePlace {
  path: string;
  line: number;
  /** First linear address of the line's bytes. */
  start: number;
  /** The code size the line was assembled for, when the symbol file tells. */
  bits?: CodeBits;
}

export interface SymbolService {
  /** Load a symbol file; returns warnings for the debug console. Throws with a message naming the file. */
  addFile(spec: SymbolFileSpec): string[];
  lineToAddresses(sourcePath: string, line: number): LineAddresses | { error: string };
  addressToLine(linear: number): SourcePlace | undefined;
  lookupSymbol(name: string): number | undefined;
  /** The symbol at or before an address: name and offset. */
  symbolAt(linear: number): { name: string; offset: number } | undefined;
  /** The DWARF DIEs and call frame information of the ELF file whose code holds an address. */
  programAt(linear: number): DebugProgram | undefined;
}

export class TableSymbols implements SymbolService {
  readonly table = new SymbolTable();

  addFile(spec: SymbolFileSpec): string[] {
    const result = this.table.addFile(spec.path, loadSpecOf(spec), spec.source ? { source: spec.source } : {});
    const warnings = [...result.warnings];
    if (result.lines === 0 && result.symbols === 0) warnings.push(`${spec.path}: no lines or symbols found`);
    return warnings;
  }

  lineToAddresses(sourcePath: string, line: number): LineAddresses | { error: string } {
    return this.table.lineToAddresses(sourcePath, line);
  }

  addressToLine(linear: number): SourcePlace | undefined {
    const loc = this.table.addressToLine(linear);
    return loc ? { path: loc.path, line: loc.line, start: loc.start, ...(loc.bits ? { bits: loc.bits } : {}) } : undefined;
  }

  lookupSymbol(name: string): number | undefined {
    return this.table.lookupSymbol(name);
  }

  symbolAt(linear: number): { name: string; offset: number } | undefined {
    return this.table.symbolAt(linear) ?? undefined;
  }

  programAt(linear: number): DebugProgram | undefined {
    return this.table.programAt(linear);
  }
}
