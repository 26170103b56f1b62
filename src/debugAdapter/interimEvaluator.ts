// A small evaluator for the debug console, hovers, conditions and addresses,
// used until the full NASM expression language (./expression) lands:
// numbers (0x…, …h, decimal), registers, symbols, + - * / ( ), memory
// operands `[seg:addr]` with an optional byte/word/dword size, `seg:off`
// and `phys:…` addresses. Addresses it produces are linear unless physical.

import type { VmexitRuntime } from './runtime';
import type { SymbolService } from './symbolService';

export type GuestAddress = { space: 'linear' | 'physical'; address: number };

export interface EvaluatedValue {
  value: number;
  /** Size in bytes when the value came from memory or a register. */
  size?: number;
  /** The place the value lives, when it is memory (for memoryReference and assignment). */
  place?: GuestAddress;
  /** A register the value came from (for assignment). */
  register?: string;
}

export interface Evaluator {
  evaluate(text: string): EvaluatedValue;
  /** An address expression: `seg:off`, `phys:…`, a number, a symbol, `symbol+off`, `[…]` (its address). */
  address(text: string): GuestAddress;
}

const SIZES: Readonly<Record<string, number>> = { byte: 1, word: 2, dword: 4 };
const SEGMENTS = new Set(['cs', 'ds', 'es', 'ss', 'fs', 'gs']);

type Tok = { t: 'num'; v: number } | { t: 'id'; v: string } | { t: 'op'; v: string };

function tokenize(text: string): Tok[] {
  const out: Tok[] = [];
  const re = /\s*(?:(0x[0-9a-f]+|[0-9][0-9a-f]*h\b|[0-9]+)|([A-Za-z_.?$][\w.?@$#]*)|(\S))/giy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < text.length && (m = re.exec(text)) !== null) {
    if (m[1] !== undefined) {
      const s = m[1].toLowerCase();
      const v = s.startsWith('0x') ? parseInt(s.slice(2), 16) : s.endsWith('h') ? parseInt(s.slice(0, -1), 16) : Number(s);
      out.push({ t: 'num', v });
    } else if (m[2] !== undefined) out.push({ t: 'id', v: m[2] });
    else if (m[3] !== undefined) out.push({ t: 'op', v: m[3] });
    if (text.slice(re.lastIndex).trim() === '') break;
  }
  return out;
}

export class InterimEvaluator implements Evaluator {
  private toks: Tok[] = [];
  private pos = 0;

  constructor(
    private readonly runtime: VmexitRuntime,
    private readonly symbols: SymbolService,
  ) {}

  private register(name: string): EvaluatedValue | undefined {
    const n = name.toLowerCase();
    const r = this.runtime.regs();
    const full: Record<string, number> = { eax: r.eax, ebx: r.ebx, ecx: r.ecx, edx: r.edx, esi: r.esi, edi: r.edi, ebp: r.ebp, esp: r.esp, eip: r.eip, eflags: r.eflags };
    if (n in full) return { value: full[n] >>> 0, size: 4, register: n };
    if (['ax', 'bx', 'cx', 'dx', 'si', 'di', 'bp', 'sp', 'ip', 'flags'].includes(n)) return { value: full['e' + n] & 0xffff, size: 2, register: n };
    if (/^[abcd][hl]$/.test(n)) {
      const v = full[`e${n[0]}x`];
      return { value: n[1] === 'h' ? (v >>> 8) & 0xff : v & 0xff, size: 1, register: n };
    }
    if (SEGMENTS.has(n)) return { value: this.runtime.sregs()[n as 'cs'].selector, size: 2, register: n };
    const s = this.runtime.sregs();
    const sys: Record<string, number> = { cr0: s.cr0, cr2: s.cr2, cr3: s.cr3, cr4: s.cr4, efer: s.efer };
    if (n in sys) return { value: sys[n] >>> 0, size: 4, register: n };
    return undefined;
  }

  private peek(): Tok | undefined {
    return this.toks[this.pos];
  }

  private isOp(v: string): boolean {
    const t = this.peek();
    return t !== undefined && t.t === 'op' && t.v === v;
  }

  private expect(v: string): void {
    if (!this.isOp(v)) throw new Error(`expected '${v}'`);
    this.pos++;
  }

  private start(text: string): void {
    if (text.trim() === '') throw new Error('empty expression');
    this.toks = tokenize(text);
    this.pos = 0;
  }

  private finish(): void {
    if (this.pos < this.toks.length) throw new Error(`unexpected '${String(this.toks[this.pos].v)}'`);
  }

  evaluate(text: string): EvaluatedValue {
    this.start(text);
    const v = this.expr();
    this.finish();
    return v;
  }

  address(text: string): GuestAddress {
    this.start(text);
    const a = this.addressExpr();
    this.finish();
    return a;
  }

  private addressExpr(): GuestAddress {
    const first = this.peek();
    if (first?.t === 'id' && first.v.toLowerCase() === 'phys' && this.toks[this.pos + 1]?.v === ':') {
      this.pos += 2;
      return { space: 'physical', address: this.expr().value >>> 0 };
    }
    if (first?.t === 'op' && first.v === '[') {
      this.pos++;
      const a = this.addressExpr();
      this.expect(']');
      return a;
    }
    const left = this.expr();
    if (this.isOp(':')) {
      this.pos++;
      const off = this.expr().value;
      const base = left.register && SEGMENTS.has(left.register) ? this.runtime.sregs()[left.register as 'cs'].base : left.value * 16;
      return { space: 'linear', address: (base + off) >>> 0 };
    }
    return { space: 'linear', address: left.value >>> 0 };
  }

  private expr(): EvaluatedValue {
    let left = this.term();
    while (this.isOp('+') || this.isOp('-')) {
      const op = (this.toks[this.pos++] as { v: string }).v;
      const right = this.term();
      left = { value: op === '+' ? left.value + right.value : left.value - right.value };
    }
    return left;
  }

  private term(): EvaluatedValue {
    let left = this.unary();
    while (this.isOp('*') || this.isOp('/')) {
      const op = (this.toks[this.pos++] as { v: string }).v;
      const right = this.unary();
      if (op === '/' && right.value === 0) throw new Error('division by zero');
      left = { value: op === '*' ? left.value * right.value : Math.trunc(left.value / right.value) };
    }
    return left;
  }

  private unary(): EvaluatedValue {
    if (this.isOp('-')) {
      this.pos++;
      return { value: -this.unary().value };
    }
    if (this.isOp('+')) {
      this.pos++;
      return this.unary();
    }
    return this.primary();
  }

  private primary(): EvaluatedValue {
    const t = this.peek();
    if (!t) throw new Error('unexpected end of expression');
    if (t.t === 'num') {
      this.pos++;
      return { value: t.v };
    }
    if (t.t === 'op' && t.v === '(') {
      this.pos++;
      const v = this.expr();
      this.expect(')');
      return { value: v.value };
    }
    let size: number | undefined;
    if (t.t === 'id' && SIZES[t.v.toLowerCase()] !== undefined) {
      size = SIZES[t.v.toLowerCase()];
      this.pos++;
    }
    if (this.isOp('[')) {
      this.pos++;
      const place = this.memoryAddress();
      this.expect(']');
      const n = size ?? 2;
      const bytes = place.space === 'physical' ? this.runtime.readPhysical(place.address, n) : this.runtime.readLinear(place.address, n);
      if (bytes.some((b) => b === null)) throw new Error(`memory at 0x${place.address.toString(16)} is not readable`);
      const value = (bytes as number[]).reduceRight((acc, b) => acc * 256 + b, 0);
      return { value, size: n, place };
    }
    if (size !== undefined) throw new Error("a size (byte/word/dword) must be followed by '['");
    if (t.t === 'id') {
      this.pos++;
      const reg = this.register(t.v);
      if (reg) return reg;
      const sym = this.symbols.lookupSymbol(t.v);
      if (sym !== undefined) return { value: sym };
      throw new Error(`unknown name '${t.v}'`);
    }
    throw new Error(`unexpected '${t.v}'`);
  }

  /** Inside brackets: `seg:expr`, `phys:expr`, or `expr` (DS, or SS with BP/SP as base). */
  private memoryAddress(): GuestAddress {
    const first = this.peek();
    const second = this.toks[this.pos + 1];
    if (first?.t === 'id' && second?.t === 'op' && second.v === ':') {
      const name = first.v.toLowerCase();
      this.pos += 2;
      const off = this.expr().value;
      if (name === 'phys') return { space: 'physical', address: off >>> 0 };
      if (!SEGMENTS.has(name)) throw new Error(`'${first.v}' is not a segment register`);
      return { space: 'linear', address: (this.runtime.sregs()[name as 'cs'].base + this.offsetMask(off)) >>> 0 };
    }
    if (first?.t === 'num' && second?.t === 'op' && second.v === ':') {
      this.pos += 2;
      const off = this.expr().value;
      return { space: 'linear', address: (first.v * 16 + off) >>> 0 };
    }
    const usesStack = this.toks.slice(this.pos).some((k) => k.t === 'id' && /^e?[bs]p$/i.test(k.v));
    const off = this.expr().value;
    const seg = usesStack ? 'ss' : 'ds';
    return { space: 'linear', address: (this.runtime.sregs()[seg].base + this.offsetMask(off)) >>> 0 };
  }

  private offsetMask(off: number): number {
    return this.runtime.codeBitness() === 16 ? off & 0xffff : off >>> 0;
  }
}
