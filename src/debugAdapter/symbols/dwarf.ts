// DWARF line information (.debug_line, versions 2 to 5), following the
// DWARF 5 specification, section 6.2: the program header (with the
// version 5 directory/file entry formats), then the line number program
// run on the state machine (address, op_index, file, line, column,
// is_stmt, end_sequence ...). The compile unit's DW_AT_comp_dir and
// DW_AT_name come from the first DIE of each unit in .debug_info (needed
// for version 2-4 tables, whose directory 0 is the compilation directory).

import * as path from 'node:path';
import { readAbbreviations, readForm, Reader, readUnitHeader, type DebugSections, type FormContext } from './dwarfReader';

export type { DebugSections };

/** One row of the line table (is_stmt rows and others). */
export interface LineRow {
  address: number;
  /** Bytes up to the next row of the same sequence. */
  size: number;
  path: string;
  line: number;
  column: number;
  isStmt: boolean;
}


export interface CompileUnit {
  name?: string;
  compDir?: string;
  stmtList?: number;
}

const DW_AT_name = 0x03;
const DW_AT_stmt_list = 0x10;
const DW_AT_comp_dir = 0x1b;

/** The first DIE (the compile unit) of every unit in .debug_info. */
export function readCompileUnits(sections: DebugSections): CompileUnit[] {
  const out: CompileUnit[] = [];
  const info = sections.info;
  const abbrev = sections.abbrev;
  if (!info || !abbrev) return out;
  const r = new Reader(info);
  while (!r.end) {
    const h = readUnitHeader(r);
    const code = r.uleb();
    const cu: CompileUnit = {};
    if (code !== 0) {
      const a = readAbbreviations(abbrev, h.abbrevOffset).get(code);
      if (!a) throw new Error(`abbreviation ${code} not found`);
      const ctx: FormContext = { version: h.version, offsetSize: h.offsetSize, addressSize: h.addressSize, sections };
      for (const { name, form, implicit } of a.attributes) {
        const v = readForm(r, form, ctx, implicit);
        if (name === DW_AT_name && typeof v === 'string') cu.name = v;
        else if (name === DW_AT_comp_dir && typeof v === 'string') cu.compDir = v;
        else if (name === DW_AT_stmt_list && typeof v === 'number') cu.stmtList = v;
      }
    }
    out.push(cu);
    r.pos = h.end;
  }
  return out;
}

const DW_LNCT_path = 1;
const DW_LNCT_directory_index = 2;

/**
 * Runs every line number program in .debug_line. `baseDir` resolves
 * relative paths when a unit gives no compilation directory.
 */
export function readLineTables(
  sections: DebugSections,
  baseDir: string,
  warnings: string[],
  /** Filled with each program's file names by its .debug_line offset (DW_AT_decl_file / call_file index them). */
  fileTables?: Map<number, string[]>,
): LineRow[] {
  const units = readCompileUnits(sections);
  const compDirs = new Map<number, string | undefined>();
  for (const u of units) if (u.stmtList !== undefined) compDirs.set(u.stmtList, u.compDir);
  const rows: LineRow[] = [];
  if (!sections.line) return rows;
  const r = new Reader(sections.line);
  while (!r.end) {
    const unitOffset = r.pos;
    const { end, offsetSize } = r.unitLength();
    try {
      const files = readProgram(r, end, offsetSize, sections, compDirs.get(unitOffset), baseDir, rows);
      fileTables?.set(unitOffset, files);
    } catch (e) {
      warnings.push(`.debug_line unit at 0x${unitOffset.toString(16)}: ${(e as Error).message}`);
    }
    r.pos = end;
  }
  return rows;
}

function readProgram(
  r: Reader,
  end: number,
  offsetSize: number,
  sections: DebugSections,
  compDir: string | undefined,
  baseDir: string,
  rows: LineRow[],
): string[] {
  const version = r.u16();
  if (version < 2 || version > 5) throw new Error(`unsupported .debug_line version ${version}`);
  let addressSize = 0;
  if (version >= 5) {
    addressSize = r.u8();
    if (r.u8() !== 0) throw new Error('segment selectors are not supported');
  }
  const headerLength = r.sized(offsetSize);
  const programStart = r.pos + headerLength;
  const minInstLength = r.u8();
  if (version >= 4) r.u8(); // maximum_operations_per_instruction (1 on x86)
  const defaultIsStmt = r.u8() !== 0;
  const lineBase = r.i8();
  const lineRange = r.u8();
  const opcodeBase = r.u8();
  const argCounts = [0];
  for (let i = 1; i < opcodeBase; i++) argCounts.push(r.u8());
  if (lineRange === 0) throw new Error('line_range is 0');

  const root = compDir ?? baseDir;
  const dirs: string[] = [];
  const files: string[] = [];
  const ctx: FormContext = { version, offsetSize, addressSize: addressSize || 4, sections };
  if (version >= 5) {
    const readEntries = (): Array<{ path?: string; dir?: number }> => {
      const formatCount = r.u8();
      const format: Array<[number, number]> = [];
      for (let i = 0; i < formatCount; i++) format.push([r.uleb(), r.uleb()]);
      const count = r.uleb();
      const list: Array<{ path?: string; dir?: number }> = [];
      for (let i = 0; i < count; i++) {
        const e: { path?: string; dir?: number } = {};
        for (const [type, form] of format) {
          const v = readForm(r, form, ctx);
          if (type === DW_LNCT_path && typeof v === 'string') e.path = v;
          else if (type === DW_LNCT_directory_index && typeof v === 'number') e.dir = v;
        }
        list.push(e);
      }
      return list;
    };
    for (const d of readEntries()) dirs.push(path.resolve(root, d.path ?? ''));
    for (const f of readEntries()) files.push(path.resolve(dirs[f.dir ?? 0] ?? root, f.path ?? '?'));
  } else {
    dirs.push(path.resolve(root));
    for (let d = r.cstr(); d !== ''; d = r.cstr()) dirs.push(path.resolve(root, d));
    files.push(''); // file numbers count from 1
    for (let f = r.cstr(); f !== ''; f = r.cstr()) {
      const dir = r.uleb();
      r.uleb(); // mtime
      r.uleb(); // length
      files.push(path.resolve(dirs[dir] ?? root, f));
    }
  }
  r.pos = programStart;

  // The state machine.
  let address = 0;
  let file = 1;
  let line = 1;
  let column = 0;
  let isStmt = defaultIsStmt;
  let sequence: LineRow[] = [];
  const emit = () => {
    sequence.push({ address, size: 0, path: files[file] ?? `<file ${file}>`, line, column, isStmt });
  };
  const reset = () => {
    address = 0;
    file = 1;
    line = 1;
    column = 0;
    isStmt = defaultIsStmt;
  };
  while (r.pos < end) {
    const op = r.u8();
    if (op >= opcodeBase) {
      const adjusted = op - opcodeBase;
      address += Math.floor(adjusted / lineRange) * minInstLength;
      line += lineBase + (adjusted % lineRange);
      emit();
    } else if (op === 0) {
      const len = r.uleb();
      const next = r.pos + len;
      const sub = len > 0 ? r.u8() : 0;
      if (sub === 1) {
        // end_sequence: the address is one past the last byte.
        for (let i = 0; i < sequence.length; i++) {
          const following = i + 1 < sequence.length ? sequence[i + 1].address : address;
          sequence[i].size = Math.max(0, following - sequence[i].address);
        }
        rows.push(...sequence);
        sequence = [];
        reset();
      } else if (sub === 2) address = r.sized(len - 1);
      else if (sub === 3 && version < 5) {
        const name = r.cstr();
        const dir = r.uleb();
        files.push(path.resolve(dirs[dir] ?? root, name));
      }
      r.pos = next;
    } else if (op === 1) emit();
    else if (op === 2) address += r.uleb() * minInstLength;
    else if (op === 3) line += r.sleb();
    else if (op === 4) file = r.uleb();
    else if (op === 5) column = r.uleb();
    else if (op === 6) isStmt = !isStmt;
    else if (op === 8) address += Math.floor((255 - opcodeBase) / lineRange) * minInstLength;
    else if (op === 9) address += r.u16();
    else if (op === 7 || op === 10 || op === 11) {
      /* basic_block, prologue_end, epilogue_begin: nothing to keep */
    } else for (let i = 0; i < argCounts[op]; i++) r.uleb(); // set_isa and unknown opcodes
  }
  if (sequence.length > 0) throw new Error('line number program ends without end_sequence');
  return files;
}
