// DWARF line information (.debug_line, versions 2 to 5), following the
// DWARF 5 specification, section 6.2: the program header (with the
// version 5 directory/file entry formats), then the line number program
// run on the state machine (address, op_index, file, line, column,
// is_stmt, end_sequence ...). The compile unit's DW_AT_comp_dir and
// DW_AT_name come from the first DIE of each unit in .debug_info (needed
// for version 2-4 tables, whose directory 0 is the compilation directory).

import * as path from 'node:path';

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

export interface DebugSections {
  line: Uint8Array;
  info?: Uint8Array;
  abbrev?: Uint8Array;
  str?: Uint8Array;
  lineStr?: Uint8Array;
}

class Reader {
  private readonly dv: DataView;
  constructor(
    readonly data: Uint8Array,
    public pos = 0,
  ) {
    this.dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }
  get end(): boolean {
    return this.pos >= this.data.length;
  }
  private need(n: number): void {
    if (this.pos + n > this.data.length) throw new Error(`truncated DWARF data at offset 0x${this.pos.toString(16)}`);
  }
  u8(): number {
    this.need(1);
    return this.data[this.pos++];
  }
  i8(): number {
    this.need(1);
    return this.dv.getInt8(this.pos++);
  }
  u16(): number {
    this.need(2);
    const v = this.dv.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.dv.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  u64(): number {
    this.need(8);
    const v = Number(this.dv.getBigUint64(this.pos, true));
    this.pos += 8;
    return v;
  }
  sized(n: number): number {
    if (n === 1) return this.u8();
    if (n === 2) return this.u16();
    if (n === 4) return this.u32();
    if (n === 8) return this.u64();
    throw new Error(`unsupported DWARF operand size ${n}`);
  }
  uleb(): number {
    let result = 0;
    let scale = 1;
    for (;;) {
      const b = this.u8();
      result += (b & 0x7f) * scale;
      scale *= 128;
      if (!(b & 0x80)) return result;
    }
  }
  sleb(): number {
    let result = 0;
    let scale = 1;
    for (;;) {
      const b = this.u8();
      result += (b & 0x7f) * scale;
      scale *= 128;
      if (!(b & 0x80)) return b & 0x40 ? result - scale : result;
    }
  }
  cstr(): string {
    const start = this.pos;
    while (this.pos < this.data.length && this.data[this.pos] !== 0) this.pos++;
    const s = Buffer.from(this.data.subarray(start, this.pos)).toString('utf8');
    this.pos++;
    return s;
  }
  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }
  /** unit_length: returns the unit's end and whether it is 64-bit DWARF. */
  unitLength(): { end: number; offsetSize: number } {
    let len = this.u32();
    let offsetSize = 4;
    if (len === 0xffffffff) {
      len = this.u64();
      offsetSize = 8;
    } else if (len >= 0xfffffff0) throw new Error(`reserved DWARF unit length 0x${len.toString(16)}`);
    return { end: this.pos + len, offsetSize };
  }
}

function stringAt(section: Uint8Array | undefined, offset: number, what: string): string {
  if (!section || offset >= section.length) throw new Error(`${what} offset 0x${offset.toString(16)} is outside the section`);
  const r = new Reader(section, offset);
  return r.cstr();
}

// Attribute forms (DWARF 5, 7.5.6).
const DW_FORM = {
  addr: 0x01, block2: 0x03, block4: 0x04, data2: 0x05, data4: 0x06, data8: 0x07, string: 0x08, block: 0x09,
  block1: 0x0a, data1: 0x0b, flag: 0x0c, sdata: 0x0d, strp: 0x0e, udata: 0x0f, ref_addr: 0x10, ref1: 0x11,
  ref2: 0x12, ref4: 0x13, ref8: 0x14, ref_udata: 0x15, indirect: 0x16, sec_offset: 0x17, exprloc: 0x18,
  flag_present: 0x19, strx: 0x1a, addrx: 0x1b, ref_sup4: 0x1c, strp_sup: 0x1d, data16: 0x1e, line_strp: 0x1f,
  ref_sig8: 0x20, implicit_const: 0x21, loclistx: 0x22, rnglistx: 0x23, ref_sup8: 0x24, strx1: 0x25,
  strx2: 0x26, strx3: 0x27, strx4: 0x28, addrx1: 0x29, addrx2: 0x2a, addrx3: 0x2b, addrx4: 0x2c,
} as const;

type FormValue = number | string | undefined;

interface FormContext {
  version: number;
  offsetSize: number;
  addressSize: number;
  sections: DebugSections;
}

/** Reads one attribute value; strings for string forms, numbers for the rest, undefined for blocks and indexed forms. */
function readForm(r: Reader, form: number, ctx: FormContext, implicit?: number): FormValue {
  switch (form) {
    case DW_FORM.addr: return r.sized(ctx.addressSize);
    case DW_FORM.data1: case DW_FORM.ref1: case DW_FORM.flag: case DW_FORM.strx1: case DW_FORM.addrx1: return r.u8();
    case DW_FORM.data2: case DW_FORM.ref2: case DW_FORM.strx2: case DW_FORM.addrx2: return r.u16();
    case DW_FORM.strx3: case DW_FORM.addrx3: r.skip(3); return undefined;
    case DW_FORM.data4: case DW_FORM.ref4: case DW_FORM.ref_sup4: case DW_FORM.strx4: case DW_FORM.addrx4: return r.u32();
    case DW_FORM.data8: case DW_FORM.ref8: case DW_FORM.ref_sig8: case DW_FORM.ref_sup8: return r.u64();
    case DW_FORM.data16: r.skip(16); return undefined;
    case DW_FORM.string: return r.cstr();
    case DW_FORM.strp: return stringAt(ctx.sections.str, r.sized(ctx.offsetSize), '.debug_str');
    case DW_FORM.line_strp: return stringAt(ctx.sections.lineStr, r.sized(ctx.offsetSize), '.debug_line_str');
    case DW_FORM.strp_sup: case DW_FORM.sec_offset: return r.sized(ctx.offsetSize);
    case DW_FORM.ref_addr: return r.sized(ctx.version <= 2 ? ctx.addressSize : ctx.offsetSize);
    case DW_FORM.udata: case DW_FORM.ref_udata: case DW_FORM.strx: case DW_FORM.addrx:
    case DW_FORM.loclistx: case DW_FORM.rnglistx: return r.uleb();
    case DW_FORM.sdata: return r.sleb();
    case DW_FORM.flag_present: return 1;
    case DW_FORM.implicit_const: return implicit;
    case DW_FORM.block1: r.skip(r.u8()); return undefined;
    case DW_FORM.block2: r.skip(r.u16()); return undefined;
    case DW_FORM.block4: r.skip(r.u32()); return undefined;
    case DW_FORM.block: case DW_FORM.exprloc: r.skip(r.uleb()); return undefined;
    case DW_FORM.indirect: return readForm(r, r.uleb(), ctx);
    default: throw new Error(`unknown DWARF form 0x${form.toString(16)}`);
  }
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
    const { end, offsetSize } = r.unitLength();
    const version = r.u16();
    let addressSize: number;
    let abbrevOffset: number;
    if (version >= 5) {
      const unitType = r.u8();
      addressSize = r.u8();
      abbrevOffset = r.sized(offsetSize);
      if (unitType === 4 || unitType === 5) r.skip(8); // skeleton / split_compile: dwo_id
      else if (unitType === 2 || unitType === 6) r.skip(8 + offsetSize); // type units
    } else {
      abbrevOffset = r.sized(offsetSize);
      addressSize = r.u8();
    }
    const code = r.uleb();
    const cu: CompileUnit = {};
    if (code !== 0) {
      const ar = new Reader(abbrev, abbrevOffset);
      // Find the abbreviation with this code.
      for (;;) {
        const c = ar.uleb();
        if (c === 0) throw new Error(`abbreviation ${code} not found`);
        ar.uleb(); // tag
        ar.u8(); // children
        if (c === code) break;
        for (;;) {
          const name = ar.uleb();
          const form = ar.uleb();
          if (form === DW_FORM.implicit_const) ar.sleb();
          if (name === 0 && form === 0) break;
        }
      }
      const ctx: FormContext = { version, offsetSize, addressSize, sections };
      for (;;) {
        const name = ar.uleb();
        const form = ar.uleb();
        const implicit = form === DW_FORM.implicit_const ? ar.sleb() : undefined;
        if (name === 0 && form === 0) break;
        const v = readForm(r, form, ctx, implicit);
        if (name === DW_AT_name && typeof v === 'string') cu.name = v;
        else if (name === DW_AT_comp_dir && typeof v === 'string') cu.compDir = v;
        else if (name === DW_AT_stmt_list && typeof v === 'number') cu.stmtList = v;
      }
    }
    out.push(cu);
    r.pos = end;
  }
  return out;
}

const DW_LNCT_path = 1;
const DW_LNCT_directory_index = 2;

/**
 * Runs every line number program in .debug_line. `baseDir` resolves
 * relative paths when a unit gives no compilation directory.
 */
export function readLineTables(sections: DebugSections, baseDir: string, warnings: string[]): LineRow[] {
  const units = readCompileUnits(sections);
  const compDirs = new Map<number, string | undefined>();
  for (const u of units) if (u.stmtList !== undefined) compDirs.set(u.stmtList, u.compDir);
  const rows: LineRow[] = [];
  const r = new Reader(sections.line);
  while (!r.end) {
    const unitOffset = r.pos;
    const { end, offsetSize } = r.unitLength();
    try {
      readProgram(r, end, offsetSize, sections, compDirs.get(unitOffset), baseDir, rows);
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
): void {
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
}
