// C values for the Variables view, hovers and evaluate: an object of a C
// type at a place (guest memory, the bytes of a register or a computed
// value, or nowhere: optimised out) read, shown as C debuggers show it, and
// expanded: structures and unions by member (bit fields extracted), arrays
// by element, pointers to their target; char arrays and char pointers as
// strings, enumerations by enumerator name, function pointers with the
// function they point to. Scalars in memory or in a register of the
// current frame can be set. DAP-free: values become StateNodes.

import type { StateNode } from './registerView';
import { type ExpressionContext, type Location, type SimpleLocation } from './symbols/dwarfExpr';
import { isCharType, sizeOf, strip, typeName, type CType } from './symbols/dwarfTypes';

/** Where an object's bytes are. */
export type Place =
  | { kind: 'memory'; address: number }
  /** Bytes the debugger holds (a register's, a computed value's); `write` when they can be changed (a register of the current frame). */
  | { kind: 'bytes'; bytes: Uint8Array; write?: (bytes: Uint8Array) => void }
  | { kind: 'unavailable'; reason: string };

export interface CValue {
  type: CType;
  place: Place;
  /** A bit field: width and first bit within the bytes at the place. */
  bits?: { size: number; shift: number };
}

/** What values need of the stopped machine (DWARF addresses; the host adds the data segment base). */
export interface ValueHost {
  addressSize: number;
  readMemory(address: number, length: number): Uint8Array | undefined;
  writeMemory(address: number, bytes: Uint8Array): boolean;
  /** The linear address of a DWARF address (for memory references and data breakpoints). */
  linear(address: number): number;
  /** The function or symbol at a code address, for function pointers. */
  symbolAt(address: number): string | undefined;
}

/** Elements shown of an array (the rest are summarised). */
const MAX_ELEMENTS = 1000;
/** Characters read for a string. */
const MAX_STRING = 200;
/** Elements in a one-line summary of an aggregate. */
const SUMMARY_ITEMS = 8;

function le(bytes: Uint8Array, signed: boolean): number {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  if (signed && bytes.length > 0) v = BigInt.asIntN(bytes.length * 8, v);
  return Number(v);
}

/** A number as `size` little-endian bytes (two's complement). */
export function toBytes(value: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let v = BigInt.asUintN(size * 8, BigInt(Math.trunc(value)));
  for (let i = 0; i < size; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/**
 * The place a DWARF location describes: memory stays memory; a register, a
 * value or implicit bytes become bytes; pieces are put together when they
 * are whole bytes. `register(n)` reads a register of the frame,
 * `writeRegister` is given for the current frame only.
 */
export function placeOf(
  location: Location,
  size: number,
  ctx: ExpressionContext,
  writeRegister?: (n: number, value: number) => void,
): Place {
  const simple = (l: SimpleLocation, length: number): Place => {
    switch (l.kind) {
      case 'memory': return { kind: 'memory', address: l.address };
      case 'empty': return { kind: 'unavailable', reason: 'optimized out' };
      case 'value': return { kind: 'bytes', bytes: toBytes(l.value, length) };
      case 'implicit': return { kind: 'bytes', bytes: l.bytes.subarray(0, length) };
      case 'register': {
        const v = ctx.register(l.register);
        if (v === undefined) return { kind: 'unavailable', reason: 'not saved in this frame' };
        const w = writeRegister;
        return {
          kind: 'bytes',
          bytes: toBytes(v, Math.min(length, ctx.addressSize)),
          ...(w && length <= ctx.addressSize ? { write: (b: Uint8Array) => w(l.register, (v - (v % 2 ** (b.length * 8))) + le(b, false)) } : {}),
        };
      }
    }
  };
  if (location.kind !== 'pieces') return simple(location, size);
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of location.pieces) {
    if (p.bits % 8 !== 0 || p.bitOffset % 8 !== 0) return { kind: 'unavailable', reason: 'split into bit pieces (not shown yet)' };
    const n = p.bits / 8;
    const part = simple(p.location, n);
    if (part.kind === 'unavailable') return { kind: 'unavailable', reason: `partly ${part.reason}` };
    let bytes: Uint8Array;
    if (part.kind === 'bytes') bytes = part.bytes;
    else {
      bytes = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const b = ctx.readMemory(part.address + i, 1);
        if (b === undefined) return { kind: 'unavailable', reason: 'a piece is unreadable' };
        bytes[i] = b;
      }
    }
    if (at < size) out.set(bytes.subarray(0, Math.min(n, size - at)), at);
    at += n;
  }
  return { kind: 'bytes', bytes: out };
}

export class CValueView {
  constructor(private readonly host: ValueHost) {}

  /** The bytes of a value (length: its type's size), or a reason they cannot be read. */
  bytes(v: CValue, length = sizeOf(v.type)): Uint8Array | string {
    const p = v.place;
    if (p.kind === 'unavailable') return p.reason;
    if (p.kind === 'bytes') return p.bytes.length >= length ? p.bytes.subarray(0, length) : p.bytes;
    return this.host.readMemory(p.address, length) ?? `memory at 0x${p.address.toString(16)} is unreadable`;
  }

  /** A scalar's number (integers, enums, pointers, chars, bit fields); a string when unreadable. */
  scalar(v: CValue): number | string {
    const t = strip(v.type);
    const size = sizeOf(t);
    const signed = t.kind === 'base' ? t.encoding === 'signed' || t.encoding === 'signedChar' : t.kind === 'enum' ? t.signed : false;
    if (v.bits) {
      const b = this.bytes(v, Math.ceil((v.bits.shift + v.bits.size) / 8));
      if (typeof b === 'string') return b;
      let raw = BigInt(le(b, false)) >> BigInt(v.bits.shift);
      raw = BigInt.asUintN(v.bits.size, raw);
      return Number(signed ? BigInt.asIntN(v.bits.size, raw) : raw);
    }
    const b = this.bytes(v, size);
    if (typeof b === 'string') return b;
    if (t.kind === 'base' && t.encoding === 'float') {
      const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      return size === 4 ? dv.getFloat32(0, true) : size === 8 ? dv.getFloat64(0, true) : NaN;
    }
    return le(b, signed);
  }

  /** The value's text, as C debuggers show it. */
  format(v: CValue): string {
    const t = strip(v.type);
    if (v.place.kind === 'unavailable') return `<${v.place.reason}>`;
    switch (t.kind) {
      case 'void': return 'void';
      case 'function': return this.codeAddress(v.place.kind === 'memory' ? v.place.address : 0);
      case 'struct': case 'union': {
        const items = t.members.slice(0, SUMMARY_ITEMS).map((m) => `${m.name} = ${this.format(this.member(v, m.name) as CValue)}`);
        return `{${items.join(', ')}${t.members.length > SUMMARY_ITEMS ? ', ...' : ''}}`;
      }
      case 'array': {
        if (isCharType(t.element)) {
          const b = this.bytes(v, Math.min(sizeOf(t) || MAX_STRING, MAX_STRING));
          return typeof b === 'string' ? `<${b}>` : quote(b);
        }
        const n = Math.min(t.count ?? 0, SUMMARY_ITEMS);
        const items: string[] = [];
        for (let i = 0; i < n; i++) items.push(this.format(this.element(v, i) as CValue));
        return `[${items.join(', ')}${(t.count ?? 0) > n ? ', ...' : ''}]`;
      }
      default: break;
    }
    const x = this.scalar(v);
    if (typeof x === 'string') return `<${x}>`;
    switch (t.kind) {
      case 'pointer': {
        const digits = t.size * 2;
        const text = `0x${x.toString(16).padStart(digits, '0')}`;
        const target = strip(t.target);
        if (x !== 0 && isCharType(t.target)) {
          const s = this.cString(x);
          return s === undefined ? text : `${text} ${s}`;
        }
        if (target.kind === 'function') return this.codeAddress(x);
        return text;
      }
      case 'enum': {
        const e = t.enumerators.find((n) => n.value === x);
        return e ? e.name : `${x}`;
      }
      case 'base':
        if (t.encoding === 'bool') return x === 0 ? 'false' : x === 1 ? 'true' : `${x}`;
        if (isCharType(t)) return `${x} ${charLiteral(x & 0xff)}`;
        return `${x}`;
      default:
        return `${x}`;
    }
  }

  private codeAddress(address: number): string {
    const name = this.host.symbolAt(address);
    return `0x${address.toString(16).padStart(this.host.addressSize * 2, '0')}${name ? ` <${name}>` : ''}`;
  }

  /** A NUL-terminated string at a DWARF address, quoted (at most MAX_STRING characters), or undefined when unreadable. */
  private cString(address: number): string | undefined {
    const chars: number[] = [];
    for (let i = 0; i < MAX_STRING; i++) {
      const b = this.host.readMemory(address + i, 1);
      if (b === undefined) return chars.length ? `${quote(Uint8Array.from(chars))}...` : undefined;
      if (b[0] === 0) return quote(Uint8Array.from(chars));
      chars.push(b[0]);
    }
    return `${quote(Uint8Array.from(chars))}...`;
  }

  /** A member of a structure or union value, or undefined. */
  member(v: CValue, name: string): CValue | undefined {
    const t = strip(v.type);
    if (t.kind !== 'struct' && t.kind !== 'union') return undefined;
    const m = t.members.find((x) => x.name === name);
    if (!m) return undefined;
    return { type: m.type, place: this.offsetPlace(v.place, m.offset, sizeOf(m.type)), ...(m.bits ? { bits: m.bits } : {}) };
  }

  /** Element `i` of an array value, or of the array a pointer points to. */
  element(v: CValue, i: number): CValue | undefined {
    const t = strip(v.type);
    if (t.kind === 'array') {
      const size = sizeOf(t.element);
      return { type: t.element, place: this.offsetPlace(v.place, i * size, size) };
    }
    if (t.kind === 'pointer') {
      const p = this.scalar(v);
      if (typeof p === 'string') return { type: t.target, place: { kind: 'unavailable', reason: p } };
      return { type: t.target, place: { kind: 'memory', address: p + i * sizeOf(t.target) } };
    }
    return undefined;
  }

  /** The object a pointer points to. */
  deref(v: CValue): CValue | undefined {
    return this.element(v, 0);
  }

  private offsetPlace(p: Place, offset: number, size: number): Place {
    if (p.kind === 'memory') return { kind: 'memory', address: p.address + offset };
    if (p.kind === 'bytes') return { kind: 'bytes', bytes: p.bytes.subarray(offset, offset + size) };
    return p;
  }

  /** Sets a scalar (integer, char, enum, pointer, bool, bit field) to a number. */
  set(v: CValue, value: number): void {
    const t = strip(v.type);
    if (!['base', 'enum', 'pointer'].includes(t.kind)) throw new Error(`a ${typeName(v.type)} cannot be set from one number`);
    const size = sizeOf(t);
    let bytes: Uint8Array;
    if (t.kind === 'base' && t.encoding === 'float') {
      bytes = new Uint8Array(size);
      const dv = new DataView(bytes.buffer);
      if (size === 4) dv.setFloat32(0, value, true);
      else if (size === 8) dv.setFloat64(0, value, true);
      else throw new Error(`a ${typeName(v.type)} cannot be set`);
    } else if (v.bits) {
      const length = Math.ceil((v.bits.shift + v.bits.size) / 8);
      const old = this.bytes(v, length);
      if (typeof old === 'string') throw new Error(old);
      const mask = ((1n << BigInt(v.bits.size)) - 1n) << BigInt(v.bits.shift);
      const merged = (BigInt(le(old, false)) & ~mask) | ((BigInt.asUintN(v.bits.size, BigInt(Math.trunc(value))) << BigInt(v.bits.shift)) & mask);
      bytes = toBytes(Number(merged), length);
    } else bytes = toBytes(value, size);
    const p = v.place;
    if (p.kind === 'memory') {
      if (!this.host.writeMemory(p.address, bytes)) throw new Error(`memory at 0x${p.address.toString(16)} is not writable RAM`);
    } else if (p.kind === 'bytes' && p.write) p.write(bytes);
    else throw new Error(p.kind === 'unavailable' ? `it is ${p.reason}` : 'it lives in a register of a caller frame or is computed, and cannot be set here');
  }

  /** The value as a Variables-view node named `name`, with `evaluateName` the C expression for it. */
  node(name: string, v: CValue, evaluateName?: string): StateNode {
    const t = strip(v.type);
    const node: StateNode = { name, value: this.format(v), type: typeName(v.type) };
    if (evaluateName) node.evaluateName = evaluateName;
    if (v.place.kind === 'memory') {
      node.memoryReference = `0x${this.host.linear(v.place.address).toString(16).padStart(8, '0')}`;
      node.dataSize = v.bits ? Math.ceil((v.bits.shift + v.bits.size) / 8) : sizeOf(v.type);
    }
    const sub = (expr: string): string | undefined => (evaluateName ? expr : undefined);
    const paren = evaluateName && /[^\w.[\]]/.test(evaluateName) ? `(${evaluateName})` : evaluateName;
    if (t.kind === 'struct' || t.kind === 'union') {
      node.children = () => t.members.map((m) => this.node(m.name, this.member(v, m.name) as CValue, sub(`${paren}.${m.name}`)));
    } else if (t.kind === 'array' && (t.count ?? 0) > 0) {
      node.children = () => {
        const n = Math.min(t.count ?? 0, MAX_ELEMENTS);
        const out: StateNode[] = [];
        for (let i = 0; i < n; i++) out.push(this.node(`[${i}]`, this.element(v, i) as CValue, sub(`${paren}[${i}]`)));
        return out;
      };
    } else if (t.kind === 'pointer') {
      const target = strip(t.target);
      const x = this.scalar(v);
      if (typeof x === 'number' && x !== 0 && (target.kind === 'struct' || target.kind === 'union')) {
        // A pointer to a structure expands straight to the members it points to (p->x), as C debuggers show it.
        const pointee = this.deref(v) as CValue;
        node.children = () => target.members.map((m) => this.node(m.name, this.member(pointee, m.name) as CValue, sub(`${paren}->${m.name}`)));
      } else if (typeof x === 'number' && x !== 0 && target.kind !== 'void' && target.kind !== 'function') {
        node.children = () => [this.node(`*${name}`, this.deref(v) as CValue, sub(`*${paren}`))];
      }
    }
    if ((t.kind === 'base' || t.kind === 'enum' || t.kind === 'pointer') && (v.place.kind === 'memory' || (v.place.kind === 'bytes' && v.place.write))) {
      node.set = (x) => this.set(v, x);
    }
    return node;
  }
}

/** Bytes as a C string literal (up to the first NUL). */
function quote(bytes: Uint8Array): string {
  let s = '"';
  for (const b of bytes) {
    if (b === 0) break;
    s += escape(b, '"');
  }
  return `${s}"`;
}

function charLiteral(b: number): string {
  return `'${escape(b, "'")}'`;
}

function escape(b: number, q: string): string {
  const named: Record<number, string> = { 0: '\\0', 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r', 92: '\\\\' };
  if (named[b]) return named[b];
  if (String.fromCharCode(b) === q) return `\\${q}`;
  if (b < 0x20 || b >= 0x7f) return `\\${b.toString(8).padStart(3, '0')}`;
  return String.fromCharCode(b);
}
