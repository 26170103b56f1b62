// Tokenizer of the expression language: NASM numbers and character
// constants, identifiers (NASM's character set, `$name` escapes) and
// operators. Columns are 1-based, as they appear in error messages.

export class ExpressionSyntaxError extends Error {}

export type Token =
  | {
      readonly kind: 'number';
      /** The value by NASM's rules; undefined for bare hex digits that are not a NASM number (7C00). */
      readonly value: bigint | undefined;
      /** Bare hex digits (07C0, 0000, 7C00: no prefix or suffix): their value as hex, for a side of seg:off. */
      readonly hex: bigint | undefined;
      readonly text: string;
      readonly col: number;
    }
  | {
      readonly kind: 'ident';
      /** The name as written, without a leading `$` escape. */
      readonly name: string;
      /** Written `$name`: NASM's escape that makes a register name a symbol. */
      readonly escaped: boolean;
      readonly text: string;
      readonly col: number;
    }
  | { readonly kind: 'op'; readonly op: string; readonly text: string; readonly col: number }
  | { readonly kind: 'end'; readonly text: ''; readonly col: number };

/** Operators, longest first so that the scan takes the longest match. */
const OPERATORS = [
  '>>>',
  '<<',
  '>>',
  '//',
  '%%',
  '&&',
  '||',
  '^^',
  '==',
  '!=',
  '<>',
  '<=',
  '>=',
  '(',
  ')',
  '[',
  ']',
  ':',
  '+',
  '-',
  '*',
  '/',
  '%',
  '&',
  '|',
  '^',
  '!',
  '~',
  '<',
  '>',
  '=',
];

const IDENT_START = /[A-Za-z_.?@]/;
const IDENT_PART = /[A-Za-z0-9_.?@$#]/;
const NUMBER_PART = /[A-Za-z0-9_.]/;

/** 2^64: numbers must stay below it. */
const LIMIT = 1n << 64n;

const RADIX_OF: Readonly<Record<string, number>> = {
  x: 16,
  h: 16,
  b: 2,
  y: 2,
  o: 8,
  q: 8,
  d: 10,
  t: 10,
};
const DIGITS: Readonly<Record<number, RegExp>> = {
  16: /^[0-9a-f_]+$/,
  10: /^[0-9_]+$/,
  8: /^[0-7_]+$/,
  2: /^[01_]+$/,
};

function digitsValue(digits: string, radix: number): bigint | undefined {
  if (!DIGITS[radix].test(digits)) return undefined;
  const clean = digits.replace(/_/g, '');
  if (clean === '') return undefined;
  let value = 0n;
  const r = BigInt(radix);
  for (const ch of clean) value = value * r + BigInt(parseInt(ch, 16));
  return value;
}

/**
 * The value of a NASM numeric constant, undefined if it is not one:
 * prefixes `0x`/`0h` (hex), `0d`/`0t` (decimal), `0o`/`0q` (octal),
 * `0b`/`0y` (binary), `$` + digit (hex); suffixes `h`/`x`, `d`/`t`,
 * `o`/`q`, `b`/`y`; plain decimal; `_` separators anywhere after the first
 * digit. A prefix form is tried before a suffix form, so `0bh` is 0x0B and
 * `0b1` is 1.
 */
export function parseNumber(text: string): bigint | undefined {
  const t = text.toLowerCase();
  if (t.startsWith('$')) return /^\$[0-9]/.test(t) ? digitsValue(t.slice(1), 16) : undefined;
  if (!/^[0-9]/.test(t) || t === '0x') return undefined;
  if (t.length > 2 && t[0] === '0' && RADIX_OF[t[1]] !== undefined) {
    const value = digitsValue(t.slice(2), RADIX_OF[t[1]]);
    if (value !== undefined) return value;
  }
  const last = t[t.length - 1];
  if (t.length > 1 && RADIX_OF[last] !== undefined) return digitsValue(t.slice(0, -1), RADIX_OF[last]);
  return digitsValue(t, 10);
}

/** The longest expression accepted, in characters (conditions and watches are a line; this is 50 of them). */
export const MAX_EXPRESSION_LENGTH = 4096;

/** Split `text` into tokens; the last is always `end`. Throws ExpressionSyntaxError. */
export function tokenize(text: string): Token[] {
  if (text.length > MAX_EXPRESSION_LENGTH) {
    throw new ExpressionSyntaxError(`expression is ${text.length} characters long; the limit is ${MAX_EXPRESSION_LENGTH}`);
  }
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    const col = i + 1;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (/[0-9]/.test(ch) || (ch === '$' && /[0-9]/.test(text[i + 1] ?? ''))) {
      let j = i + 1;
      while (j < text.length && NUMBER_PART.test(text[j])) j++;
      const word = text.slice(i, j);
      const value = parseNumber(word);
      const hex = /^[0-9][0-9a-f]*$/i.test(word) ? BigInt(`0x${word}`) : undefined;
      if (value === undefined && hex === undefined) {
        throw new ExpressionSyntaxError(`invalid number '${word}' at column ${col}`);
      }
      if ((value ?? hex ?? 0n) >= LIMIT) {
        throw new ExpressionSyntaxError(`number '${word}' at column ${col} does not fit in 64 bits`);
      }
      tokens.push({ kind: 'number', value, hex, text: word, col });
      i = j;
      continue;
    }
    if (IDENT_START.test(ch) || (ch === '$' && IDENT_START.test(text[i + 1] ?? ''))) {
      const escaped = ch === '$';
      let j = i + 1;
      while (j < text.length && IDENT_PART.test(text[j])) j++;
      const word = text.slice(i, j);
      tokens.push({ kind: 'ident', name: escaped ? word.slice(1) : word, escaped, text: word, col });
      i = j;
      continue;
    }
    if (ch === '$') {
      throw new ExpressionSyntaxError(
        `'$' at column ${col}: the current position is not supported; write a register (eip) or a symbol`,
      );
    }
    if (ch === "'" || ch === '"') {
      const close = text.indexOf(ch, i + 1);
      if (close < 0) throw new ExpressionSyntaxError(`unterminated character constant at column ${col}`);
      const bytes = Buffer.from(text.slice(i + 1, close), 'utf8');
      if (bytes.length > 8) {
        throw new ExpressionSyntaxError(`character constant at column ${col} is longer than 8 bytes`);
      }
      // NASM: the first character is the lowest byte ('ab' == 0x6261).
      let value = 0n;
      for (let k = bytes.length - 1; k >= 0; k--) value = (value << 8n) | BigInt(bytes[k]);
      tokens.push({ kind: 'number', value, hex: undefined, text: text.slice(i, close + 1), col });
      i = close + 1;
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (op === undefined) throw new ExpressionSyntaxError(`unexpected character '${ch}' at column ${col}`);
    tokens.push({ kind: 'op', op, text: op, col });
    i += op.length;
  }
  tokens.push({ kind: 'end', text: '', col: text.length + 1 });
  return tokens;
}
