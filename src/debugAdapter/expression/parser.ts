// Parser of the expression language: precedence climbing over the tokens,
// producing the AST the evaluator walks.
//
//   address  := ('phys' | 'lin') ':' binary
//             | binary (':' binary)?                 seg:off
//   binary   := unary (binop unary)*                  by precedence, left-assoc
//   unary    := ('-' | '+' | '~' | '!') unary | primary
//   primary  := number | char | identifier
//             | '(' address ')'
//             | (size 'ptr'?)? '[' address ']'        memory operand
//   size     := 'byte' | 'word' | 'dword' | 'qword'
//
// Binary operators, loosest first (NASM's order: comparisons bind looser
// than the bitwise operators, so `eax & 1 == 0` is `(eax & 1) == 0`):
//   ||   ^^   &&   == != <> < > <= >=   |   ^   &   << >> >>>   + -   * / // % %%
//
// Limits: the text is at most MAX_EXPRESSION_LENGTH characters (the lexer
// checks) and the tree at most MAX_EXPRESSION_DEPTH levels deep, counting
// every operator, parenthesis and bracket on the way down. Parsing and
// evaluation recurse over the tree, so a client's 400 KB of nested input
// gets one clear message instead of exhausting the JavaScript stack.

import { ExpressionSyntaxError, Token, tokenize } from './lexer';

export { MAX_EXPRESSION_LENGTH } from './lexer';

/** The deepest expression tree accepted (a 4 KiB expression may need 2048 levels; nobody writes 256). */
export const MAX_EXPRESSION_DEPTH = 256;

function tooDeep(col: number): ExpressionSyntaxError {
  return new ExpressionSyntaxError(
    `expression nested more than ${MAX_EXPRESSION_DEPTH} levels deep at column ${col} (each operator, parenthesis and bracket is a level); simplify it`,
  );
}

export type UnaryOp = '-' | '+' | '~' | '!';
export type BinaryOp =
  | '||'
  | '^^'
  | '&&'
  | '=='
  | '!='
  | '<'
  | '>'
  | '<='
  | '>='
  | '|'
  | '^'
  | '&'
  | '<<'
  | '>>'
  | '>>>'
  | '+'
  | '-'
  | '*'
  | '/'
  | '//'
  | '%'
  | '%%';

export type OperandSize = 1 | 2 | 4 | 8;

export type Node =
  | { readonly type: 'number'; readonly value: bigint; readonly col: number }
  | {
      readonly type: 'ident';
      readonly name: string;
      readonly escaped: boolean;
      /** A side of seg:off spelled in hex digits (F000:FFF0): its value when it names no register or symbol. */
      readonly hex?: bigint;
      readonly col: number;
    }
  | { readonly type: 'unary'; readonly op: UnaryOp; readonly operand: Node; readonly col: number }
  | { readonly type: 'binary'; readonly op: BinaryOp; readonly left: Node; readonly right: Node; readonly col: number }
  /** `segment:offset`. */
  | { readonly type: 'segmented'; readonly segment: Node; readonly offset: Node; readonly col: number }
  /** `phys:expr` or `lin:expr`: an address in that space. */
  | { readonly type: 'space'; readonly space: 'physical' | 'linear'; readonly operand: Node; readonly col: number }
  /** `size [address]`; size undefined when not written. */
  | { readonly type: 'memory'; readonly size: OperandSize | undefined; readonly address: Node; readonly col: number };

const PRECEDENCE: Readonly<Record<string, number>> = {
  '||': 1,
  '^^': 2,
  '&&': 3,
  '==': 4,
  '!=': 4,
  '<>': 4,
  '<': 4,
  '>': 4,
  '<=': 4,
  '>=': 4,
  '|': 5,
  '^': 6,
  '&': 7,
  '<<': 8,
  '>>': 8,
  '>>>': 8,
  '+': 9,
  '-': 9,
  '*': 10,
  '/': 10,
  '//': 10,
  '%': 10,
  '%%': 10,
};

const SIZES: Readonly<Record<string, OperandSize>> = { byte: 1, word: 2, dword: 4, qword: 8 };

/** A token that is bare hex digits (0000, 7C00, F000), as a node with its hex value; undefined otherwise. */
function hexSide(token: Token): Node | undefined {
  if (token.kind === 'number' && token.hex !== undefined) return { type: 'number', value: token.hex, col: token.col };
  if (token.kind === 'ident' && !token.escaped && /^[0-9a-f]+$/i.test(token.name)) {
    return { type: 'ident', name: token.name, escaped: false, hex: BigInt(`0x${token.name}`), col: token.col };
  }
  return undefined;
}

function describe(token: Token): string {
  return token.kind === 'end' ? 'end of expression' : `'${token.text}' at column ${token.col}`;
}

class Parser {
  private pos = 0;
  /** Parentheses, brackets and unary operators open at this point (the parser's recursion). */
  private nesting = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)];
  }

  private next(): Token {
    const token = this.peek();
    if (this.pos < this.tokens.length - 1) this.pos++;
    return token;
  }

  private isOp(op: string, token = this.peek()): boolean {
    return token.kind === 'op' && token.op === op;
  }

  private unexpected(token: Token): ExpressionSyntaxError {
    if (token.kind === 'end') return new ExpressionSyntaxError('unexpected end of expression');
    if (token.kind === 'op' && token.op === '=') {
      return new ExpressionSyntaxError(
        `'=' at column ${token.col}: compare with '=='; values are changed with Set Value, not in an expression`,
      );
    }
    return new ExpressionSyntaxError(`unexpected ${describe(token)}`);
  }

  private expectClose(close: ')' | ']', open: Token): void {
    const token = this.peek();
    if (this.isOp(close)) {
      this.next();
      return;
    }
    if (token.kind === 'end') {
      throw new ExpressionSyntaxError(`missing '${close}' for the '${open.text}' at column ${open.col}`);
    }
    if (token.kind === 'op' && token.op === '=') throw this.unexpected(token);
    throw new ExpressionSyntaxError(`expected '${close}' but found ${describe(token)}`);
  }

  parseTop(): Node {
    if (this.peek().kind === 'end') throw new ExpressionSyntaxError('empty expression');
    const node = this.parseAddress();
    const rest = this.peek();
    if (rest.kind !== 'end') throw this.unexpected(rest);
    return node;
  }

  private parseAddress(): Node {
    const first = this.peek();
    if (first.kind === 'ident' && !first.escaped && this.isOp(':', this.peek(1))) {
      const word = first.name.toLowerCase();
      if (word === 'phys' || word === 'lin') {
        this.next();
        this.next();
        const operand = this.parseBinary(0);
        return { type: 'space', space: word === 'phys' ? 'physical' : 'linear', operand, col: first.col };
      }
    }
    const pair = this.hexPair();
    if (pair) return pair;
    const left = this.parseBinary(0);
    if (!this.isOp(':')) return left;
    this.next();
    const offset = this.parseBinary(0);
    return { type: 'segmented', segment: left, offset, col: first.col };
  }

  /**
   * A seg:off pair of bare hex digits on both sides is hex, as in every
   * real-mode debugger: 07C0:0000, F000:FFF0, 0:7C00. Anything else follows
   * NASM (es:10 is ES:000Ah). A side spelled with letters (F000) is an
   * identifier that falls back to its hex value when it names no register
   * or symbol.
   */
  private hexPair(): Node | undefined {
    const [segment, colon, offset, after] = [this.peek(), this.peek(1), this.peek(2), this.peek(3)];
    if (!this.isOp(':', colon)) return undefined;
    if (!(after.kind === 'end' || this.isOp(']', after) || this.isOp(')', after))) return undefined;
    const segmentNode = hexSide(segment);
    const offsetNode = hexSide(offset);
    if (!segmentNode || !offsetNode) return undefined;
    this.next();
    this.next();
    this.next();
    return { type: 'segmented', segment: segmentNode, offset: offsetNode, col: segment.col };
  }

  private parseBinary(minPrecedence: number): Node {
    let left = this.parseUnary();
    for (;;) {
      const token = this.peek();
      if (token.kind !== 'op') return left;
      const precedence = PRECEDENCE[token.op];
      if (precedence === undefined || precedence <= minPrecedence) return left;
      this.next();
      const right = this.parseBinary(precedence);
      const op = (token.op === '<>' ? '!=' : token.op) as BinaryOp;
      left = { type: 'binary', op, left, right, col: token.col };
    }
  }

  private parseUnary(): Node {
    const token = this.peek();
    if (token.kind === 'op' && (token.op === '-' || token.op === '+' || token.op === '~' || token.op === '!')) {
      this.next();
      const operand = this.nested(token, () => this.parseUnary());
      return { type: 'unary', op: token.op, operand, col: token.col };
    }
    return this.parsePrimary();
  }

  private parsePrimary(): Node {
    const token = this.next();
    switch (token.kind) {
      case 'number':
        if (token.value === undefined) {
          throw new ExpressionSyntaxError(
            `invalid number '${token.text}' at column ${token.col} (hex needs 0x or an h suffix, except in a bare seg:off pair such as 07C0:0000)`,
          );
        }
        return { type: 'number', value: token.value, col: token.col };
      case 'ident': {
        const size = token.escaped ? undefined : SIZES[token.name.toLowerCase()];
        if (size === undefined) return { type: 'ident', name: token.name, escaped: token.escaped, col: token.col };
        const after = this.peek();
        if (after.kind === 'ident' && !after.escaped && after.name.toLowerCase() === 'ptr') this.next();
        const open = this.peek();
        if (!this.isOp('[')) {
          throw new ExpressionSyntaxError(
            `expected '[' after '${token.text}' at column ${token.col} (a memory operand is written '${token.text} [address]')`,
          );
        }
        this.next();
        return this.parseMemory(open, size, token.col);
      }
      case 'op':
        if (token.op === '(') {
          if (this.peek().kind === 'end') this.expectClose(')', token);
          const inner = this.nested(token, () => this.parseAddress());
          this.expectClose(')', token);
          return inner;
        }
        if (token.op === '[') return this.parseMemory(token, undefined, token.col);
        throw this.unexpected(token);
      case 'end':
        throw this.unexpected(token);
    }
  }

  /** Parse what `open` opens, one level deeper; refused beyond MAX_EXPRESSION_DEPTH before the recursion gets deep. */
  private nested(open: Token, body: () => Node): Node {
    if (++this.nesting > MAX_EXPRESSION_DEPTH) throw tooDeep(open.col);
    try {
      return body();
    } finally {
      this.nesting--;
    }
  }

  private parseMemory(open: Token, size: OperandSize | undefined, col: number): Node {
    if (this.isOp(']')) throw new ExpressionSyntaxError(`empty memory operand at column ${open.col}`);
    if (this.peek().kind === 'end') this.expectClose(']', open);
    const address = this.nested(open, () => this.parseAddress());
    this.expectClose(']', open);
    return { type: 'memory', size, address, col };
  }
}

/** The children of a node, for walking the tree without recursion. */
function childrenOf(node: Node): Node[] {
  switch (node.type) {
    case 'number':
    case 'ident':
      return [];
    case 'unary':
    case 'space':
      return [node.operand];
    case 'binary':
      return [node.left, node.right];
    case 'segmented':
      return [node.segment, node.offset];
    case 'memory':
      return [node.address];
  }
}

/**
 * Refuse a tree deeper than MAX_EXPRESSION_DEPTH: a long chain of binary
 * operators (1+1+…+1) is deep without nesting in the text. Walked with an
 * explicit stack, as the evaluator that comes next would recurse.
 */
function checkDepth(root: Node): void {
  const stack: [Node, number][] = [[root, 1]];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const [node, depth] = item;
    if (depth > MAX_EXPRESSION_DEPTH) throw tooDeep(node.col);
    for (const child of childrenOf(node)) stack.push([child, depth + 1]);
  }
}

/** Parse an expression to its AST. Throws ExpressionSyntaxError with a one-line message. */
export function parse(text: string): Node {
  const node = new Parser(tokenize(text)).parseTop();
  checkDepth(node);
  return node;
}
