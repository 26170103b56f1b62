// Shared types of the symbol layer: what the parsers produce and what the
// SymbolTable answers. Addresses handed out by the table are always LINEAR
// guest addresses (numbers); the parsers work in "assembled" addresses (the
// values the assembler or linker gave, before a load address is applied).

/**
 * Where a symbol file's code sits in the guest.
 * - `auto`: the file already carries its addresses (a listing with `org`,
 *   a linked ELF, a map file): linear = assembled address.
 * - `linear`: the file's first section (`.text`, the listing's first byte
 *   after `org`) is at this linear address; everything else moves with it.
 * - `segment`: real-mode code assembled for offsets within this segment:
 *   linear = segment * 16 + assembled address.
 */
export type LoadSpec =
  | { kind: 'linear'; address: number }
  | { kind: 'segment'; segment: number }
  | { kind: 'auto' };

/** One source line's bytes, as a parser reports them (assembled addresses). */
export interface RawLine {
  path: string;
  line: number;
  column?: number;
  address: number;
  size: number;
  /**
   * The line addressToLine reports for these bytes. Macro bodies are
   * recorded twice: primary at the invoking line, secondary at the line in
   * the macro definition (so a breakpoint there hits every expansion).
   */
  primary: boolean;
  /** Instructions (false for db/dw/times-db/align/resb data). */
  code: boolean;
  /**
   * A place a breakpoint on this line goes (default true). False for DWARF
   * rows that are not is_stmt, or that continue the same line's bytes.
   */
  breakable?: boolean;
  /** The code size the assembler had for these bytes (NASM's `bits`), when the format tells. */
  bits?: CodeBits;
}

export type CodeBits = 16 | 32 | 64;

export type SymbolKind = 'label' | 'function' | 'object' | 'constant';

/** A symbol as a parser reports it. */
export interface RawSymbol {
  name: string;
  /** Assembled address, or the plain value for constants. */
  value: number;
  kind: SymbolKind;
  size?: number;
  /** A file-local symbol (ELF STB_LOCAL): a global of the same name wins lookups. */
  local?: boolean;
}

/** What every parser returns. */
export interface ParsedSymbols {
  /** 'nasm-listing' | 'nasm-map' | 'ld-map' | 'elf'. */
  format: string;
  lines: RawLine[];
  symbols: RawSymbol[];
  /**
   * The assembled address a `linear` load refers to (the start of `.text`,
   * or of the listing's first section); undefined when the file has no code
   * section, in which case a `linear` load moves the lowest address.
   */
  anchor: number | undefined;
  /** Things the user may want to know (a source file not found, an unsupported form). */
  warnings: string[];
}

/** A symbol in the table (linear address). */
export interface SymbolInfo {
  name: string;
  /** Linear address; for constants, the value itself. */
  address: number;
  /** The value as assembled / linked (before the load address was applied). */
  value: number;
  kind: SymbolKind;
  size?: number;
  /** The symbol file it came from. */
  file: string;
}

/** Result of resolving a source breakpoint. */
export type LineResolution =
  | { line: number; addresses: number[] }
  | { error: string };

/** A source location for an address. */
export interface SourceLocation {
  path: string;
  line: number;
  column?: number;
  /** First linear address of the line's bytes that cover the address. */
  start: number;
  /** One past the last byte of that range. */
  end: number;
  /** The code size the line was assembled for, when the symbol file tells. */
  bits?: CodeBits;
}

/** How the table reads files it is told about (source checks, addFile). */
export interface SymbolIo {
  readText(path: string): string | undefined;
  readBytes(path: string): Uint8Array | undefined;
}

/** Summary returned by the add* methods. */
export interface AddResult {
  format: string;
  symbols: number;
  lines: number;
  sourceFiles: string[];
  warnings: string[];
}
