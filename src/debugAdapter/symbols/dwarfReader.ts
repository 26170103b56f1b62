// The byte-level reading every DWARF parser here shares (DWARF 5
// specification, section 7): a little-endian cursor with LEB128 and
// unit-length reading (32- and 64-bit DWARF), and the attribute forms of
// 7.5.6, read into values: numbers, strings, expression blocks, and the
// indexes of the DWARF 5 indexed forms (strx, addrx, loclistx, rnglistx),
// which the unit resolves against its bases.

/** The debug sections of one ELF file (each optional but .debug_line for the line tables). */
export interface DebugSections {
  line?: Uint8Array;
  info?: Uint8Array;
  abbrev?: Uint8Array;
  str?: Uint8Array;
  lineStr?: Uint8Array;
  strOffsets?: Uint8Array;
  addr?: Uint8Array;
  loc?: Uint8Array;
  loclists?: Uint8Array;
  ranges?: Uint8Array;
  rnglists?: Uint8Array;
}

export class Reader {
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
  i16(): number {
    return (this.u16() << 16) >> 16;
  }
  u32(): number {
    this.need(4);
    const v = this.dv.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  i32(): number {
    return this.u32() | 0;
  }
  u64(): number {
    this.need(8);
    const v = Number(this.dv.getBigUint64(this.pos, true));
    this.pos += 8;
    return v;
  }
  i64(): number {
    this.need(8);
    const v = Number(this.dv.getBigInt64(this.pos, true));
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
  bytes(n: number): Uint8Array {
    this.need(n);
    const b = this.data.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
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

export function stringAt(section: Uint8Array | undefined, offset: number, what: string): string {
  if (!section || offset >= section.length) throw new Error(`${what} offset 0x${offset.toString(16)} is outside the section`);
  const r = new Reader(section, offset);
  return r.cstr();
}

// Attribute forms (DWARF 5, 7.5.6).
export const DW_FORM = {
  addr: 0x01, block2: 0x03, block4: 0x04, data2: 0x05, data4: 0x06, data8: 0x07, string: 0x08, block: 0x09,
  block1: 0x0a, data1: 0x0b, flag: 0x0c, sdata: 0x0d, strp: 0x0e, udata: 0x0f, ref_addr: 0x10, ref1: 0x11,
  ref2: 0x12, ref4: 0x13, ref8: 0x14, ref_udata: 0x15, indirect: 0x16, sec_offset: 0x17, exprloc: 0x18,
  flag_present: 0x19, strx: 0x1a, addrx: 0x1b, ref_sup4: 0x1c, strp_sup: 0x1d, data16: 0x1e, line_strp: 0x1f,
  ref_sig8: 0x20, implicit_const: 0x21, loclistx: 0x22, rnglistx: 0x23, ref_sup8: 0x24, strx1: 0x25,
  strx2: 0x26, strx3: 0x27, strx4: 0x28, addrx1: 0x29, addrx2: 0x2a, addrx3: 0x2b, addrx4: 0x2c,
} as const;

/** An index of a DWARF 5 indexed form, resolved by the unit against its base attribute. */
export interface IndexedValue {
  indexed: 'strx' | 'addrx' | 'loclistx' | 'rnglistx';
  index: number;
}

/**
 * An attribute's value: a number (constants, addresses, offsets, unit-relative
 * references), a string, an expression or block, or an index to resolve.
 * data16 values are not kept (undefined).
 */
export type FormValue = number | string | Uint8Array | IndexedValue | undefined;

export interface FormContext {
  version: number;
  offsetSize: number;
  addressSize: number;
  sections: DebugSections;
}

function indexed(kind: IndexedValue['indexed'], index: number): IndexedValue {
  return { indexed: kind, index };
}

/** Reads one attribute value (see FormValue). */
export function readForm(r: Reader, form: number, ctx: FormContext, implicit?: number): FormValue {
  switch (form) {
    case DW_FORM.addr: return r.sized(ctx.addressSize);
    case DW_FORM.data1: case DW_FORM.ref1: case DW_FORM.flag: return r.u8();
    case DW_FORM.data2: case DW_FORM.ref2: return r.u16();
    case DW_FORM.data4: case DW_FORM.ref4: case DW_FORM.ref_sup4: return r.u32();
    case DW_FORM.data8: case DW_FORM.ref8: case DW_FORM.ref_sig8: case DW_FORM.ref_sup8: return r.u64();
    case DW_FORM.strx1: return indexed('strx', r.u8());
    case DW_FORM.strx2: return indexed('strx', r.u16());
    case DW_FORM.strx3: return indexed('strx', r.u16() + r.u8() * 0x10000);
    case DW_FORM.strx4: return indexed('strx', r.u32());
    case DW_FORM.strx: return indexed('strx', r.uleb());
    case DW_FORM.addrx1: return indexed('addrx', r.u8());
    case DW_FORM.addrx2: return indexed('addrx', r.u16());
    case DW_FORM.addrx3: return indexed('addrx', r.u16() + r.u8() * 0x10000);
    case DW_FORM.addrx4: return indexed('addrx', r.u32());
    case DW_FORM.addrx: return indexed('addrx', r.uleb());
    case DW_FORM.loclistx: return indexed('loclistx', r.uleb());
    case DW_FORM.rnglistx: return indexed('rnglistx', r.uleb());
    case DW_FORM.data16: r.skip(16); return undefined;
    case DW_FORM.string: return r.cstr();
    case DW_FORM.strp: return stringAt(ctx.sections.str, r.sized(ctx.offsetSize), '.debug_str');
    case DW_FORM.line_strp: return stringAt(ctx.sections.lineStr, r.sized(ctx.offsetSize), '.debug_line_str');
    case DW_FORM.strp_sup: case DW_FORM.sec_offset: return r.sized(ctx.offsetSize);
    case DW_FORM.ref_addr: return r.sized(ctx.version <= 2 ? ctx.addressSize : ctx.offsetSize);
    case DW_FORM.udata: case DW_FORM.ref_udata: return r.uleb();
    case DW_FORM.sdata: return r.sleb();
    case DW_FORM.flag_present: return 1;
    case DW_FORM.implicit_const: return implicit;
    case DW_FORM.block1: return r.bytes(r.u8());
    case DW_FORM.block2: return r.bytes(r.u16());
    case DW_FORM.block4: return r.bytes(r.u32());
    case DW_FORM.block: case DW_FORM.exprloc: return r.bytes(r.uleb());
    case DW_FORM.indirect: return readForm(r, r.uleb(), ctx);
    default: throw new Error(`unknown DWARF form 0x${form.toString(16)}`);
  }
}

/** One abbreviation of .debug_abbrev (DWARF 5, 7.5.3). */
export interface Abbreviation {
  tag: number;
  hasChildren: boolean;
  attributes: Array<{ name: number; form: number; implicit?: number }>;
}

/** The abbreviation table at `offset` in .debug_abbrev, by code. */
export function readAbbreviations(abbrev: Uint8Array, offset: number): Map<number, Abbreviation> {
  const table = new Map<number, Abbreviation>();
  const r = new Reader(abbrev, offset);
  for (;;) {
    const code = r.uleb();
    if (code === 0) return table;
    const tag = r.uleb();
    const hasChildren = r.u8() !== 0;
    const attributes: Abbreviation['attributes'] = [];
    for (;;) {
      const name = r.uleb();
      const form = r.uleb();
      const implicit = form === DW_FORM.implicit_const ? r.sleb() : undefined;
      if (name === 0 && form === 0) break;
      attributes.push(implicit === undefined ? { name, form } : { name, form, implicit });
    }
    table.set(code, { tag, hasChildren, attributes });
  }
}

/** A unit header of .debug_info (versions 2-5). */
export interface UnitHeader {
  offset: number;
  end: number;
  version: number;
  offsetSize: number;
  addressSize: number;
  abbrevOffset: number;
  /** Where the first DIE starts. */
  diesAt: number;
}

/** Reads the header of the unit at r.pos (r is left at its first DIE). */
export function readUnitHeader(r: Reader): UnitHeader {
  const offset = r.pos;
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
  return { offset, end, version, offsetSize, addressSize, abbrevOffset, diesAt: r.pos };
}
