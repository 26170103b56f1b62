// NASM's numeric constant syntax (NASM manual, "Numeric Constants"):
// 0x1f / 0h1f / 1fh / $1f hex, 0b101 / 0y101 / 101b / 101y binary,
// 0o17 / 0q17 / 17o / 17q octal, 0d99 / 99d / 99 decimal; `_` separators.
// Only plain constants and + - * between them are evaluated here: enough
// for `org 0x7c00`, `section .x vstart=0x500`, `FOO equ 0x10 + 2`.

export function parseNasmNumber(text: string): number | undefined {
  const s = text.trim().replace(/_/g, '').toLowerCase();
  if (s === '') return undefined;
  let m: RegExpExecArray | null;
  if ((m = /^0[xh]([0-9a-f]+)$/.exec(s))) return parseInt(m[1], 16);
  if ((m = /^\$([0-9][0-9a-f]*)$/.exec(s))) return parseInt(m[1], 16);
  if ((m = /^([0-9][0-9a-f]*)h$/.exec(s))) return parseInt(m[1], 16);
  if ((m = /^0[by]([01]+)$/.exec(s))) return parseInt(m[1], 2);
  if ((m = /^([01]+)[by]$/.exec(s))) return parseInt(m[1], 2);
  if ((m = /^0[oq]([0-7]+)$/.exec(s))) return parseInt(m[1], 8);
  if ((m = /^([0-7]+)[oq]$/.exec(s))) return parseInt(m[1], 8);
  if ((m = /^0d([0-9]+)$/.exec(s))) return parseInt(m[1], 10);
  if ((m = /^([0-9]+)d?$/.exec(s))) return parseInt(m[1], 10);
  return undefined;
}

/**
 * A small constant expression: numbers, + - * and parentheses, with an
 * optional lookup for names. Undefined for anything else.
 */
export function evalNasmExpression(text: string, lookup?: (name: string) => number | undefined): number | undefined {
  const tokens = text.match(/\s*([0-9$][0-9a-z_$]*|[A-Za-z_.?@][\w.?@$#~]*|[-+*()])/gi);
  if (!tokens || tokens.join('').replace(/\s+/g, '') !== text.replace(/\s+/g, '')) return undefined;
  const toks = tokens.map((t) => t.trim());
  let i = 0;
  const primary = (): number | undefined => {
    const t = toks[i++];
    if (t === undefined) return undefined;
    if (t === '(') {
      const v = sum();
      if (toks[i++] !== ')') return undefined;
      return v;
    }
    if (t === '-') {
      const v = primary();
      return v === undefined ? undefined : -v;
    }
    if (t === '+') return primary();
    const n = parseNasmNumber(t);
    if (n !== undefined) return n;
    return lookup?.(t);
  };
  const product = (): number | undefined => {
    let v = primary();
    while (v !== undefined && toks[i] === '*') {
      i++;
      const r = primary();
      v = r === undefined ? undefined : v * r;
    }
    return v;
  };
  const sum = (): number | undefined => {
    let v = product();
    while (v !== undefined && (toks[i] === '+' || toks[i] === '-')) {
      const op = toks[i++];
      const r = product();
      v = r === undefined ? undefined : op === '+' ? v + r : v - r;
    }
    return v;
  };
  const v = sum();
  return i === toks.length ? v : undefined;
}
