// C types from DWARF type entries (DWARF 5 specification, chapter 5): base
// types with their encodings, pointers, structures and unions with their
// members and bit fields, arrays (several subranges are several
// dimensions), enumerations, typedefs, const/volatile/restrict/_Atomic and
// function types; and their names as C writes them (`int (*)(int, int)`,
// `char [16]`, `const struct point *`). Structures that refer to themselves
// (a linked list) are built once: the entry is cached before its members.

import { DW_AT, DW_TAG, type Die, type DwarfInfo } from './dwarfInfo';

export type BaseEncoding = 'signed' | 'unsigned' | 'signedChar' | 'unsignedChar' | 'bool' | 'float' | 'address';

export interface CMember {
  name: string;
  type: CType;
  /** Byte offset of the member (of its first bit, for a bit field) from the start of the aggregate. */
  offset: number;
  /** A bit field: its width, and its first bit counted from bit 0 of the byte at `offset` (little-endian). */
  bits?: { size: number; shift: number };
}

export type CType =
  | { kind: 'void' }
  | { kind: 'base'; name: string; size: number; encoding: BaseEncoding }
  | { kind: 'pointer'; size: number; target: CType }
  | { kind: 'struct' | 'union'; name?: string; size: number; members: CMember[] }
  /** One dimension; int a[2][3] is an array of 2 arrays of 3. `count` undefined: unknown bound (a flexible array member). */
  | { kind: 'array'; element: CType; count: number | undefined }
  | { kind: 'enum'; name?: string; size: number; signed: boolean; enumerators: Array<{ name: string; value: number }> }
  | { kind: 'typedef'; name: string; target: CType }
  | { kind: 'qualified'; qualifier: 'const' | 'volatile' | 'restrict' | '_Atomic'; target: CType }
  | { kind: 'function'; returns: CType; params: CType[]; variadic: boolean };

const VOID: CType = { kind: 'void' };

const ENCODINGS: Record<number, BaseEncoding> = {
  0x01: 'address', 0x02: 'bool', 0x04: 'float', 0x05: 'signed', 0x06: 'signedChar', 0x07: 'unsigned', 0x08: 'unsignedChar',
  0x10: 'unsigned', // UTF (char8_t ...)
};

/** The type without typedefs and qualifiers. */
export function strip(t: CType): CType {
  for (let n = 0; n < 64 && (t.kind === 'typedef' || t.kind === 'qualified'); n++) t = t.target;
  return t;
}

/** sizeof, in bytes (0 for void, functions and arrays of unknown bound). */
export function sizeOf(t: CType): number {
  const s = strip(t);
  switch (s.kind) {
    case 'void': case 'function': case 'typedef': case 'qualified': return 0;
    case 'array': return (s.count ?? 0) * sizeOf(s.element);
    default: return s.size;
  }
}

/** Whether the type is a character type (char, signed char, unsigned char), for strings. */
export function isCharType(t: CType): boolean {
  const s = strip(t);
  return s.kind === 'base' && s.size === 1 && (s.encoding === 'signedChar' || s.encoding === 'unsignedChar');
}

/** The C name of a type, with `inner` the declarator inside it (used for pointers, arrays and functions). */
export function typeName(t: CType, inner = ''): string {
  const spaced = (spec: string): string => (inner ? `${spec} ${inner}` : spec);
  const grouped = (): string => (inner.startsWith('*') ? `(${inner})` : inner);
  switch (t.kind) {
    case 'void': return spaced('void');
    case 'base': return spaced(t.name);
    case 'typedef': return spaced(t.name);
    case 'struct': case 'union': return spaced(`${t.kind} ${t.name ?? '{...}'}`);
    case 'enum': return spaced(`enum ${t.name ?? '{...}'}`);
    case 'qualified': {
      // A qualified pointer: the qualifier follows the star (char *const).
      if (t.target.kind === 'pointer') return typeName(t.target, inner ? `${t.qualifier} ${inner}` : t.qualifier);
      return `${t.qualifier} ${typeName(t.target, inner)}`;
    }
    case 'pointer': return typeName(t.target, `*${inner}`);
    case 'array': return typeName(t.element, `${grouped()}[${t.count ?? ''}]`);
    case 'function': {
      const params = t.params.map((p) => typeName(p)).concat(t.variadic ? ['...'] : []);
      return typeName(t.returns, `${grouped()}(${params.length ? params.join(', ') : 'void'})`);
    }
  }
}

/** Builds CTypes from DIEs, each once. */
export class TypeBuilder {
  private readonly cache = new Map<number, CType>();

  constructor(private readonly info: DwarfInfo) {}

  /** The type of an object or member DIE (its DW_AT_type; void when it has none). */
  typeOfObject(die: Die): CType {
    return this.typeOf(this.info.ref(die, DW_AT.type));
  }

  typeOf(die: Die | undefined): CType {
    if (!die) return VOID;
    const known = this.cache.get(die.offset);
    if (known) return known;
    const info = this.info;
    const name = info.name(die);
    const size = info.number(die, DW_AT.byteSize) ?? 0;
    const inner = (): CType => this.typeOfObject(die);
    let t: CType;
    switch (die.tag) {
      case DW_TAG.baseType:
        t = { kind: 'base', name: name ?? '?', size, encoding: ENCODINGS[info.number(die, DW_AT.encoding) ?? 0x07] ?? 'unsigned' };
        break;
      case DW_TAG.pointerType:
        t = { kind: 'pointer', size: size || die.unit.header.addressSize, target: VOID };
        this.cache.set(die.offset, t);
        t.target = inner();
        return t;
      case DW_TAG.structureType: case DW_TAG.unionType: {
        const agg: CType = { kind: die.tag === DW_TAG.structureType ? 'struct' : 'union', ...(name ? { name } : {}), size, members: [] };
        this.cache.set(die.offset, agg);
        for (const m of die.children) if (m.tag === DW_TAG.member) agg.members.push(this.member(m));
        return agg;
      }
      case DW_TAG.arrayType: {
        const dims = die.children.filter((c) => c.tag === DW_TAG.subrangeType).map((c) => this.count(c));
        let arr = inner();
        for (const count of (dims.length ? dims : [undefined]).reverse()) arr = { kind: 'array', element: arr, count };
        t = arr;
        break;
      }
      case DW_TAG.enumerationType: {
        const enumerators = die.children.filter((c) => c.tag === DW_TAG.enumerator).map((c) => ({ name: info.name(c) ?? '?', value: info.number(c, DW_AT.constValue) ?? 0 }));
        const base = this.info.ref(die, DW_AT.type);
        const baseType = base ? strip(this.typeOf(base)) : undefined;
        const signed = baseType?.kind === 'base' ? baseType.encoding === 'signed' || baseType.encoding === 'signedChar' : false;
        // A signed value's form (data1-8) is unsigned: fold enumerators into the signed range.
        if (signed) for (const e of enumerators) if (e.value >= 2 ** (size * 8 - 1)) e.value -= 2 ** (size * 8);
        t = { kind: 'enum', ...(name ? { name } : {}), size, signed, enumerators };
        break;
      }
      case DW_TAG.typedef:
        t = { kind: 'typedef', name: name ?? '?', target: VOID };
        this.cache.set(die.offset, t);
        t.target = inner();
        return t;
      case DW_TAG.constType: t = { kind: 'qualified', qualifier: 'const', target: inner() }; break;
      case DW_TAG.volatileType: t = { kind: 'qualified', qualifier: 'volatile', target: inner() }; break;
      case DW_TAG.restrictType: t = { kind: 'qualified', qualifier: 'restrict', target: inner() }; break;
      case DW_TAG.atomicType: t = { kind: 'qualified', qualifier: '_Atomic', target: inner() }; break;
      case DW_TAG.subroutineType:
        t = {
          kind: 'function',
          returns: inner(),
          params: die.children.filter((c) => c.tag === DW_TAG.formalParameter).map((c) => this.typeOfObject(c)),
          variadic: die.children.some((c) => c.tag === DW_TAG.unspecifiedParameters),
        };
        break;
      default:
        t = size ? { kind: 'base', name: name ?? '?', size, encoding: 'unsigned' } : VOID;
    }
    this.cache.set(die.offset, t);
    return t;
  }

  private count(subrange: Die): number | undefined {
    const count = this.info.number(subrange, DW_AT.count);
    if (count !== undefined) return count;
    const upper = this.info.attr(subrange, DW_AT.upperBound);
    if (typeof upper !== 'number') return undefined;
    const lower = this.info.number(subrange, DW_AT.lowerBound) ?? 0;
    // An upper bound of -1 in an unsigned form: an empty or flexible array.
    return upper >= 2 ** 31 && upper < 2 ** 32 ? undefined : upper - lower + 1;
  }

  private member(m: Die): CMember {
    const info = this.info;
    const type = this.typeOfObject(m);
    const location = info.attr(m, DW_AT.dataMemberLocation);
    // DWARF 2 gives the offset as an expression: DW_OP_plus_uconst n.
    let offset = typeof location === 'number' ? location : location instanceof Uint8Array && location[0] === 0x23 ? uleb(location, 1) : 0;
    const bitSize = info.number(m, DW_AT.bitSize);
    const out: CMember = { name: info.name(m) ?? '', type, offset };
    if (bitSize !== undefined) {
      let first: number;
      const dataBitOffset = info.number(m, DW_AT.dataBitOffset);
      if (dataBitOffset !== undefined) first = dataBitOffset;
      else {
        // DWARF 2/3: counted from the most significant bit of a storage unit of DW_AT_byte_size bytes at `offset`.
        const unit = info.number(m, DW_AT.byteSize) ?? sizeOf(type);
        first = offset * 8 + unit * 8 - (info.number(m, DW_AT.bitOffset) ?? 0) - bitSize;
      }
      offset = Math.floor(first / 8);
      out.offset = offset;
      out.bits = { size: bitSize, shift: first - offset * 8 };
    }
    return out;
  }
}

function uleb(bytes: Uint8Array, at: number): number {
  let v = 0;
  let scale = 1;
  for (let i = at; i < bytes.length; i++) {
    v += (bytes[i] & 0x7f) * scale;
    scale *= 128;
    if (!(bytes[i] & 0x80)) break;
  }
  return v;
}
