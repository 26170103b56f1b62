// The symbol table of a debug session: every symbol file the launch
// configuration names, merged, with linear addresses. Answers the adapter's
// questions: where does a source line's code start (breakpoints), which
// line holds an address (stack frames, stepping, disassembly), what is a
// symbol's address (function breakpoints, evaluate), which symbol is at or
// below an address ("symbol+offset").

import * as fs from 'node:fs';
import * as path from 'node:path';
import { DebugProgram } from './debugProgram';
import { readLineTables } from './dwarf';
import { ElfFile, ET_REL } from './elf';
import { isLdMap, isNasmMap, parseLdMap, parseNasmMap } from './mapFile';
import { parseNasmListing, type ListingOptions } from './nasmListing';
import type { AddResult, CodeBits, LineResolution, LoadSpec, ParsedSymbols, SourceLocation, SymbolInfo, SymbolIo } from './types';

interface LineEntry {
  path: string;
  line: number;
  column?: number;
  address: number;
  end: number;
  primary: boolean;
  code: boolean;
  breakable: boolean;
  bits?: CodeBits;
}

interface AddressSymbol {
  info: SymbolInfo;
  /** One past the last address "symbol+offset" may name with this symbol. */
  limit: number;
}

export interface SymbolTableOptions {
  /** Compare source paths case-sensitively (default: not on Windows and macOS). */
  caseSensitivePaths?: boolean;
}

export interface AddListingOptions {
  /** The listing's main source file, if it is not the listing's name with .asm beside it or one folder up. */
  source?: string;
  /** Folders NASM searched for %include files (its -i options). */
  includePaths?: string[];
}

/** Reads files from the host's file system. */
export const nodeSymbolIo: SymbolIo = {
  readText(file) {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
  },
  readBytes(file) {
    try {
      return fs.readFileSync(file);
    } catch {
      return undefined;
    }
  },
};

export class SymbolTable {
  /** Warnings of every file added so far (a source not found, no line info ...). */
  readonly warnings: string[] = [];
  private readonly io: SymbolIo;
  private readonly caseSensitive: boolean;
  private readonly entries: LineEntry[] = [];
  private readonly symbols: SymbolInfo[] = [];
  private readonly byName = new Map<string, SymbolInfo>();
  private readonly nameRank = new Map<string, number>();
  private readonly extents: Array<{ start: number; end: number }> = [];
  /** The DWARF DIEs and call frame information of each ELF file added. */
  private readonly programList: DebugProgram[] = [];
  // Indexes, rebuilt after an add.
  private byPath: Map<string, LineEntry[]> | null = null;
  private byAddress: LineEntry[] | null = null;
  private byValue: AddressSymbol[] | null = null;

  constructor(io: SymbolIo = nodeSymbolIo, options: SymbolTableOptions = {}) {
    this.io = io;
    this.caseSensitive = options.caseSensitivePaths ?? (process.platform !== 'win32' && process.platform !== 'darwin');
  }

  /** A NASM listing (`nasm -l`). */
  addListing(file: string, text: string, load: LoadSpec = { kind: 'auto' }, options: AddListingOptions = {}): AddResult {
    const opts: ListingOptions = { ...options, readText: (p) => this.io.readText(p) };
    return this.ingest(file, parseNasmListing(file, text, opts), load);
  }

  /** A NASM map file (`[map all x.map]`) or a GNU ld map file (`-Map=x.map`). */
  addMapFile(file: string, text: string, load: LoadSpec = { kind: 'auto' }): AddResult {
    if (isNasmMap(text)) return this.ingest(file, parseNasmMap(file, text), load);
    if (isLdMap(text)) return this.ingest(file, parseLdMap(file, text), load);
    throw new Error(`${file} is neither a NASM map file nor a GNU ld map file`);
  }

  /** An ELF object or executable: .symtab symbols and DWARF .debug_line. */
  addElf(file: string, bytes: Uint8Array, load: LoadSpec = { kind: 'auto' }): AddResult {
    const elf = new ElfFile(file, bytes);
    if (elf.machine !== 3 && elf.machine !== 62) throw new Error(`${file} is an ELF file for ${elf.machineName}, not x86`);
    const warnings: string[] = [];
    const get = (name: string) => {
      const s = elf.section(name);
      return s ? elf.contents(s) : undefined;
    };
    const line = get('.debug_line');
    const fileTables = new Map<number, string[]>();
    const parsed: ParsedSymbols = { format: 'elf', lines: [], symbols: elf.symbols(), anchor: elf.codeSection()?.address, warnings };
    if (line) {
      const rows = readLineTables(
        { line, info: get('.debug_info'), abbrev: get('.debug_abbrev'), str: get('.debug_str'), lineStr: get('.debug_line_str') },
        path.dirname(path.resolve(file)),
        warnings,
        fileTables,
      );
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i];
        const prev = rows[i - 1];
        const continues = prev !== undefined && prev.address + prev.size === r.address && prev.path === r.path && prev.line === r.line;
        parsed.lines.push({
          path: r.path,
          line: r.line,
          ...(r.column > 0 ? { column: r.column } : {}),
          address: r.address,
          size: r.size,
          primary: true,
          code: true,
          breakable: r.isStmt && !continues,
        });
      }
    } else warnings.push(`${path.basename(file)} has no line information (.debug_line): build it with -g (nasm: -g -F dwarf)`);
    if (elf.type === ET_REL && load.kind === 'auto') {
      warnings.push(`${path.basename(file)} is a relocatable object: its .text is taken to start at 0; give a load address`);
    }
    const located = (name: string) => {
      const s = elf.section(name);
      return s ? { data: elf.contents(s), address: s.address } : undefined;
    };
    const sections = {
      info: get('.debug_info'), abbrev: get('.debug_abbrev'), str: get('.debug_str'), lineStr: get('.debug_line_str'),
      strOffsets: get('.debug_str_offsets'), addr: get('.debug_addr'), loc: get('.debug_loc'), loclists: get('.debug_loclists'),
      ranges: get('.debug_ranges'), rnglists: get('.debug_rnglists'), debugFrame: located('.debug_frame'),
      // .eh_frame's pc-relative pointers are relocated only in a linked file.
      ehFrame: elf.type === ET_REL ? undefined : located('.eh_frame'),
    };
    if (sections.info || sections.debugFrame || sections.ehFrame) {
      this.programList.push(new DebugProgram(path.resolve(file), sections, elf.is64 ? 8 : 4, biasOf(parsed, load), fileTables));
    }
    return this.ingest(file, parsed, load);
  }

  /** The DWARF program (DIEs, CFI) whose file's code holds a linear address: the one with a function or an FDE there. */
  programAt(linear: number): DebugProgram | undefined {
    if (this.programList.length === 1) return this.programList[0];
    return this.programList.find((p) => p.cfi.covers(linear - p.bias) || p.info.functionAt(linear - p.bias) !== undefined);
  }

  /** Every ELF file's DWARF program, in the order added. */
  programs(): readonly DebugProgram[] {
    return this.programList;
  }

  /** Reads a symbol file and adds it by its contents: ELF, NASM or ld map, or NASM listing. */
  addFile(file: string, load: LoadSpec = { kind: 'auto' }, options: AddListingOptions = {}): AddResult {
    const bytes = this.io.readBytes(file);
    if (bytes === undefined) throw new Error(`cannot read symbol file ${file}`);
    if (bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46) {
      return this.addElf(file, bytes, load);
    }
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
    if (isNasmMap(text) || isLdMap(text)) return this.addMapFile(file, text, load);
    if (/^ *\d+ (?:[0-9A-F]{8}| {8}) /m.test(text.slice(0, 20000))) return this.addListing(file, text, load, options);
    throw new Error(`${file}: unknown symbol file format (expected a NASM listing, a NASM or GNU ld map file, or an ELF file)`);
  }

  /**
   * Where a breakpoint on `line` of `sourcePath` goes: that line, or the
   * next line with code, and the linear address(es) of its code (several
   * when macro expansions or a C loop put the line in several places).
   */
  lineToAddresses(sourcePath: string, line: number): LineResolution {
    const file = this.resolveSourcePath(sourcePath);
    const shown = path.basename(sourcePath);
    if (file === undefined) {
      return { error: `${shown} is not covered by any symbol file (add its NASM listing, map file or ELF to "symbols" in the launch configuration)` };
    }
    const list = (this.pathIndex().get(file) ?? []).filter((e) => e.breakable);
    // list is sorted by line: the first entry at or after the line.
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid].line < line) lo = mid + 1;
      else hi = mid;
    }
    let chosen: number | undefined;
    if (lo < list.length && list[lo].line === line) chosen = line;
    else {
      // Move forward to instructions of the file itself (not into a macro body).
      for (let i = lo; i < list.length; i++) {
        if (list[i].code && list[i].primary) {
          chosen = list[i].line;
          break;
        }
      }
    }
    if (chosen === undefined) return { error: `no code at or after line ${line} in ${shown}` };
    const addresses = new Set<number>();
    for (let i = lo; i < list.length && list[i].line <= chosen; i++) if (list[i].line === chosen) addresses.add(list[i].address);
    return { line: chosen, addresses: [...addresses].sort((a, b) => a - b) };
  }

  /** The source line whose bytes cover a linear address, or null. */
  addressToLine(linear: number): SourceLocation | null {
    const list = this.addressIndex();
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid].address <= linear) lo = mid + 1;
      else hi = mid;
    }
    // lo - 1 is the last entry starting at or below; look back for one that covers.
    for (let i = lo - 1, n = 0; i >= 0 && n < 64; i--, n++) {
      const e = list[i];
      if (linear >= e.end) continue;
      // The line's whole run of bytes: neighbours of the same line that touch.
      let start = e.address;
      let end = e.end;
      for (let j = i - 1; j >= 0 && list[j].end === start && list[j].path === e.path && list[j].line === e.line; j--) start = list[j].address;
      for (let j = i + 1; j < list.length && list[j].address === end && list[j].path === e.path && list[j].line === e.line; j++) end = list[j].end;
      return { path: e.path, line: e.line, ...(e.column !== undefined ? { column: e.column } : {}), start, end, ...(e.bits ? { bits: e.bits } : {}) };
    }
    return null;
  }

  /**
   * A symbol's linear address (a constant's value). `.local` names resolve
   * against the label at or below `scope` when given, else when only one
   * label has that local; other names fall back to a unique case-insensitive match.
   */
  lookupSymbol(name: string, scope?: number): number | undefined {
    return this.symbolInfo(name, scope)?.address;
  }

  symbolInfo(name: string, scope?: number): SymbolInfo | undefined {
    const exact = this.byName.get(name);
    if (exact) return exact;
    if (name.startsWith('.') && !name.startsWith('..')) {
      if (scope !== undefined) {
        const parent = this.valueIndex()
          .filter((s) => s.info.address <= scope && isGlobalLabel(s.info.name))
          .at(-1);
        const scoped = parent && this.byName.get(parent.info.name + name);
        if (scoped) return scoped;
      }
      const suffixed = this.symbols.filter((s) => s.name.endsWith(name) && s.name.length > name.length);
      if (suffixed.length === 1) return suffixed[0];
      return undefined;
    }
    const lower = name.toLowerCase();
    const folded = this.symbols.filter((s) => s.name.toLowerCase() === lower);
    return folded.length === 1 ? folded[0] : undefined;
  }

  /** The nearest label at or below a linear address, for "symbol+offset"; null when none explains it. */
  symbolAt(linear: number): { name: string; offset: number } | null {
    const list = this.valueIndex();
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid].info.address <= linear) lo = mid + 1;
      else hi = mid;
    }
    if (lo === 0) return null;
    const s = list[lo - 1];
    if (linear >= s.limit) return null;
    return { name: s.info.name, offset: linear - s.info.address };
  }

  allSymbols(): SymbolInfo[] {
    return [...this.symbols];
  }

  /** Every source file some symbol file has lines of (absolute paths). */
  sourceFiles(): string[] {
    return [...this.pathIndex().keys()].sort();
  }

  /**
   * The table's name for a source path the editor sent: the same absolute
   * path, else the known file with the same name whose folders match the
   * most trailing components (the listing's idea of the path may differ).
   */
  resolveSourcePath(sourcePath: string): string | undefined {
    const index = this.pathIndex();
    const wanted = path.resolve(sourcePath);
    if (index.has(wanted)) return wanted;
    const fold = (s: string) => (this.caseSensitive ? s : s.toLowerCase());
    const wantedParts = fold(wanted).split(/[\\/]+/).reverse();
    let best: string | undefined;
    let bestScore = 0;
    let tie = false;
    for (const known of index.keys()) {
      const parts = fold(known).split(/[\\/]+/).reverse();
      let score = 0;
      while (score < parts.length && score < wantedParts.length && parts[score] === wantedParts[score]) score++;
      if (score > bestScore) {
        best = known;
        bestScore = score;
        tie = false;
      } else if (score === bestScore && score > 0) tie = true;
    }
    if (bestScore === 0) return undefined;
    if (tie && bestScore === wantedParts.length) return undefined;
    return best;
  }

  private ingest(file: string, parsed: ParsedSymbols, load: LoadSpec): AddResult {
    const shortName = path.basename(file);
    const bias = biasOf(parsed, load);
    let start = Infinity;
    let end = -Infinity;
    const files = new Set<string>();
    for (const l of parsed.lines) {
      const address = l.address + bias;
      const p = path.resolve(l.path);
      files.add(p);
      this.entries.push({
        path: p,
        line: l.line,
        ...(l.column !== undefined ? { column: l.column } : {}),
        address,
        end: address + l.size,
        primary: l.primary,
        code: l.code,
        breakable: l.breakable ?? true,
        ...(l.bits ? { bits: l.bits } : {}),
      });
      start = Math.min(start, address);
      end = Math.max(end, address + l.size);
    }
    for (const s of parsed.symbols) {
      const address = s.kind === 'constant' ? s.value : s.value + bias;
      const info: SymbolInfo = { name: s.name, address, value: s.value, kind: s.kind, file: path.resolve(file), ...(s.size ? { size: s.size } : {}) };
      this.symbols.push(info);
      const old = this.byName.get(s.name);
      const rank = (x: { kind: string; local?: boolean }) => (x.kind === 'constant' ? 2 : x.local ? 1 : 0);
      if (!old || rank(s) < (this.nameRank.get(s.name) ?? 3)) {
        this.byName.set(s.name, info);
        this.nameRank.set(s.name, rank(s));
      }
      if (s.kind !== 'constant') {
        start = Math.min(start, address);
        end = Math.max(end, address + Math.max(1, s.size ?? 1));
      }
    }
    if (start <= end) this.extents.push({ start, end });
    const warnings = parsed.warnings.map((w) => (w.startsWith(shortName) ? w : `${shortName}: ${w}`));
    this.warnings.push(...warnings);
    this.byPath = null;
    this.byAddress = null;
    this.byValue = null;
    return { format: parsed.format, symbols: parsed.symbols.length, lines: parsed.lines.length, sourceFiles: [...files].sort(), warnings };
  }

  private pathIndex(): Map<string, LineEntry[]> {
    if (!this.byPath) {
      const m = new Map<string, LineEntry[]>();
      for (const e of this.entries) {
        let list = m.get(e.path);
        if (!list) m.set(e.path, (list = []));
        list.push(e);
      }
      for (const list of m.values()) list.sort((a, b) => a.line - b.line || a.address - b.address);
      this.byPath = m;
    }
    return this.byPath;
  }

  private addressIndex(): LineEntry[] {
    if (!this.byAddress) {
      this.byAddress = this.entries.filter((e) => e.primary && e.end > e.address).sort((a, b) => a.address - b.address || b.end - a.end);
    }
    return this.byAddress;
  }

  private valueIndex(): AddressSymbol[] {
    if (!this.byValue) {
      const rank = (s: SymbolInfo) => (s.kind === 'function' ? 0 : isGlobalLabel(s.name) ? 1 : 2);
      const sorted = this.symbols
        .filter((s) => s.kind !== 'constant')
        .sort((a, b) => a.address - b.address || rank(a) - rank(b));
      const out: AddressSymbol[] = [];
      for (let i = 0; i < sorted.length; i++) {
        const s = sorted[i];
        if (out.length > 0 && out[out.length - 1].info.address === s.address) continue; // the best-ranked name per address
        let next = Infinity;
        for (let j = i + 1; j < sorted.length; j++) {
          if (sorted[j].address > s.address) {
            next = sorted[j].address;
            break;
          }
        }
        const extent = this.extents.find((x) => s.address >= x.start && s.address < x.end);
        let limit = Math.min(next, extent ? extent.end : s.address + 1);
        if (s.size) limit = Math.min(limit, s.address + s.size);
        out.push({ info: s, limit: Math.max(limit, s.address + 1) });
      }
      this.byValue = out;
    }
    return this.byValue;
  }
}

/** linear = assembled address + this, for a file's load. */
function biasOf(parsed: ParsedSymbols, load: LoadSpec): number {
  if (load.kind === 'segment') return load.segment * 16;
  if (load.kind !== 'linear') return 0;
  let anchor = parsed.anchor;
  if (anchor === undefined) {
    const values = [...parsed.lines.map((l) => l.address), ...parsed.symbols.filter((s) => s.kind !== 'constant').map((s) => s.value)];
    anchor = values.length > 0 ? Math.min(...values) : 0;
  }
  return load.address - anchor;
}

/** A label that starts a NASM local-label scope (not `.x`, not `..special`). */
function isGlobalLabel(name: string): boolean {
  return !name.includes('.');
}
