// C expressions over a frame's variables, for evaluate, hovers, Watch,
// breakpoint conditions and log messages: names (locals, parameters,
// globals), member access `a.b` and `p->b`, indexing `a[i]` (arrays and
// pointers), `*p`, `&x`, casts to the program's types (`(struct node *)p`,
// `(u32)x`, `(unsigned char)c`), arithmetic (pointer arithmetic scaled by the
// target's size), shifts, bitwise and logical operators and comparisons,
// with C's precedence. An expression whose names are not all C variables
// with DWARF information is not a C expression here: the caller falls back
// to the NASM-syntax evaluator, so registers and assembly labels (a label's
// value is its address) keep their meaning.

import { toBytes, type CValue } from './cValues';
import type { CFrame } from './cVariables';
import type { DebugProgram } from './symbols/debugProgram';
import { DW_TAG, type Die } from './symbols/dwarfInfo';
import { sizeOf, strip, TypeBuilder, typeName, type CType } from './symbols/dwarfTypes';

type Token = { kind: 'name'; text: string } | { kind: 'number'; value: number } | { kind: 'punct'; text: string };

/** Expression length and nesting the C evaluator accepts (longer input goes to the NASM evaluator's own limits). */
const MAX_LENGTH = 1000;
const MAX_DEPTH = 64;

const PUNCT = /\s*(?:([A-Za-z_]\w*)|(0[xX][0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)[uUlLfF]*|('(?:\\.|[^\\'])')|(->|<<|>>|<=|>=|==|!=|&&|\|\||[.[\]()*&+\-/%!~<>|^]))/y;

function tokenize(text: string): Token[] | undefined {
  const out: Token[] = [];
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    PUNCT.lastIndex = at;
    const m = PUNCT.exec(text);
    if (!m) return undefined;
    at = PUNCT.lastIndex;
    if (m[1] !== undefined) out.push({ kind: 'name', text: m[1] });
    else if (m[2] !== undefined) out.push({ kind: 'number', value: Number(m[2]) });
    else if (m[3] !== undefined) {
      const body = m[3].slice(1, -1);
      const escapes: Record<string, number> = { n: 10, t: 9, r: 13, '0': 0, '\\': 92, "'": 39 };
      out.push({ kind: 'number', value: body.startsWith('\\') ? (escapes[body[1]] ?? body.charCodeAt(1)) : body.charCodeAt(0) });
    } else out.push({ kind: 'punct', text: m[4] });
  }
  return out;
}

/** Not a C expression over known variables: the caller tries the NASM evaluator. */
class NotC extends Error {}

const INT: CType = { kind: 'base', name: 'int', size: 4, encoding: 'signed' };
const UINT: CType = { kind: 'base', name: 'unsigned int', size: 4, encoding: 'unsigned' };
const LONG_LONG: CType = { kind: 'base', name: 'long long int', size: 8, encoding: 'signed' };
const DOUBLE: CType = { kind: 'base', name: 'double', size: 8, encoding: 'float' };

const TYPE_WORDS = new Set(['unsigned', 'signed', 'char', 'short', 'int', 'long', 'float', 'double', '_Bool', 'void', 'const', 'volatile']);

/** A base type's words in one canonical order ("unsigned long" and "long unsigned int" alike). */
function canonical(words: string[]): string {
  const w = words.filter((x) => x !== 'const' && x !== 'volatile');
  const has = (x: string) => w.includes(x);
  const longs = w.filter((x) => x === 'long').length;
  const core = has('char') ? 'char' : has('float') ? 'float' : has('double') ? 'double' : has('_Bool') ? '_Bool' : has('void') ? 'void' : 'int';
  const sign = has('unsigned') ? 'unsigned ' : has('signed') && core === 'char' ? 'signed ' : '';
  return `${sign}${has('short') ? 'short ' : ''}${'long '.repeat(longs)}${core}`;
}

const namedTypes = new WeakMap<DebugProgram, Map<string, Die>>();

/** The program's named types: `struct x`, `union x`, `enum x`, typedef names and base types (canonical words). */
function typeIndex(program: DebugProgram): Map<string, Die> {
  let index = namedTypes.get(program);
  if (index) return index;
  index = new Map();
  const info = program.info;
  const visit = (d: Die): void => {
    const name = info.name(d);
    if (name && d.attrs.size > 0) {
      const key =
        d.tag === DW_TAG.structureType ? `struct ${name}` :
        d.tag === DW_TAG.unionType ? `union ${name}` :
        d.tag === DW_TAG.enumerationType ? `enum ${name}` :
        d.tag === DW_TAG.typedef ? name :
        d.tag === DW_TAG.baseType ? canonical(name.split(/\s+/)) : undefined;
      // A complete definition wins over a declaration.
      if (key && (!index?.has(key) || !d.attrs.has(0x3c))) index?.set(key, d);
    }
    for (const c of d.children) visit(c);
  };
  for (const u of info.units) visit(u.root);
  namedTypes.set(program, index);
  return index;
}

const enumeratorIndex = new WeakMap<DebugProgram, Map<string, { value: number; type: Die }>>();

/** The program's enumerators by name, with their enum type. */
function enumerators(program: DebugProgram): Map<string, { value: number; type: Die }> {
  let index = enumeratorIndex.get(program);
  if (index) return index;
  const found = new Map<string, { value: number; type: Die }>();
  const info = program.info;
  const visit = (d: Die): void => {
    if (d.tag === DW_TAG.enumerationType) {
      for (const c of d.children) {
        const name = info.name(c);
        const value = info.number(c, 0x1c); // DW_AT_const_value
        if (c.tag === DW_TAG.enumerator && name && value !== undefined && !found.has(name)) found.set(name, { value, type: d });
      }
    }
    for (const c of d.children) visit(c);
  };
  for (const u of info.units) visit(u.root);
  enumeratorIndex.set(program, (index = found));
  return index;
}

/**
 * Evaluates `text` as a C expression in `frame`: the value, undefined when
 * the text is not a C expression over the frame's C variables; throws with
 * a message when it is one but cannot be evaluated (no member `z`).
 * With `namesOnly` false, number-only text (2.5e1, -(1 << 40)) is C too.
 */
export function evaluateC(text: string, frame: CFrame, namesOnly = true): CValue | undefined {
  if (text.length > MAX_LENGTH) return undefined;
  const tokens = tokenize(text);
  // Without names, a number expression is NASM's (formatted in hex), unless a new value is asked for (namesOnly false).
  if (!tokens || tokens.length === 0 || (namesOnly && !tokens.some((t) => t.kind === 'name'))) return undefined;
  const values = frame.values;
  const program = frame.program;
  const addressSize = program?.addressSize ?? 4;
  let i = 0;
  let depth = 0;
  const peek = (s: string, ahead = 0): boolean => {
    const t = tokens[i + ahead];
    return t !== undefined && t.kind === 'punct' && t.text === s;
  };
  const expect = (s: string): void => {
    if (!peek(s)) throw new NotC();
    i++;
  };
  const name = (): string => {
    const t = tokens[i++];
    if (t?.kind !== 'name') throw new NotC();
    return t.text;
  };
  const scalar = (v: CValue): number => {
    const k = strip(v.type).kind;
    if (k === 'array' && v.place.kind === 'memory') return v.place.address; // an array decays to its address
    if (k === 'struct' || k === 'union') throw new Error(`a ${typeName(v.type)} is not a number`);
    const x = values.scalar(v);
    if (typeof x === 'string') throw new Error(x);
    return x;
  };
  const number = (x: number, type?: CType): CValue => {
    if (!type && !Number.isInteger(x)) return { type: DOUBLE, place: { kind: 'bytes', bytes: float64(x) } };
    const t = type ?? (x >= -(2 ** 31) && x < 2 ** 31 ? INT : x >= 0 && x < 2 ** 32 ? UINT : LONG_LONG);
    const s = strip(t);
    if (s.kind === 'base' && s.encoding === 'float') {
      const bytes = new Uint8Array(s.size);
      const dv = new DataView(bytes.buffer);
      if (s.size === 4) dv.setFloat32(0, x, true);
      else dv.setFloat64(0, x, true);
      return { type: t, place: { kind: 'bytes', bytes } };
    }
    return { type: t, place: { kind: 'bytes', bytes: toBytes(x, sizeOf(t)) } };
  };
  const pointerTo = (target: CType, address: number): CValue => number(address, { kind: 'pointer', size: addressSize, target });
  const member = (v: CValue, m: string): CValue => {
    const r = values.member(v, m);
    if (!r) throw new Error(`${typeName(v.type)} has no member '${m}'`);
    return r;
  };
  const deref = (v: CValue): CValue => {
    const k = strip(v.type).kind;
    if (k !== 'pointer' && k !== 'array') throw new Error(`a ${typeName(v.type)} cannot be dereferenced`);
    const r = values.deref(v);
    if (!r || strip(r.type).kind === 'void') throw new Error(`a ${typeName(v.type)} cannot be dereferenced`);
    return r;
  };
  const nest = <T>(f: () => T): T => {
    if (++depth > MAX_DEPTH) throw new Error('the expression nests too deeply');
    try {
      return f();
    } finally {
      depth--;
    }
  };

  /** A type name at the cursor (after '('), or undefined when the parenthesis holds an expression. */
  const typeAt = (): CType | undefined => {
    const t = tokens[i];
    if (t?.kind !== 'name') return undefined;
    const index = program?.hasInfo ? typeIndex(program) : new Map<string, Die>();
    const builder = program?.hasInfo ? new TypeBuilder(program.info) : undefined;
    let type: CType | undefined;
    let j = i;
    if (['struct', 'union', 'enum'].includes(t.text)) {
      const n = tokens[j + 1];
      if (n?.kind !== 'name') return undefined;
      const die = index.get(`${t.text} ${n.text}`);
      if (!die || !builder) throw new Error(`no type '${t.text} ${n.text}' in the program`);
      type = builder.typeOf(die);
      j += 2;
    } else if (TYPE_WORDS.has(t.text)) {
      const words: string[] = [];
      while (tokens[j]?.kind === 'name' && TYPE_WORDS.has((tokens[j] as { text: string }).text)) words.push((tokens[j++] as { text: string }).text);
      const key = canonical(words);
      const die = index.get(key);
      if (die && builder) type = builder.typeOf(die);
      else if (key === 'void') type = { kind: 'void' };
      else {
        const size = key.includes('char') ? 1 : key.includes('short') ? 2 : key.includes('long long') || key === 'double' ? 8 : key.includes('long') ? addressSize : 4;
        type = { kind: 'base', name: key, size, encoding: key === 'float' || key === 'double' ? 'float' : key.startsWith('unsigned') ? 'unsigned' : 'signed' };
      }
    } else {
      const die = index.get(t.text);
      if (!die || die.tag !== DW_TAG.typedef || frame.lookup(t.text) || !builder) return undefined;
      type = builder.typeOf(die);
      j++;
    }
    while (tokens[j]?.kind === 'punct' && (tokens[j] as { text: string }).text === '*') {
      type = { kind: 'pointer', size: addressSize, target: type };
      j++;
    }
    if (!(tokens[j]?.kind === 'punct' && (tokens[j] as { text: string }).text === ')')) return undefined;
    i = j + 1;
    return type;
  };

  const cast = (type: CType, v: CValue): CValue => {
    const k = strip(type).kind;
    if (k === 'void') return { type, place: { kind: 'unavailable', reason: 'void' } };
    if (k !== 'base' && k !== 'pointer' && k !== 'enum') throw new Error(`cannot cast to ${typeName(type)}`);
    return number(scalar(v), type);
  };

  const unary = (): CValue =>
    nest(() => {
      if (peek('(')) {
        const save = i;
        i++;
        const type = typeAt();
        if (type) return cast(type, unary());
        i = save;
      }
      for (const op of ['*', '&', '-', '+', '!', '~']) {
        if (!peek(op)) continue;
        i++;
        const v = unary();
        switch (op) {
          case '*': return deref(v);
          case '&':
            if (v.place.kind !== 'memory' || v.bits) throw new Error('only an object in memory has an address');
            return pointerTo(v.type, v.place.address);
          case '-': return number(-scalar(v));
          case '+': return number(scalar(v));
          case '!': return number(scalar(v) === 0 ? 1 : 0);
          default: return number(~scalar(v));
        }
      }
      return postfix();
    });

  const primary = (): CValue => {
    const t = tokens[i];
    if (t?.kind === 'number') {
      i++;
      return number(t.value);
    }
    if (peek('(')) {
      i++;
      const v = binary(0);
      expect(')');
      return v;
    }
    const n = name();
    const v = frame.lookup(n);
    if (v) return v;
    // An enumerator of the program's enums (paint == GREEN).
    const e = program?.hasInfo ? enumerators(program).get(n) : undefined;
    if (!e) throw new NotC();
    return number(e.value, new TypeBuilder(program!.info).typeOf(e.type));
  };

  const postfix = (): CValue => {
    let v = primary();
    for (;;) {
      if (peek('.')) {
        i++;
        v = member(v, name());
      } else if (peek('->')) {
        i++;
        v = member(deref(v), name());
      } else if (peek('[')) {
        i++;
        const index = scalar(binary(0));
        expect(']');
        const e = values.element(v, index);
        if (!e) throw new Error(`a ${typeName(v.type)} cannot be indexed`);
        v = e;
      } else return v;
    }
  };

  // Binary operators by C precedence, lowest first.
  const LEVELS: string[][] = [['||'], ['&&'], ['|'], ['^'], ['&'], ['==', '!='], ['<', '<=', '>', '>='], ['<<', '>>'], ['+', '-'], ['*', '/', '%']];
  const apply = (op: string, a: CValue, b: CValue): CValue => {
    const ta = strip(a.type);
    const tb = strip(b.type);
    const isPtr = (t: CType) => t.kind === 'pointer' || t.kind === 'array';
    const elementSize = (t: CType) => (t.kind === 'pointer' ? sizeOf(t.target) : t.kind === 'array' ? sizeOf(t.element) : 1) || 1;
    const x = scalar(a);
    const y = scalar(b);
    if (op === '+' || op === '-') {
      if (isPtr(ta) && !isPtr(tb)) {
        const target = ta.kind === 'pointer' ? ta.target : ta.kind === 'array' ? ta.element : ta;
        return pointerTo(target, op === '+' ? x + y * elementSize(ta) : x - y * elementSize(ta));
      }
      if (op === '+' && isPtr(tb) && !isPtr(ta)) return apply('+', b, a);
      if (op === '-' && isPtr(ta) && isPtr(tb)) return number((x - y) / elementSize(ta));
    }
    switch (op) {
      case '||': return number(x !== 0 || y !== 0 ? 1 : 0);
      case '&&': return number(x !== 0 && y !== 0 ? 1 : 0);
      case '|': return number(Number(BigInt(Math.trunc(x)) | BigInt(Math.trunc(y))));
      case '^': return number(Number(BigInt(Math.trunc(x)) ^ BigInt(Math.trunc(y))));
      case '&': return number(Number(BigInt(Math.trunc(x)) & BigInt(Math.trunc(y))));
      case '==': return number(x === y ? 1 : 0);
      case '!=': return number(x !== y ? 1 : 0);
      case '<': return number(x < y ? 1 : 0);
      case '<=': return number(x <= y ? 1 : 0);
      case '>': return number(x > y ? 1 : 0);
      case '>=': return number(x >= y ? 1 : 0);
      case '<<': return number(Number(BigInt(Math.trunc(x)) << BigInt(Math.trunc(y) & 63)));
      case '>>': return number(Number(BigInt(Math.trunc(x)) >> BigInt(Math.trunc(y) & 63)));
      case '+': return number(x + y);
      case '-': return number(x - y);
      case '*': return number(x * y);
      default: {
        if (y === 0) throw new Error('division by zero');
        const floats = (ta.kind === 'base' && ta.encoding === 'float') || (tb.kind === 'base' && tb.encoding === 'float');
        if (op === '/') return floats ? number(x / y, DOUBLE) : number(Math.trunc(x / y));
        return number(x % y);
      }
    }
  };
  // Nesting is counted in unary(): each level here recurses at most LEVELS.length deep per unary.
  const binary = (level: number): CValue => {
    if (level >= LEVELS.length) return unary();
    let left = binary(level + 1);
    for (;;) {
      const op = LEVELS[level].find((o) => peek(o));
      if (!op) return left;
      i++;
      left = apply(op, left, binary(level + 1));
    }
  };

  try {
    const v = binary(0);
    if (i !== tokens.length) throw new NotC();
    return v;
  } catch (e) {
    if (e instanceof NotC) return undefined;
    throw e;
  }
}

function float64(x: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, x, true);
  return b;
}

/** A C condition's truth: undefined when the text is not a C expression over C variables. */
export function conditionC(text: string, frame: CFrame): boolean | undefined {
  const v = evaluateC(text, frame);
  if (!v) return undefined;
  const x = frame.values.scalar(v);
  if (typeof x === 'string') throw new Error(x);
  return x !== 0;
}
