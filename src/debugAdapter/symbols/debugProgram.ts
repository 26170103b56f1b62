// The debugging information of one ELF file beside its line table: the
// DWARF DIEs (./dwarfInfo.ts) and the call frame information (./cfi.ts),
// parsed on first use (a launch with a large kernel does not wait for
// them), and the load bias between the file's addresses and the guest's
// linear addresses (0 for a linked file loaded where it was linked).

import { CallFrameInfo, type CfiRow } from './cfi';
import type { DebugSections } from './dwarfReader';
import { DW_AT, DwarfInfo, type Unit } from './dwarfInfo';

export interface ProgramSections extends DebugSections {
  debugFrame?: { data: Uint8Array; address: number };
  ehFrame?: { data: Uint8Array; address: number };
}

export class DebugProgram {
  private infoValue: DwarfInfo | null = null;
  private cfiValue: CallFrameInfo | null = null;
  /** Problems found while parsing (a malformed unit, an unknown CFA instruction), for the debug console. */
  readonly warnings: string[] = [];

  constructor(
    readonly file: string,
    private readonly sections: ProgramSections,
    /** 4 for ELF32 (i386), 8 for ELF64 (x86-64). */
    readonly addressSize: number,
    /** linear = file address + bias. */
    readonly bias: number,
    /** Each line program's file names by its .debug_line offset. */
    private readonly fileTables: ReadonlyMap<number, string[]> = new Map(),
  ) {}

  /** The source file a unit's file number names (DW_AT_decl_file, DW_AT_call_file), by the unit's line program. */
  fileName(unit: Unit, index: number): string | undefined {
    const stmtList = unit.root.attrs.get(DW_AT.stmtList);
    return typeof stmtList === 'number' ? this.fileTables.get(stmtList)?.[index] : undefined;
  }

  get info(): DwarfInfo {
    this.infoValue ??= new DwarfInfo(this.sections, this.warnings);
    return this.infoValue;
  }

  get cfi(): CallFrameInfo {
    this.cfiValue ??= new CallFrameInfo({ debugFrame: this.sections.debugFrame, ehFrame: this.sections.ehFrame }, this.addressSize, this.warnings);
    return this.cfiValue;
  }

  /** Whether the file has DIEs at all (built with -g). */
  get hasInfo(): boolean {
    return this.sections.info !== undefined && this.sections.abbrev !== undefined;
  }

  /** The CFA row for a linear address, or undefined where no FDE covers it. */
  cfiRowAt(linear: number): CfiRow | undefined {
    return this.cfi.rowAt(linear - this.bias);
  }
}
