// C expressions over a frame's variables, for evaluate, hovers and Watch:
// names (locals, parameters, globals), member access `a.b` and `p->b`,
// indexing `a[i]` (arrays and pointers), `*p`, `&x`, unary minus, numbers
// and parentheses. An expression whose names are not all C variables with
// DWARF information is not a C expression here: the caller falls back to
// the NASM-syntax evaluator, so registers and assembly labels (a label's
// value is its address) keep their meaning.

import { toBytes, type CValue } from './cValues';
import type { CFrame } from './cVariables';
import { strip, typeName, type CType } from './symbols/dwarfTypes';

type Token = { kind: 'name'; text: string } | { kind: 'number'; value: number } | { kind: 'punct'; text: string };

/** Expression length and nesting the C evaluator accepts (longer input goes to the NASM evaluator's own limits). */
const MAX_LENGTH = 1000;
const MAX_DEPTH = 64;

function tokenize(text: string): Token[] | undefined {
  const out: Token[] = [];
  const re = /\s*(?:([A-Za-z_]\w*)|(0[xX][0-9a-fA-F]+|\d+)|(->|[.[\]()*&-]))/y;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) return undefined;
    at = re.lastIndex;
    if (m[1] !== undefined) out.push({ kind: 'name', text: m[1] });
    else if (m[2] !== undefined) out.push({ kind: 'number', value: Number(m[2]) });
    else out.push({ kind: 'punct', text: m[3] });
  }
  return out;
}

/** Not a C expression over known variables: the caller tries the NASM evaluator. */
class NotC extends Error {}

const INT: CType = { kind: 'base', name: 'int', size: 4, encoding: 'signed' };

/**
 * Evaluates `text` as a C expression in `frame`: the value, undefined when
 * the text is not a C expression over the frame's C variables; throws with
 * a message when it is one but cannot be evaluated (no member `z`).
 */
export function evaluateC(text: string, frame: CFrame): CValue | undefined {
  if (text.length > MAX_LENGTH) return undefined;
  const tokens = tokenize(text);
  if (!tokens || tokens.length === 0 || !tokens.some((t) => t.kind === 'name')) return undefined;
  const values = frame.values;
  let i = 0;
  let depth = 0;
  const peek = (s: string): boolean => {
    const t = tokens[i];
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
    const x = values.scalar(v);
    if (typeof x === 'string') throw new Error(x);
    return x;
  };
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
  const unary = (): CValue => {
    if (++depth > MAX_DEPTH) throw new Error('the expression nests too deeply');
    try {
      if (peek('*')) {
        i++;
        return deref(unary());
      }
      if (peek('&')) {
        i++;
        const v = unary();
        if (v.place.kind !== 'memory' || v.bits) throw new Error('only an object in memory has an address');
        const size = frame.program?.addressSize ?? 4;
        const type: CType = { kind: 'pointer', size, target: v.type };
        return { type, place: { kind: 'bytes', bytes: toBytes(v.place.address, size) } };
      }
      if (peek('-')) {
        i++;
        return { type: INT, place: { kind: 'bytes', bytes: toBytes(-scalar(unary()), 4) } };
      }
      return postfix();
    } finally {
      depth--;
    }
  };
  const primary = (): CValue => {
    const t = tokens[i];
    if (t?.kind === 'number') {
      i++;
      return { type: INT, place: { kind: 'bytes', bytes: toBytes(t.value, 4) } };
    }
    if (peek('(')) {
      i++;
      const v = unary();
      expect(')');
      return v;
    }
    const n = name();
    const v = frame.lookup(n);
    if (!v) throw new NotC();
    return v;
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
        const index = scalar(unary());
        expect(']');
        const e = values.element(v, index);
        if (!e) throw new Error(`a ${typeName(v.type)} cannot be indexed`);
        v = e;
      } else return v;
    }
  };
  try {
    const v = unary();
    if (i !== tokens.length) throw new NotC();
    return v;
  } catch (e) {
    if (e instanceof NotC) return undefined;
    throw e;
  }
}
