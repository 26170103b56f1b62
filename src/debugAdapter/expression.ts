// The debug adapter's expression language: what `evaluate`, breakpoint
// conditions, `setExpression`/`setVariable`, instruction breakpoints and
// memory references accept. NASM syntax, so that what a user reads in the
// source can be pasted into the debug console:
//
//   numbers       0x7C00  7C00h  $7C00  0b1010  1010b  0o17  17q  1_000  'A'  'ab' (= 0x6261, as NASM)
//   identifiers   registers first (case-insensitive: eax ax al ah eip flags cs cr0 ...), then symbols
//                 (case-sensitive: start, main.loop; .loop is local to ctx.scope); `$name` is NASM's
//                 escape: a symbol even if it spells a register (and a register if no such symbol)
//   operators     unary - + ~ !;  * / // % %%;  + -;  << >> >>>;  &;  ^;  |;
//                 == != <> < > <= >=;  &&;  ^^;  ||   (loosest last; NASM's precedence)
//   addresses     seg:off (07C0:0000, es:di, 0x08:0x1000), phys:expr, lin:expr. A pair of bare hex
//                 digits is hex, as in real-mode debuggers: 07C0:0000, F000:FFF0, 0:7C00 (a side
//                 spelled with letters that names a register or symbol is that); es:10 is NASM's 10
//   memory        [expr], [seg:expr], [phys:expr], [lin:expr] with an optional size:
//                 byte | word | dword | qword, optionally followed by `ptr`
//
// Semantics (chosen for a debugger, documented in the API below):
// - Values are 64-bit two's-complement integers with a width of 32 or 64 bits:
//   64 when a 64-bit register, a qword operand or a literal above 0xFFFFFFFF
//   takes part, else 32. Results are unsigned at that width; `value` is always
//   the low 32 bits. So `eax == -1` holds when EAX is 0xFFFFFFFF.
// - `/` and `%` divide unsigned, `//` and `%%` signed (as NASM); `>>` shifts in
//   zeros, `>>>` copies the sign; comparisons are unsigned at the operands'
//   width; `&&`, `||` short-circuit; `^^` is logical xor; logic gives 0 or 1.
// - seg:off: a segment register (es:di) uses its hidden base, so big real and
//   protected mode work; a number (07C0:0000) is a selector resolved by
//   `ctx.selectorBase` (real mode: value * 16 when the context has none).
// - A memory operand without a segment uses DS, or SS when BP/EBP/SP/ESP is
//   a base (not a scaled index). Its offset wraps at 16 bits when it names
//   16-bit general registers ([bx+si], [bp-2]) and at 32 bits otherwise;
//   constant offsets never wrap at 16 bits. Without a size it is a word in a
//   16-bit and a dword in a 32-bit context (`ctx.addressSize`).
// - Symbols are linear addresses (EvaluationContext.symbol), so `[msg]` reads
//   at ds:msg, which is msg itself only when the DS base is 0 (org 7C00h boot
//   sectors, flat protected mode); `[lin:msg]` reads at the symbol whatever DS is.
// - As an address (parseAddress) a plain expression is linear: `eip` is the
//   linear address EIP's value, not cs:eip.
// - Linear addresses are 32-bit for now.

import { ExpressionSyntaxError } from './expression/lexer';
import { Node, OperandSize, parse } from './expression/parser';
import { registerShape, SEGMENT_REGISTERS } from './expression/registers';

export type { OperandSize } from './expression/parser';

/** What the expression language needs from the stopped machine. */
export interface EvaluationContext {
  /** Register value by lower-case name (eax, ax, al, ah, eip, ip, eflags, flags, cs..gs, cr0..cr4, esp, sp, rax ...), undefined if unknown. */
  register(name: string): number | bigint | undefined;
  /** Segment base (hidden descriptor cache) of a segment register: 'cs'|'ds'|'es'|'fs'|'gs'|'ss'. */
  segmentBase(segment: string): number;
  /**
   * Base of the segment a selector value names in the current mode: value * 16
   * in real and vm86 mode, the descriptor's base in protected mode; undefined
   * when the selector names no usable descriptor. Absent: the real-mode rule.
   */
  selectorBase?(selector: number): number | undefined;
  /** The default address size, which also gives memory operands without a size their size: 16 (word) or 32 (dword). */
  readonly addressSize: 16 | 32;
  /** Read `size` bytes at a linear address; null where unreadable. */
  readLinear(linear: number, size: number): number[] | null;
  /** Read `size` bytes at a physical address; null where unreadable. */
  readPhysical(physical: number, size: number): number[] | null;
  /** Symbol value (linear address) by name, undefined if unknown. */
  symbol(name: string): number | undefined;
  /** The non-local label NASM local labels (`.loop`) are relative to, e.g. the label before the current instruction. */
  readonly scope?: string;
}

/** A place in the guest. */
export type Address =
  | { readonly kind: 'linear'; readonly linear: number }
  | { readonly kind: 'physical'; readonly physical: number }
  | {
      readonly kind: 'segmented';
      /** The selector (or real-mode segment) value. */
      readonly segment: number;
      /** The segment register it was written with, if any ('es' in es:di). */
      readonly segmentRegister?: string;
      readonly offset: number;
      /** segment base + offset. */
      readonly linear: number;
    };

export interface ExpressionError {
  /** One line, ready for the user. */
  readonly error: string;
}

/** A parsed expression, to check syntax once (when a breakpoint is set) and evaluate many times. */
export interface Expression {
  readonly text: string;
  readonly node: Node;
}

export interface Evaluation {
  /**
   * 'register': the expression is a register name; 'memory': a memory
   * operand; 'address': seg:off, phys: or lin: (value is the linear or
   * physical address); 'number': anything else.
   */
  readonly kind: 'number' | 'register' | 'memory' | 'address';
  /** The low 32 bits, unsigned. */
  readonly value: number;
  /** The whole value, unsigned at `width`. */
  readonly value64: bigint;
  readonly width: 32 | 64;
  /** kind 'register': its lower-case name. */
  readonly register?: string;
  /** The expression is a symbol name: that name. */
  readonly symbol?: string;
  /** kind 'register' and 'memory': the size in bytes (a register not in the known set: 4 or 8 from its value). */
  readonly size?: OperandSize;
  /** kind 'memory': where the operand is; kind 'address': the place named. */
  readonly address?: Address;
}

/** A place a value can be written to: `setExpression`/`setVariable`. */
export type Lvalue =
  | { readonly kind: 'register'; readonly name: string; readonly size: OperandSize }
  | { readonly kind: 'memory'; readonly address: Address; readonly size: OperandSize };

/** True for a hit count at which the breakpoint should stop (counts start at 1). */
export type HitCondition = (hitCount: number) => boolean;

class EvaluationError extends Error {}

/** An intermediate value. */
interface Value {
  /** Signed 64-bit. */
  readonly v: bigint;
  readonly width: 32 | 64;
  /** The widest general register (16, 32, 64) named outside nested memory operands, 0 if none. */
  readonly addressBits: number;
  /** Names SP/BP (any width) other than as a scaled index. */
  readonly stackBase: boolean;
  /** Contains seg:off, phys: or lin:. */
  readonly place: boolean;
}

const MASK32 = 0xffff_ffffn;

export function hex(n: number | bigint): string {
  return `0x${n.toString(16).toUpperCase()}`;
}

function constant(v: bigint, width: 32 | 64 = 32): Value {
  return { v: BigInt.asIntN(64, v), width, addressBits: 0, stackBase: false, place: false };
}

function truth(b: boolean): Value {
  return constant(b ? 1n : 0n);
}

function unsigned(value: Value): bigint {
  return BigInt.asUintN(value.width, value.v);
}

function littleEndian(bytes: readonly number[]): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i] & 0xff);
  return v;
}

/** `value` as `size` little-endian bytes (the low bytes; for writing an Lvalue). */
export function toBytes(value: bigint, size: number): number[] {
  const bytes: number[] = [];
  let v = BigInt.asUintN(size * 8, value);
  for (let i = 0; i < size; i++) {
    bytes.push(Number(v & 0xffn));
    v >>= 8n;
  }
  return bytes;
}

type Resolved =
  | { readonly kind: 'register'; readonly name: string; readonly value: Value; readonly size: OperandSize }
  | { readonly kind: 'symbol'; readonly name: string; readonly value: Value };

class Evaluator {
  constructor(private readonly ctx: EvaluationContext) {}

  private registerValue(name: string): Resolved | undefined {
    const raw = this.ctx.register(name);
    if (raw === undefined) return undefined;
    const big = BigInt.asUintN(64, typeof raw === 'bigint' ? raw : BigInt(Math.trunc(raw)));
    const shape = registerShape(name);
    const width: 32 | 64 = shape?.bits === 64 || big > MASK32 ? 64 : 32;
    const size: OperandSize = shape ? ((shape.bits / 8) as OperandSize) : width === 64 ? 8 : 4;
    const general = shape?.cls === 'general' && shape.bits >= 16;
    return {
      kind: 'register',
      name,
      size,
      value: {
        v: BigInt.asIntN(64, big),
        width,
        addressBits: general ? shape.bits : 0,
        stackBase: general && shape.stackBase,
        place: false,
      },
    };
  }

  private symbolValue(name: string): Resolved | undefined {
    const candidates = name.startsWith('.') && this.ctx.scope ? [this.ctx.scope + name, name] : [name];
    for (const candidate of candidates) {
      const value = this.ctx.symbol(candidate);
      if (value !== undefined) {
        const big = BigInt(Math.trunc(value));
        return { kind: 'symbol', name: candidate, value: constant(big, big > MASK32 ? 64 : 32) };
      }
    }
    return undefined;
  }

  resolve(node: Extract<Node, { type: 'ident' }>): Resolved {
    const lower = node.name.toLowerCase();
    const found = node.escaped
      ? (this.symbolValue(node.name) ?? this.registerValue(lower))
      : (this.registerValue(lower) ?? this.symbolValue(node.name));
    if (found) return found;
    if (node.hex !== undefined) return { kind: 'symbol', name: node.name, value: constant(node.hex) };
    if (registerShape(lower)) throw new EvaluationError(`register '${lower}' is not available here`);
    if (!node.escaped && (lower === 'phys' || lower === 'lin')) {
      throw new EvaluationError(`'${node.name}:' at column ${node.col} must begin an address (phys:0x7C00, [lin:esi])`);
    }
    if (node.name.startsWith('.') && !this.ctx.scope) {
      throw new EvaluationError(`unknown local label '${node.name}' (no enclosing label here)`);
    }
    throw new EvaluationError(`unknown register or symbol '${node.name}'`);
  }

  value(node: Node): Value {
    switch (node.type) {
      case 'number':
        return constant(node.value, node.value > MASK32 ? 64 : 32);
      case 'ident':
        return this.resolve(node).value;
      case 'unary':
        return this.unary(node.op, this.value(node.operand));
      case 'binary':
        return this.binary(node);
      case 'segmented':
      case 'space': {
        const address = this.place(node, false);
        const at = address.kind === 'physical' ? address.physical : address.linear;
        return { ...constant(BigInt(at)), place: true };
      }
      case 'memory': {
        const { value } = this.read(node);
        return value;
      }
    }
  }

  private unary(op: '-' | '+' | '~' | '!', a: Value): Value {
    switch (op) {
      case '-':
        return { ...a, v: BigInt.asIntN(64, -a.v) };
      case '+':
        return a;
      case '~':
        return { ...a, v: ~a.v };
      case '!':
        return { ...truth(unsigned(a) === 0n), place: a.place };
    }
  }

  private binary(node: Extract<Node, { type: 'binary' }>): Value {
    const a = this.value(node.left);
    // Short-circuit: `esi != 0 && byte [esi] == 0` must not read at 0.
    if (node.op === '&&' && unsigned(a) === 0n) return truth(false);
    if (node.op === '||' && unsigned(a) !== 0n) return truth(true);
    const b = this.value(node.right);
    const width: 32 | 64 = a.width === 64 || b.width === 64 ? 64 : 32;
    const ua = BigInt.asUintN(width, a.v);
    const ub = BigInt.asUintN(width, b.v);
    const shift = ub > 63n ? 64 : Number(ub);
    let v: bigint;
    switch (node.op) {
      case '||':
      case '&&':
        v = ub !== 0n ? 1n : 0n;
        break;
      case '^^':
        v = (ua !== 0n) !== (ub !== 0n) ? 1n : 0n;
        break;
      case '==':
        v = ua === ub ? 1n : 0n;
        break;
      case '!=':
        v = ua !== ub ? 1n : 0n;
        break;
      case '<':
        v = ua < ub ? 1n : 0n;
        break;
      case '>':
        v = ua > ub ? 1n : 0n;
        break;
      case '<=':
        v = ua <= ub ? 1n : 0n;
        break;
      case '>=':
        v = ua >= ub ? 1n : 0n;
        break;
      case '|':
        v = a.v | b.v;
        break;
      case '^':
        v = a.v ^ b.v;
        break;
      case '&':
        v = a.v & b.v;
        break;
      case '<<':
        v = shift >= 64 ? 0n : a.v << BigInt(shift);
        break;
      case '>>':
        v = shift >= 64 ? 0n : ua >> BigInt(shift);
        break;
      case '>>>':
        v = BigInt.asIntN(width, a.v) >> BigInt(Math.min(shift, 63));
        break;
      case '+':
        v = a.v + b.v;
        break;
      case '-':
        v = a.v - b.v;
        break;
      case '*':
        v = a.v * b.v;
        break;
      case '/':
      case '%':
        if (ub === 0n) throw new EvaluationError(`division by zero at column ${node.col}`);
        v = node.op === '/' ? ua / ub : ua % ub;
        break;
      case '//':
      case '%%': {
        const sb = BigInt.asIntN(width, b.v);
        if (sb === 0n) throw new EvaluationError(`division by zero at column ${node.col}`);
        const sa = BigInt.asIntN(width, a.v);
        v = node.op === '//' ? sa / sb : sa % sb;
        break;
      }
    }
    return {
      v: BigInt.asIntN(64, v),
      width,
      addressBits: Math.max(a.addressBits, b.addressBits),
      // A register multiplied is an index, not a base: [ebx+ebp*2] is DS.
      stackBase: node.op === '*' ? false : a.stackBase || b.stackBase,
      place: a.place || b.place,
    };
  }

  /** An offset within a segment: wrapped at 16 bits when it names 16-bit registers, else at 32. */
  private offset(node: Node): { offset: number; stackBase: boolean } {
    const value = this.value(node);
    if (value.place) {
      throw new EvaluationError(
        `an address (seg:off, phys:, lin:) cannot be part of an offset, at column ${node.col}; write the segment first, e.g. [es:di+2]`,
      );
    }
    const bits = value.addressBits === 16 ? 16 : 32;
    return { offset: Number(BigInt.asUintN(bits, value.v)), stackBase: value.stackBase };
  }

  private segmented(segmentNode: Node, offsetNode: Node): Address {
    const { offset } = this.offset(offsetNode);
    if (segmentNode.type === 'ident' && !segmentNode.escaped) {
      const lower = segmentNode.name.toLowerCase();
      if (SEGMENT_REGISTERS.has(lower)) return this.viaRegister(lower, offset);
    }
    const segment = this.value(segmentNode);
    if (segment.place) throw new EvaluationError(`a segment cannot be an address, at column ${segmentNode.col}`);
    const selector = BigInt.asUintN(64, segment.v);
    if (selector > 0xffffn) throw new EvaluationError(`segment ${hex(selector)} does not fit in 16 bits`);
    const sel = Number(selector);
    const base = this.ctx.selectorBase ? this.ctx.selectorBase(sel) : sel * 16;
    if (base === undefined) {
      throw new EvaluationError(`selector ${hex(sel)} names no usable descriptor`);
    }
    return { kind: 'segmented', segment: sel, offset, linear: (base + offset) >>> 0 };
  }

  private viaRegister(segmentRegister: string, offset: number): Address {
    const selector = this.ctx.register(segmentRegister);
    const segment = selector === undefined ? 0 : Number(BigInt.asUintN(16, BigInt(selector)));
    const linear = (this.ctx.segmentBase(segmentRegister) + offset) >>> 0;
    return { kind: 'segmented', segment, segmentRegister, offset, linear };
  }

  /**
   * The place an address expression names. With `defaultSegment` (inside a
   * memory operand) a plain offset goes through DS or SS; without, a plain
   * value is a linear address.
   */
  place(node: Node, defaultSegment: boolean): Address {
    if (node.type === 'segmented') return this.segmented(node.segment, node.offset);
    if (node.type === 'space') {
      const value = this.value(node.operand);
      if (value.place) throw new EvaluationError(`'${node.space === 'physical' ? 'phys' : 'lin'}:' cannot be nested`);
      if (node.space === 'linear') return { kind: 'linear', linear: this.linear(value) };
      const physical = BigInt.asUintN(64, value.v);
      if (physical >= 1n << 52n) throw new EvaluationError(`physical address ${hex(physical)} is beyond 52 bits`);
      return { kind: 'physical', physical: Number(physical) };
    }
    if (defaultSegment) {
      const { offset, stackBase } = this.offset(node);
      return this.viaRegister(stackBase ? 'ss' : 'ds', offset);
    }
    const value = this.value(node);
    return { kind: 'linear', linear: this.linear(value) };
  }

  /** A value as a 32-bit linear address: -2^31 .. 2^32-1 (negative values wrap). */
  linear(value: Value): number {
    if (value.v > MASK32 || value.v < -(1n << 31n)) {
      throw new EvaluationError(`linear address ${hex(BigInt.asUintN(64, value.v))} does not fit in 32 bits`);
    }
    return Number(BigInt.asUintN(32, value.v));
  }

  memorySize(node: Extract<Node, { type: 'memory' }>): OperandSize {
    return node.size ?? (this.ctx.addressSize === 16 ? 2 : 4);
  }

  read(node: Extract<Node, { type: 'memory' }>): { value: Value; address: Address; size: OperandSize } {
    const address = this.place(node.address, true);
    const size = this.memorySize(node);
    const bytes =
      address.kind === 'physical'
        ? this.ctx.readPhysical(address.physical, size)
        : this.ctx.readLinear(address.linear, size);
    if (bytes === null || bytes.length < size) {
      throw new EvaluationError(
        address.kind === 'physical'
          ? `physical memory at ${hex(address.physical)} unreadable`
          : `memory at ${hex(address.linear)} unreadable`,
      );
    }
    return { value: constant(littleEndian(bytes.slice(0, size)), size === 8 ? 64 : 32), address, size };
  }
}

function failure(e: unknown): ExpressionError {
  if (e instanceof EvaluationError || e instanceof ExpressionSyntaxError) return { error: e.message };
  throw e;
}

/** True for the error alternative of any function here. */
export function isExpressionError(x: unknown): x is ExpressionError {
  return typeof x === 'object' && x !== null && typeof (x as { error?: unknown }).error === 'string';
}

/** Parse without evaluating: syntax errors only (for conditions, when a breakpoint is set). */
export function parseExpression(text: string): Expression | ExpressionError {
  try {
    return { text, node: parse(text) };
  } catch (e) {
    return failure(e);
  }
}

function withNode<T>(text: string | Expression, body: (node: Node) => T): T | ExpressionError {
  try {
    const node = typeof text === 'string' ? parse(text) : text.node;
    return body(node);
  } catch (e) {
    return failure(e);
  }
}

/** Evaluate an expression (the debug console, watches, hovers). */
export function evaluate(text: string | Expression, ctx: EvaluationContext): Evaluation | ExpressionError {
  const evaluator = new Evaluator(ctx);
  return withNode(text, (node): Evaluation => {
    const result = (value: Value, extra: Partial<Evaluation> & Pick<Evaluation, 'kind'>): Evaluation => ({
      value: Number(BigInt.asUintN(32, value.v)),
      value64: BigInt.asUintN(value.width, value.v),
      width: value.width,
      ...extra,
    });
    switch (node.type) {
      case 'ident': {
        const resolved = evaluator.resolve(node);
        return resolved.kind === 'register'
          ? result(resolved.value, { kind: 'register', register: resolved.name, size: resolved.size })
          : result(resolved.value, { kind: 'number', symbol: resolved.name });
      }
      case 'memory': {
        const { value, address, size } = evaluator.read(node);
        return result(value, { kind: 'memory', address, size });
      }
      case 'segmented':
      case 'space': {
        const address = evaluator.place(node, false);
        const at = address.kind === 'physical' ? address.physical : address.linear;
        return result(constant(BigInt(at)), { kind: 'address', address });
      }
      default:
        return result(evaluator.value(node), { kind: 'number' });
    }
  });
}

/** A breakpoint condition: true when the expression is non-zero. */
export function evaluateCondition(
  text: string | Expression,
  ctx: EvaluationContext,
): { readonly value: boolean } | ExpressionError {
  const evaluator = new Evaluator(ctx);
  return withNode(text, (node) => ({ value: unsigned(evaluator.value(node)) !== 0n }));
}

/**
 * An address for an instruction breakpoint or a memory reference:
 * `seg:off` (07C0:0000, cs:ip), `phys:expr`, `lin:expr`, or any other
 * expression as a linear address (0x7C00, start+4). A memory operand is not
 * an address (the place `[bx]` reads is `ds:bx`).
 */
export function parseAddress(text: string | Expression, ctx: EvaluationContext): Address | ExpressionError {
  const evaluator = new Evaluator(ctx);
  return withNode(text, (node) => {
    if (node.type === 'memory') {
      throw new EvaluationError(
        'a memory operand is not an address: write the address without brackets (ds:bx for the place [bx] reads)',
      );
    }
    return evaluator.place(node, false);
  });
}

/** The target of `setExpression`/`setVariable`: a register name or a memory operand. */
export function parseLvalue(text: string | Expression, ctx: EvaluationContext): Lvalue | ExpressionError {
  const evaluator = new Evaluator(ctx);
  return withNode(text, (node): Lvalue => {
    if (node.type === 'memory') {
      return { kind: 'memory', address: evaluator.place(node.address, true), size: evaluator.memorySize(node) };
    }
    if (node.type === 'ident') {
      const resolved = evaluator.resolve(node);
      if (resolved.kind === 'register') return { kind: 'register', name: resolved.name, size: resolved.size };
      throw new EvaluationError(
        `'${resolved.name}' is a symbol, not a register; to change memory there write e.g. 'word [${resolved.name}]'`,
      );
    }
    throw new EvaluationError("cannot assign to this; write a register or a memory operand such as 'word [0x7C00]'");
  });
}

/**
 * A hit condition as VS Code's debuggers take it: `N` or `== N` (the Nth hit),
 * `> N`, `>= N`, `< N`, `<= N`, `!= N`, `% N` (every Nth hit); N decimal or
 * 0x-hex. Empty or blank: every hit.
 */
export function parseHitCondition(text: string): HitCondition | ExpressionError {
  const trimmed = text.trim();
  if (trimmed === '') return () => true;
  const match = /^(>=|<=|===?|!==?|>|<|=|%)?\s*(0x[0-9a-f]+|[0-9]+)$/i.exec(trimmed);
  if (!match) {
    return {
      error: `hit condition '${trimmed}' not understood: write a count, optionally after one of == != > >= < <= % (e.g. '>= 3', '% 2')`,
    };
  }
  const n = Number(match[2]);
  switch (match[1] ?? '==') {
    case '>':
      return (hits) => hits > n;
    case '>=':
      return (hits) => hits >= n;
    case '<':
      return (hits) => hits < n;
    case '<=':
      return (hits) => hits <= n;
    case '!=':
    case '!==':
      return (hits) => hits !== n;
    case '%':
      if (n === 0) return { error: "hit condition '% 0': the modulus must be at least 1" };
      return (hits) => hits % n === 0;
    default:
      return (hits) => hits === n;
  }
}
