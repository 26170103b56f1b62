// The debugging information entries of .debug_info (DWARF 2 to 5; DWARF 5
// specification, chapters 2 to 5 and 7.5): every unit's DIE tree with its
// attributes, references made absolute, and what the debugger asks of it:
// the function and the lexical blocks around an address, a function's
// parameters and variables, a unit's globals, and an object's location
// expression at an address (from DW_AT_location, directly or through a
// location list of .debug_loc / .debug_loclists). Address ranges come from
// DW_AT_low_pc/high_pc or DW_AT_ranges (.debug_ranges / .debug_rnglists).
// DWARF 5's indexed forms (strx, addrx, loclistx, rnglistx) are resolved
// against the unit's DW_AT_str_offsets_base, addr_base, loclists_base and
// rnglists_base.
//
// Addresses are the ELF file's; the caller applies any load bias.

import { DW_FORM, readAbbreviations, readForm, Reader, readUnitHeader, stringAt, type DebugSections, type FormContext, type FormValue, type IndexedValue, type UnitHeader } from './dwarfReader';

export const DW_TAG = {
  arrayType: 0x01, enumerationType: 0x04, formalParameter: 0x05, lexicalBlock: 0x0b, member: 0x0d, pointerType: 0x0f,
  compileUnit: 0x11, structureType: 0x13, subroutineType: 0x15, typedef: 0x16, unionType: 0x17, unspecifiedParameters: 0x18,
  inlinedSubroutine: 0x1d, subrangeType: 0x21, baseType: 0x24, constType: 0x26, enumerator: 0x28, subprogram: 0x2e,
  variable: 0x34, volatileType: 0x35, restrictType: 0x37, atomicType: 0x47, partialUnit: 0x3c, skeletonUnit: 0x4a,
} as const;

export const DW_AT = {
  location: 0x02, name: 0x03, byteSize: 0x0b, lowPc: 0x11, highPc: 0x12, constValue: 0x1c, inline: 0x20, upperBound: 0x2f,
  abstractOrigin: 0x31, count: 0x37, dataMemberLocation: 0x38, declaration: 0x3c, encoding: 0x3e, external: 0x3f,
  frameBase: 0x40, specification: 0x47, type: 0x49, ranges: 0x55, dataBitOffset: 0x6b, bitSize: 0x0d, bitOffset: 0x0c,
  lowerBound: 0x22, prototyped: 0x27, strOffsetsBase: 0x72, addrBase: 0x73, rnglistsBase: 0x74, loclistsBase: 0x8c,
  callFile: 0x58, callLine: 0x59, declLine: 0x3b, artificial: 0x34, stmtList: 0x10,
} as const;

export interface Die {
  offset: number;
  tag: number;
  attrs: Map<number, FormValue>;
  children: Die[];
  parent: Die | null;
  unit: Unit;
  /** DW_AT_high_pc is an offset from DW_AT_low_pc (a constant form, DWARF 4 and later). */
  highPcIsOffset?: boolean;
}

export interface Unit {
  header: UnitHeader;
  root: Die;
  addrBase: number;
  strOffsetsBase: number;
  loclistsBase: number;
  rnglistsBase: number;
  /** The unit's base address (its DW_AT_low_pc) for location and range lists. */
  baseAddress: number;
}

/** An address range [start, end). */
export type Range = [number, number];

const REF_FORMS: ReadonlySet<number> = new Set([DW_FORM.ref1, DW_FORM.ref2, DW_FORM.ref4, DW_FORM.ref8, DW_FORM.ref_udata]);
const ADDRESS_FORMS: ReadonlySet<number> = new Set([DW_FORM.addr, DW_FORM.addrx, DW_FORM.addrx1, DW_FORM.addrx2, DW_FORM.addrx3, DW_FORM.addrx4]);

/** DIEs read per file before the reader gives up (a malformed unit cannot exhaust memory). */
const MAX_DIES = 5_000_000;

export class DwarfInfo {
  readonly units: Unit[] = [];
  private readonly byOffset = new Map<number, Die>();
  private functionIndex: Array<{ start: number; end: number; die: Die }> | null = null;

  constructor(
    private readonly sections: DebugSections,
    warnings: string[],
  ) {
    if (!sections.info || !sections.abbrev) return;
    const r = new Reader(sections.info);
    while (!r.end) {
      const at = r.pos;
      let header: UnitHeader;
      try {
        header = readUnitHeader(r);
        this.readUnit(r, header);
      } catch (e) {
        warnings.push(`.debug_info unit at 0x${at.toString(16)}: ${(e as Error).message}`);
        return;
      }
      r.pos = header.end;
    }
  }

  private readUnit(r: Reader, header: UnitHeader): void {
    const abbrevs = readAbbreviations(this.sections.abbrev as Uint8Array, header.abbrevOffset);
    const ctx: FormContext = { version: header.version, offsetSize: header.offsetSize, addressSize: header.addressSize, sections: this.sections };
    let unit: Unit | null = null;
    let parent = null as Die | null;
    while (r.pos < header.end) {
      const offset = r.pos;
      const code = r.uleb();
      if (code === 0) {
        parent = parent?.parent ?? null;
        continue;
      }
      const a = abbrevs.get(code);
      if (!a) throw new Error(`abbreviation ${code} not found`);
      if (this.byOffset.size >= MAX_DIES) throw new Error(`more than ${MAX_DIES} DIEs`);
      const attrs = new Map<number, FormValue>();
      const die: Die = { offset, tag: a.tag, attrs, children: [], parent, unit: null as unknown as Unit };
      for (const { name, form, implicit } of a.attributes) {
        let v = readForm(r, form, ctx, implicit);
        if (REF_FORMS.has(form) && typeof v === 'number') v += header.offset;
        if (name === DW_AT.highPc && !ADDRESS_FORMS.has(form)) die.highPcIsOffset = true;
        attrs.set(name, v);
      }
      if (!unit) {
        const num = (at: number, fallback: number): number => {
          const v = attrs.get(at);
          return typeof v === 'number' ? v : fallback;
        };
        // DWARF 5 sections start with a header; bases default to just past it (8 or 16 bytes), 0 for .debug_addr's absence.
        unit = {
          header,
          root: die,
          addrBase: num(DW_AT.addrBase, 8),
          strOffsetsBase: num(DW_AT.strOffsetsBase, 8),
          loclistsBase: num(DW_AT.loclistsBase, 12),
          rnglistsBase: num(DW_AT.rnglistsBase, 12),
          baseAddress: 0,
        };
        this.units.push(unit);
        die.unit = unit;
        const low = this.address(die, DW_AT.lowPc);
        unit.baseAddress = low ?? 0;
      }
      die.unit = unit;
      this.byOffset.set(offset, die);
      parent?.children.push(die);
      if (a.hasChildren) parent = die;
    }
  }

  die(offset: number): Die | undefined {
    return this.byOffset.get(offset);
  }

  /** An attribute of the DIE, else of the DIE it completes or instantiates (DW_AT_specification, DW_AT_abstract_origin). */
  attr(die: Die, at: number): FormValue {
    for (let d: Die | undefined = die, n = 0; d && n < 8; n++) {
      const v = d.attrs.get(at);
      if (v !== undefined) return v;
      const next: FormValue = d.attrs.get(DW_AT.specification) ?? d.attrs.get(DW_AT.abstractOrigin);
      d = typeof next === 'number' ? this.byOffset.get(next) : undefined;
    }
    return undefined;
  }

  number(die: Die, at: number): number | undefined {
    const v = this.attr(die, at);
    return typeof v === 'number' ? v : undefined;
  }

  name(die: Die): string | undefined {
    const v = this.attr(die, DW_AT.name);
    return typeof v === 'string' ? v : v && typeof v === 'object' && 'indexed' in v ? this.indexedString(die.unit, v) : undefined;
  }

  /** The DIE an attribute refers to (DW_AT_type ...). */
  ref(die: Die, at: number): Die | undefined {
    const v = this.attr(die, at);
    return typeof v === 'number' ? this.byOffset.get(v) : undefined;
  }

  private indexedString(unit: Unit, v: IndexedValue): string | undefined {
    if (v.indexed !== 'strx' || !this.sections.strOffsets) return undefined;
    const size = unit.header.offsetSize;
    const r = new Reader(this.sections.strOffsets, unit.strOffsetsBase + v.index * size);
    return stringAt(this.sections.str, r.sized(size), '.debug_str');
  }

  /** An entry of .debug_addr of the unit. */
  addrx(unit: Unit, index: number): number {
    if (!this.sections.addr) throw new Error('no .debug_addr section');
    const size = unit.header.addressSize;
    return new Reader(this.sections.addr, unit.addrBase + index * size).sized(size);
  }

  private address(die: Die, at: number): number | undefined {
    const v = die.attrs.get(at);
    if (typeof v === 'number') return v;
    if (v && typeof v === 'object' && 'indexed' in v && v.indexed === 'addrx') return this.addrx(die.unit, v.index);
    return undefined;
  }

  /** The address ranges a DIE covers (a function, a lexical block, a unit). */
  ranges(die: Die): Range[] {
    const low = this.address(die, DW_AT.lowPc);
    const high = die.attrs.get(DW_AT.highPc);
    if (low !== undefined && typeof high === 'number') return [[low, die.highPcIsOffset ? low + high : high]];
    if (low !== undefined && high !== undefined) {
      const h = this.address(die, DW_AT.highPc);
      return h !== undefined ? [[low, h]] : [];
    }
    const ranges = die.attrs.get(DW_AT.ranges);
    if (ranges === undefined) return low !== undefined ? [[low, low + 1]] : [];
    try {
      return die.unit.header.version >= 5 ? this.rnglist(die.unit, ranges) : this.debugRanges(die.unit, ranges);
    } catch {
      return [];
    }
  }

  private debugRanges(unit: Unit, v: FormValue): Range[] {
    if (typeof v !== 'number' || !this.sections.ranges) return [];
    const size = unit.header.addressSize;
    const all = size === 8 ? 2 ** 64 : 2 ** (size * 8) - 1;
    const r = new Reader(this.sections.ranges, v);
    let base = unit.baseAddress;
    const out: Range[] = [];
    for (;;) {
      const a = r.sized(size);
      const b = r.sized(size);
      if (a === 0 && b === 0) return out;
      if (a === all) base = b;
      else out.push([base + a, base + b]);
    }
  }

  /** Start of the list a DW_FORM_sec_offset or an index names in a DWARF 5 list section. */
  private listStart(unit: Unit, section: Uint8Array, v: FormValue, base: number): number | undefined {
    if (typeof v === 'number') return v;
    if (v && typeof v === 'object' && 'indexed' in v) {
      const size = unit.header.offsetSize;
      return base + new Reader(section, base + v.index * size).sized(size);
    }
    return undefined;
  }

  private rnglist(unit: Unit, v: FormValue): Range[] {
    const section = this.sections.rnglists;
    if (!section) return [];
    const start = this.listStart(unit, section, v, unit.rnglistsBase);
    if (start === undefined) return [];
    const size = unit.header.addressSize;
    const r = new Reader(section, start);
    let base = unit.baseAddress;
    const out: Range[] = [];
    for (;;) {
      const kind = r.u8();
      switch (kind) {
        case 0: return out;
        case 1: base = this.addrx(unit, r.uleb()); break;
        case 2: { const a = this.addrx(unit, r.uleb()); out.push([a, this.addrx(unit, r.uleb())]); break; }
        case 3: { const a = this.addrx(unit, r.uleb()); out.push([a, a + r.uleb()]); break; }
        case 4: { const a = r.uleb(); out.push([base + a, base + r.uleb()]); break; }
        case 5: base = r.sized(size); break;
        case 6: { const a = r.sized(size); out.push([a, r.sized(size)]); break; }
        case 7: { const a = r.sized(size); out.push([a, a + r.uleb()]); break; }
        default: throw new Error(`unknown range list entry ${kind}`);
      }
    }
  }

  /**
   * The location expression of an object (DW_AT_location, or `at`) at
   * address `pc`: the expression, null when a location list has no entry
   * for the address (optimised out there), undefined when the DIE has none.
   */
  locationAt(die: Die, pc: number, at: number = DW_AT.location): Uint8Array | null | undefined {
    const v = die.attrs.get(at);
    if (v === undefined) return undefined;
    if (v instanceof Uint8Array) return v;
    try {
      return die.unit.header.version >= 5 ? this.loclist(die.unit, v, pc) : this.debugLoc(die.unit, v, pc);
    } catch {
      return null;
    }
  }

  private debugLoc(unit: Unit, v: FormValue, pc: number): Uint8Array | null {
    if (typeof v !== 'number' || !this.sections.loc) return null;
    const size = unit.header.addressSize;
    const all = size === 8 ? 2 ** 64 : 2 ** (size * 8) - 1;
    const r = new Reader(this.sections.loc, v);
    let base = unit.baseAddress;
    for (;;) {
      const a = r.sized(size);
      const b = r.sized(size);
      if (a === 0 && b === 0) return null;
      if (a === all) {
        base = b;
        continue;
      }
      const expr = r.bytes(r.u16());
      if (pc >= base + a && pc < base + b) return expr;
    }
  }

  private loclist(unit: Unit, v: FormValue, pc: number): Uint8Array | null {
    const section = this.sections.loclists;
    if (!section) return null;
    const start = this.listStart(unit, section, v, unit.loclistsBase);
    if (start === undefined) return null;
    const size = unit.header.addressSize;
    const r = new Reader(section, start);
    let base = unit.baseAddress;
    let fallback: Uint8Array | null = null;
    for (;;) {
      const kind = r.u8();
      let range: Range | null = null;
      switch (kind) {
        case 0: return fallback;
        case 1: base = this.addrx(unit, r.uleb()); continue;
        case 2: { const a = this.addrx(unit, r.uleb()); range = [a, this.addrx(unit, r.uleb())]; break; }
        case 3: { const a = this.addrx(unit, r.uleb()); range = [a, a + r.uleb()]; break; }
        case 4: { const a = r.uleb(); range = [base + a, base + r.uleb()]; break; }
        case 5: fallback = r.bytes(r.uleb()); continue;
        case 6: base = r.sized(size); continue;
        case 7: { const a = r.sized(size); range = [a, r.sized(size)]; break; }
        case 8: { const a = r.sized(size); range = [a, a + r.uleb()]; break; }
        default: throw new Error(`unknown location list entry ${kind}`);
      }
      const expr = r.bytes(r.uleb());
      if (pc >= range[0] && pc < range[1]) return expr;
    }
  }

  /** The concrete function (DW_TAG_subprogram with code) whose ranges hold `pc`. */
  functionAt(pc: number): Die | undefined {
    if (!this.functionIndex) {
      const list: Array<{ start: number; end: number; die: Die }> = [];
      const visit = (d: Die): void => {
        if (d.tag === DW_TAG.subprogram) for (const [start, end] of this.ranges(d)) if (end > start) list.push({ start, end, die: d });
        for (const c of d.children) visit(c);
      };
      for (const u of this.units) visit(u.root);
      this.functionIndex = list.sort((a, b) => a.start - b.start);
    }
    const list = this.functionIndex;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid].start <= pc) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo - 1; i >= 0 && i >= lo - 8; i--) if (pc < list[i].end) return list[i].die;
    return undefined;
  }

  /**
   * The scopes around `pc` in a function or an inlined subroutine, innermost
   * first: its lexical blocks that hold the address, then itself; with
   * `throughInlined`, also the subroutines inlined there and their blocks.
   */
  scopesAt(fn: Die, pc: number, throughInlined = false): Die[] {
    const chain: Die[] = [fn];
    for (let scope: Die | undefined = fn; scope; ) {
      const inner: Die | undefined = scope.children.find(
        (c) => (c.tag === DW_TAG.lexicalBlock || (throughInlined && c.tag === DW_TAG.inlinedSubroutine)) && this.ranges(c).some(([s, e]) => pc >= s && pc < e),
      );
      if (inner) chain.unshift(inner);
      scope = inner;
    }
    return chain;
  }

  /** The subroutines inlined at `pc` in a function, innermost first. */
  inlinedAt(fn: Die, pc: number): Die[] {
    return this.scopesAt(fn, pc, true).filter((d) => d.tag === DW_TAG.inlinedSubroutine);
  }

  /** The variables of a unit at file scope (globals and file statics), definitions only. */
  globals(unit: Unit): Die[] {
    return unit.root.children.filter((d) => d.tag === DW_TAG.variable && d.attrs.get(DW_AT.declaration) === undefined && this.name(d) !== undefined);
  }

  /** The unit whose code holds `pc`, by its function. */
  unitAt(pc: number): Unit | undefined {
    return this.functionAt(pc)?.unit;
  }
}
