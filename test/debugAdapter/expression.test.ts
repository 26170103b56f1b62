// The debug adapter's expression language against a fake machine: numbers,
// registers, symbols, operators, seg:off, memory operands, addresses,
// lvalues, conditions and hit conditions, and every error message.

import { strict as assert } from 'node:assert';
import {
  Address,
  evaluate,
  evaluateCondition,
  Evaluation,
  EvaluationContext,
  ExpressionError,
  isExpressionError,
  parseAddress,
  parseExpression,
  parseHitCondition,
  parseLvalue,
  toBytes,
} from '../../src/debugAdapter/expression';
import { parseNumber } from '../../src/debugAdapter/expression/lexer';

/** Readable linear memory: 0 .. 0x9FFFF (conventional memory, as under 640K). */
const LINEAR_END = 0xa0000;

interface Fake extends EvaluationContext {
  regs: Record<string, number | bigint>;
  bases: Record<string, number>;
  memory: Uint8Array;
  physical: Uint8Array;
  reads: string[];
  addressSize: 16 | 32;
  scope?: string;
}

function fake(options: { addressSize?: 16 | 32; selectorBase?: (s: number) => number | undefined } = {}): Fake {
  const ctx: Fake = {
    regs: {
      eax: 0x12345678,
      ax: 0x5678,
      al: 0x78,
      ah: 0x56,
      ebx: 0x7c00,
      bx: 0x7c00,
      ecx: 3,
      cx: 3,
      esi: 0xfffe,
      si: 0xfffe,
      edi: 0x10,
      di: 0x10,
      ebp: 0x1000,
      bp: 0x1000,
      esp: 0x0ffc,
      sp: 0x0ffc,
      eip: 0x7c05,
      ip: 0x7c05,
      eflags: 0x246,
      flags: 0x246,
      cr0: 0x10,
      cs: 0,
      ds: 0x0050,
      es: 0x07c0,
      ss: 0x2000,
      fs: 0,
      gs: 0x18,
    },
    bases: { cs: 0, ds: 0x500, es: 0x7c00, ss: 0x20000, fs: 0, gs: 0x100000 },
    memory: new Uint8Array(LINEAR_END),
    physical: new Uint8Array(0x200000),
    reads: [],
    addressSize: options.addressSize ?? 16,
    register(name) {
      return this.regs[name];
    },
    segmentBase(segment) {
      const base = this.bases[segment];
      assert.notEqual(base, undefined, `segmentBase(${segment})`);
      return base;
    },
    readLinear(linear, size) {
      this.reads.push(`lin ${linear.toString(16)}/${size}`);
      if (linear + size > LINEAR_END) return null;
      return Array.from(this.memory.subarray(linear, linear + size));
    },
    readPhysical(physical, size) {
      this.reads.push(`phys ${physical.toString(16)}/${size}`);
      if (physical + size > this.physical.length) return null;
      return Array.from(this.physical.subarray(physical, physical + size));
    },
    symbol(name) {
      const symbols: Record<string, number> = {
        start: 0x7c00,
        msg: 0x7c20,
        main: 0x7c40,
        'main.loop': 0x7c48,
        '.orphan': 0x7c60,
        eax: 0x4444, // a symbol spelled like a register: reachable as $eax
        huge: 0xffff_ffff,
      };
      return Object.hasOwn(symbols, name) ? symbols[name] : undefined;
    },
  };
  if (options.selectorBase) ctx.selectorBase = options.selectorBase;
  // Recognisable memory: the boot sector's first bytes, a string, a stack.
  ctx.memory.set([0xeb, 0x3c, 0x90, 0x4d, 0x53, 0x44, 0x4f, 0x53], 0x7c00);
  ctx.memory.set([0x78, 0x56, 0x34, 0x12, 0xf0, 0xde, 0xbc, 0x9a], 0x7c10);
  ctx.memory.set([0x11, 0x22], 0x500 + 0x10); // ds:di
  ctx.memory.set([0x33, 0x44], 0x500 + 0xfffe); // ds:si
  ctx.memory.set([0x55, 0x66], 0x20000 + 0x1000 + 4); // ss:bp+4
  ctx.memory.set([0x0d, 0xf0], 0x500 + 0x7c00 + 4 * 3); // ds:bx+4*cx
  ctx.memory.set([0x99], 0x9ffff);
  ctx.physical.set([0xaa, 0xbb, 0xcc, 0xdd], 0x7c00);
  return ctx;
}

function ok<T extends object>(result: T | ExpressionError): T {
  if (isExpressionError(result)) assert.fail(`unexpected error: ${result.error}`);
  return result;
}

function val(text: string, ctx: EvaluationContext = fake()): number {
  return ok(evaluate(text, ctx)).value;
}

function err(result: object): string {
  assert.ok(isExpressionError(result), `expected an error, got ${JSON.stringify(result, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))}`);
  return result.error;
}

function evalErr(text: string, ctx: EvaluationContext = fake()): string {
  return err(evaluate(text, ctx));
}

describe('debugAdapter expression language', () => {
  describe('numbers', () => {
    const cases: [string, number][] = [
      ['0', 0],
      ['42', 42],
      ['0x7c00', 0x7c00],
      ['0X7C00', 0x7c00],
      ['0h7c00', 0x7c00],
      ['7C00h', 0x7c00],
      ['0FFh', 0xff],
      ['7c00x', 0x7c00],
      ['$7C00', 0x7c00],
      ['$0ff', 0xff],
      ['0b1010', 10],
      ['0y1010', 10],
      ['1010b', 10],
      ['1010y', 10],
      ['0bh', 0x0b],
      ['1bh', 0x1b],
      ['0o17', 15],
      ['0q17', 15],
      ['17o', 15],
      ['17q', 15],
      ['0d99', 99],
      ['0t99', 99],
      ['99d', 99],
      ['99t', 99],
      ['1_000', 1000],
      ['0x7c_00', 0x7c00],
      ['0xFFFFFFFF', 0xffffffff],
      ["'A'", 0x41],
      ['"A"', 0x41],
      ["'ab'", 0x6261],
      ["'abcd'", 0x64636261],
      ["''", 0],
    ];
    for (const [text, expected] of cases) {
      it(`${text} = 0x${expected.toString(16)}`, () => assert.equal(val(text), expected));
    }

    it('keeps 64-bit literals whole', () => {
      const r = ok(evaluate('0x123456789ABCDEF0', fake()));
      assert.equal(r.width, 64);
      assert.equal(r.value64, 0x123456789abcdef0n);
      assert.equal(r.value, 0x9abcdef0);
      const eight = ok(evaluate("'abcdefgh'", fake()));
      assert.equal(eight.value64, 0x6867666564636261n);
    });

    it('parseNumber rejects what is not a number', () => {
      for (const text of ['', 'x', '0x', '0xg', '12a', '19b', '0b2', '$', '$g', '1.5', '0o8']) {
        assert.equal(parseNumber(text), undefined, text);
      }
    });

    it('reports invalid numbers with their column', () => {
      assert.equal(evalErr('1 + 0xZZ'), "invalid number '0xZZ' at column 5");
      assert.equal(evalErr('19z'), "invalid number '19z' at column 1");
      assert.equal(evalErr('1.5'), "invalid number '1.5' at column 1");
      assert.equal(evalErr('0x'), "invalid number '0x' at column 1");
      assert.equal(evalErr('0x1_0000_0000_0000_0000'), "number '0x1_0000_0000_0000_0000' at column 1 does not fit in 64 bits");
    });

    it('reports bad character constants', () => {
      assert.equal(evalErr("'abc"), 'unterminated character constant at column 1');
      assert.equal(evalErr("1+'abcdefghi'"), 'character constant at column 3 is longer than 8 bytes');
    });
  });

  describe('registers and symbols', () => {
    it('reads registers case-insensitively, with their size', () => {
      const ctx = fake();
      assert.deepEqual(ok(evaluate('EAX', ctx)), {
        kind: 'register',
        register: 'eax',
        size: 4,
        value: 0x12345678,
        value64: 0x12345678n,
        width: 32,
      });
      const al = ok(evaluate('al', ctx));
      assert.equal(al.value, 0x78);
      assert.equal(al.size, 1);
      assert.equal(ok(evaluate('Cs', ctx)).size, 2);
      assert.equal(val('ah'), 0x56);
      assert.equal(val('eflags'), 0x246);
      assert.equal(val('(eax)'), 0x12345678);
    });

    it('takes 64-bit registers as bigint', () => {
      const ctx = fake();
      ctx.regs.rax = 0xffff_8000_0000_1234n;
      const r = ok(evaluate('rax', ctx));
      assert.equal(r.kind, 'register');
      assert.equal(r.size, 8);
      assert.equal(r.width, 64);
      assert.equal(r.value64, 0xffff_8000_0000_1234n);
      assert.equal(r.value, 0x1234);
      assert.equal(ok(evaluate('rax >> 32', ctx)).value, 0xffff8000);
    });

    it('sizes a register the table does not know by its value', () => {
      const ctx = fake();
      ctx.regs.efer = 0x500;
      ctx.regs.gdtr_base = 0x1_0000_0000n;
      assert.equal(ok(evaluate('efer', ctx)).size, 4);
      assert.equal(ok(evaluate('gdtr_base', ctx)).size, 8);
    });

    it('resolves symbols after registers, case-sensitively', () => {
      const r = ok(evaluate('start', fake()));
      assert.deepEqual(r, { kind: 'number', symbol: 'start', value: 0x7c00, value64: 0x7c00n, width: 32 });
      assert.equal(evalErr('Start'), "unknown register or symbol 'Start'");
      assert.equal(val('main.loop'), 0x7c48);
      assert.equal(val('start+4'), 0x7c04);
    });

    it('resolves local labels against the scope', () => {
      const ctx = fake();
      ctx.scope = 'main';
      const r = ok(evaluate('.loop', ctx));
      assert.equal(r.value, 0x7c48);
      assert.equal(r.symbol, 'main.loop');
      assert.equal(val('.orphan', ctx), 0x7c60); // not under main: the name as written
      assert.equal(evalErr('.nothing', ctx), "unknown register or symbol '.nothing'");
      assert.equal(evalErr('.loop'), "unknown local label '.loop' (no enclosing label here)");
    });

    it('$name is a symbol first, then a register', () => {
      assert.equal(val('$eax'), 0x4444);
      assert.equal(ok(evaluate('$eax', fake())).kind, 'number');
      assert.equal(val('$ebx'), 0x7c00);
      assert.equal(ok(evaluate('$ebx', fake())).kind, 'register');
      assert.equal(evalErr('$nope'), "unknown register or symbol 'nope'");
    });

    it('reports unknown names', () => {
      assert.equal(evalErr('foo'), "unknown register or symbol 'foo'");
      assert.equal(evalErr('eax + foo'), "unknown register or symbol 'foo'");
      assert.equal(evalErr('rax'), "register 'rax' is not available here");
    });
  });

  describe('operators', () => {
    const cases: [string, number][] = [
      ['1 + 2 * 3', 7],
      ['(1 + 2) * 3', 9],
      ['10 - 4 - 3', 3],
      ['100 / 10 / 5', 2],
      ['17 % 5', 2],
      ['-1', 0xffffffff],
      ['-(1)', 0xffffffff],
      ['+5', 5],
      ['~0', 0xffffffff],
      ['!0', 1],
      ['!7', 0],
      ['!!7', 1],
      ['--3', 3],
      ['1 << 4', 16],
      ['0x80000000 >> 31', 1],
      ['-8 >> 1', 0x7ffffffc],
      ['-8 >>> 1', 0xfffffffc],
      ['1 << 64', 0],
      ['1 >> 99', 0],
      ['0xF0 & 0x3C', 0x30],
      ['0xF0 | 0x0F', 0xff],
      ['0xFF ^ 0x0F', 0xf0],
      ['-8 / 2', 0x7ffffffc],
      ['-8 // 2', 0xfffffffc],
      ['-7 %% 2', 0xffffffff],
      ['7 // -2', 0xfffffffd],
      ['1 == 1', 1],
      ['1 != 1', 0],
      ['1 <> 2', 1],
      ['2 < 3', 1],
      ['3 <= 3', 1],
      ['4 > 3', 1],
      ['3 >= 4', 0],
      ['-1 > 0', 1], // comparisons are unsigned
      ['1 && 2', 1],
      ['1 && 0', 0],
      ['0 || 0', 0],
      ['0 || 5', 1],
      ['1 ^^ 1', 0],
      ['1 ^^ 0', 1],
      ['eax & 0xFF == 0x78', 1], // NASM precedence: (eax & 0xFF) == 0x78
      ['1 | 2 ^ 3 & 1', 1 | (2 ^ (3 & 1))],
      ['1 + 1 << 2', 8],
      ['2 * 3 + 4 * 5', 26],
      ['0xFFFFFFFF + 1', 0],
      ['0x10000 * 0x10000', 0],
      ['ax * 2 + bx', 0x5678 * 2 + 0x7c00],
      ['cx * 4 + 1 == 13 && al == 0x78', 1],
    ];
    for (const [text, expected] of cases) {
      it(`${text} = 0x${expected.toString(16)}`, () => assert.equal(val(text), expected));
    }

    it('compares at the operand width: eax == -1 holds for 0xFFFFFFFF', () => {
      const ctx = fake();
      ctx.regs.eax = 0xffffffff;
      assert.equal(val('eax == -1', ctx), 1);
      assert.equal(val('eax + 1', ctx), 0);
      ctx.regs.rax = 0xffffffffn;
      assert.equal(val('rax == -1', ctx), 0); // 64-bit: -1 is 0xFFFF_FFFF_FFFF_FFFF
      const wide = ok(evaluate('0x100000000 - 1', ctx));
      assert.equal(wide.width, 64);
      assert.equal(wide.value64, 0xffffffffn);
    });

    it('wraps 64-bit arithmetic', () => {
      const r = ok(evaluate('0xFFFFFFFFFFFFFFFF + 2', fake()));
      assert.equal(r.value64, 1n);
      assert.equal(ok(evaluate('-0x8000000000000000', fake())).value64, 0x8000000000000000n);
    });

    it('short-circuits && and ||', () => {
      const ctx = fake();
      assert.equal(val('0 && dword [0xFFFFFF]', ctx), 0);
      assert.equal(val('1 || dword [0xFFFFFF]', ctx), 1);
      assert.deepEqual(ctx.reads, []);
      assert.equal(evalErr('1 && dword [0xFFFFFF]', ctx), 'memory at 0x10004FF unreadable');
    });

    it('reports division by zero with its column', () => {
      assert.equal(evalErr('1 / 0'), 'division by zero at column 3');
      assert.equal(evalErr('eax % (cx - 3)'), 'division by zero at column 5');
      assert.equal(evalErr('1 // 0'), 'division by zero at column 3');
      assert.equal(evalErr('1 %% 0'), 'division by zero at column 3');
    });
  });

  describe('syntax errors', () => {
    const cases: [string, string][] = [
      ['', 'empty expression'],
      ['   ', 'empty expression'],
      ['1 +', 'unexpected end of expression'],
      ['(1 + 2', "missing ')' for the '(' at column 1"],
      ['(1 + 2 3', "expected ')' but found '3' at column 8"],
      ['1 + 2)', "unexpected ')' at column 6"],
      ['eax + * 2', "unexpected '*' at column 7"],
      ['1 2', "unexpected '2' at column 3"],
      ['eax ebx', "unexpected 'ebx' at column 5"],
      ['[bx', "missing ']' for the '[' at column 1"],
      ['[', "missing ']' for the '[' at column 1"],
      ['2 * (', "missing ')' for the '(' at column 5"],
      ['word [bx + 2 cx]', "expected ']' but found 'cx' at column 14"],
      ['[]', 'empty memory operand at column 1'],
      ['word bx', "expected '[' after 'word' at column 1 (a memory operand is written 'word [address]')"],
      ['dword', "expected '[' after 'dword' at column 1 (a memory operand is written 'dword [address]')"],
      ['eax = 5', "'=' at column 5: compare with '=='; values are changed with Set Value, not in an expression"],
      ['(eax = 5)', "'=' at column 6: compare with '=='; values are changed with Set Value, not in an expression"],
      ['eax # 1', "unexpected character '#' at column 5"],
      ['1 ; comment', "unexpected character ';' at column 3"],
      ['$', "'$' at column 1: the current position is not supported; write a register (eip) or a symbol"],
      ['es:di:2', "unexpected ':' at column 6"],
      ['lin:1:2', "unexpected ':' at column 6"],
      [':5', "unexpected ':' at column 1"],
    ];
    for (const [text, message] of cases) {
      it(`'${text}': ${message}`, () => {
        assert.equal(evalErr(text), message);
        assert.equal(err(parseExpression(text)), message);
      });
    }
  });

  describe('limits (defect 11: 400 KB of nested input was answered with a raw JavaScript stack overflow)', () => {
    it('refuses an expression longer than 4096 characters, naming the limit', () => {
      const huge = '('.repeat(200000) + '1' + ')'.repeat(200000);
      assert.equal(evalErr(huge), 'expression is 400001 characters long; the limit is 4096');
      assert.equal(err(parseExpression(huge)), 'expression is 400001 characters long; the limit is 4096');
    });
    it('refuses nesting deeper than 256 levels (parentheses, brackets, unary operators) within the length limit', () => {
      const message = /^expression nested more than 256 levels deep at column \d+ \(each operator, parenthesis and bracket is a level\); simplify it$/;
      assert.match(evalErr('('.repeat(1000) + '1' + ')'.repeat(1000)), message);
      assert.match(evalErr('['.repeat(1000) + '1' + ']'.repeat(1000)), message);
      assert.match(evalErr('-'.repeat(4000) + '1'), message);
      assert.match(evalErr('word ['.repeat(500) + '1' + ']'.repeat(500)), message);
    });
    it('refuses a chain of operators deeper than 256 (1+1+…), which the evaluator would recurse through', () => {
      assert.match(evalErr(Array(2000).fill('1').join('+')), /^expression nested more than 256 levels deep/);
      assert.match(err(evaluateCondition(Array(1000).fill('eax').join('|'), fake())), /^expression nested more than 256 levels deep/);
    });
    it('still evaluates what fits: 255 levels of parentheses, a 256-term sum', () => {
      assert.equal(val('('.repeat(255) + '7' + ')'.repeat(255)), 7);
      assert.equal(val(Array(256).fill('1').join('+')), 256);
      assert.equal(val('-'.repeat(254) + '5'), 5);
    });
  });

  describe('seg:off and address spaces', () => {
    it('uses a segment register hidden base', () => {
      const r = ok(evaluate('es:di', fake()));
      assert.equal(r.kind, 'address');
      assert.equal(r.value, 0x7c10);
      assert.deepEqual(r.address, { kind: 'segmented', segment: 0x07c0, segmentRegister: 'es', offset: 0x10, linear: 0x7c10 });
      // A hidden base that is not selector * 16 (big real / protected mode).
      assert.equal(val('gs:0x10'), 0x100010);
      assert.equal(val('ES:DI'), 0x7c10);
    });

    it('takes a segment value by the real-mode rule', () => {
      assert.deepEqual(ok(evaluate('07C0:0000', fake())).address, {
        kind: 'segmented',
        segment: 0x7c0,
        offset: 0,
        linear: 0x7c00,
      });
      assert.equal(val('0x0000:0x7c00'), 0x7c00);
      assert.equal(val('0xFFFF:0x0010'), 0x100000);
      assert.equal(val('ds+0x10:4'), 0x604);
      assert.equal(val('(es:di) + 2'), 0x7c12);
      assert.equal(val('0x07c0 : di + 2'), 0x7c12); // the offset is the whole right side
    });

    it('reads a bare hex-digit pair seg:off as hex, as real-mode debuggers do', () => {
      assert.equal(val('0000:7C00'), 0x7c00);
      assert.equal(val('F000:FFF0'), 0xffff0);
      assert.equal(val('f000:fff0'), 0xffff0);
      assert.equal(val('1000:0100'), 0x10100);
      assert.equal(val('0:10'), 0x10);
      assert.equal(val('0:ABCD'), 0xabcd);
      assert.equal(val('(0000:7C00)'), 0x7c00);
      assert.equal(val('byte [0000:7C00]'), 0xeb);
      assert.equal(val('dead:beef'), 0xdead0 + 0xbeef);
      const ctx = fake();
      ctx.symbol = (name) => (name === 'beef' ? 0x10 : undefined);
      assert.equal(val('0:beef', ctx), 0x10); // a symbol spelled in hex digits wins
      // Not a bare pair: NASM's rules.
      assert.equal(val('es:10'), 0x7c00 + 10);
      assert.equal(val('word [es:0010]'), 0); // es:10 decimal, not es:0x10 (0x5678)
      assert.equal(val('0x7c0:10'), 0x7c00 + 10);
      assert.equal(val('0000:10+1'), 11);
      assert.equal(evalErr('es:beef'), "unknown register or symbol 'beef'");
      assert.equal(evalErr('beef'), "unknown register or symbol 'beef'");
      assert.equal(
        evalErr('0000:7C00+2'),
        "invalid number '7C00' at column 6 (hex needs 0x or an h suffix, except in a bare seg:off pair such as 07C0:0000)",
      );
      assert.equal(
        evalErr('7C00'),
        "invalid number '7C00' at column 1 (hex needs 0x or an h suffix, except in a bare seg:off pair such as 07C0:0000)",
      );
    });

    it('takes a segment value through selectorBase when the context has one', () => {
      const ctx = fake({ selectorBase: (s) => (s === 0x08 ? 0x100000 : undefined) });
      assert.equal(val('0x08:0x1000', ctx), 0x101000);
      assert.equal(evalErr('0x10:0', ctx), 'selector 0x10 names no usable descriptor');
    });

    it('wraps offsets by the registers they name', () => {
      assert.equal(val('es:si+4'), 0x7c00 + 0x0002); // si+4 wraps at 16 bits
      assert.equal(val('es:esi+4'), 0x7c00 + 0x10002);
      assert.equal(val('es:0x10002'), 0x7c00 + 0x10002); // a constant offset does not
      assert.equal(val('es:di-0x11'), 0x7c00 + 0xffff);
      assert.equal(val('es:edi-0x11'), (0x7c00 - 1) >>> 0);
    });

    it('phys: and lin:', () => {
      const phys = ok(evaluate('phys:0x7c00', fake()));
      assert.equal(phys.kind, 'address');
      assert.deepEqual(phys.address, { kind: 'physical', physical: 0x7c00 });
      assert.deepEqual(ok(evaluate('LIN:start+2', fake())).address, { kind: 'linear', linear: 0x7c02 });
      assert.equal(val('(phys:0x10) + 1'), 0x11);
    });

    it('reports bad segments and spaces', () => {
      assert.equal(evalErr('0x10000:0'), 'segment 0x10000 does not fit in 16 bits');
      assert.equal(evalErr('-1:0'), 'segment 0xFFFFFFFFFFFFFFFF does not fit in 16 bits');
      assert.equal(evalErr('(es:0):0'), 'a segment cannot be an address, at column 2');
      assert.equal(evalErr('es:(ds:0)'), 'an address (seg:off, phys:, lin:) cannot be part of an offset, at column 5; write the segment first, e.g. [es:di+2]');
      assert.equal(evalErr('phys:(lin:5)'), "'phys:' cannot be nested");
      assert.equal(evalErr('phys:-1'), 'physical address 0xFFFFFFFFFFFFFFFF is beyond 52 bits');
      assert.equal(evalErr('1 + phys:2'), "'phys:' at column 5 must begin an address (phys:0x7C00, [lin:esi])");
      assert.equal(evalErr('[Lin]'), "'Lin:' at column 2 must begin an address (phys:0x7C00, [lin:esi])");
      assert.equal(evalErr('lin:0x100000000'), 'linear address 0x100000000 does not fit in 32 bits');
    });
  });

  describe('memory operands', () => {
    it('reads word [0x7c00] through DS, sized by the address size', () => {
      const ctx = fake();
      ctx.bases.ds = 0;
      const r = ok(evaluate('word [0x7c00]', ctx));
      assert.equal(r.kind, 'memory');
      assert.equal(r.size, 2);
      assert.equal(r.value, 0x3ceb);
      assert.deepEqual(r.address, { kind: 'segmented', segment: 0x50, segmentRegister: 'ds', offset: 0x7c00, linear: 0x7c00 });
      assert.equal(ok(evaluate('[0x7c00]', ctx)).size, 2);
      const ctx32 = fake({ addressSize: 32 });
      ctx32.bases.ds = 0;
      assert.equal(ok(evaluate('[0x7c00]', ctx32)).value, 0x4d903ceb);
      assert.equal(ok(evaluate('[0x7c00]', ctx32)).size, 4);
    });

    it('reads every size, little-endian', () => {
      const ctx = fake();
      assert.equal(val('byte [lin:0x7c10]', ctx), 0x78);
      assert.equal(val('word [lin:0x7c10]', ctx), 0x5678);
      assert.equal(val('dword [lin:0x7c10]', ctx), 0x12345678);
      const q = ok(evaluate('qword [lin:0x7c10]', ctx));
      assert.equal(q.width, 64);
      assert.equal(q.size, 8);
      assert.equal(q.value64, 0x9abcdef012345678n);
      assert.equal(val('dword ptr [lin:0x7c10]', ctx), 0x12345678);
      assert.equal(val('BYTE [lin:0x7c10]', ctx), 0x78);
    });

    it('[es:di], [seg:off], [bx+4*cx]', () => {
      assert.equal(val('word [es:di]'), 0x5678);
      assert.equal(val('word [0x07c0:0x0010]'), 0x5678);
      assert.equal(val('word [di]'), 0x2211); // ds:di
      assert.equal(val('word [bx+4*cx]'), 0xf00d);
      assert.equal(val('dword [ebx+4*ecx]', fake({ addressSize: 32 })) & 0xffff, 0xf00d);
    });

    it('defaults to SS for a BP or SP base, DS for a scaled one', () => {
      const ctx = fake();
      const r = ok(evaluate('word [bp+4]', ctx));
      assert.equal(r.value, 0x6655);
      assert.equal(r.address?.kind === 'segmented' && r.address.segmentRegister, 'ss');
      assert.equal(ok(evaluate('word [ebp+4]', ctx)).value, 0x6655);
      const scaled = ok(evaluate('word [ebx+ebp*2]', ctx)).address;
      assert.equal(scaled?.kind === 'segmented' && scaled.segmentRegister, 'ds');
      assert.equal(ok(evaluate('word [sp]', ctx)).address?.kind === 'segmented', true);
      assert.equal(val('word [ds:bp+4]', ctx), 0); // an explicit segment wins
    });

    it('wraps a 16-bit offset at 64K', () => {
      const ctx = fake();
      assert.equal(val('word [si]', ctx), 0x4433);
      assert.equal(val('byte [si+0x12]', ctx), 0x11); // 0xFFFE+0x12 wraps to 0x10
      assert.equal(val('byte [di-0x12]', ctx), 0x33); // 0x10-0x12 wraps to 0xFFFE
    });

    it('[phys:...] reads physical memory', () => {
      const ctx = fake();
      const r = ok(evaluate('dword [phys:0x7c00]', ctx));
      assert.equal(r.value, 0xddccbbaa);
      assert.deepEqual(r.address, { kind: 'physical', physical: 0x7c00 });
      assert.deepEqual(ctx.reads, ['phys 7c00/4']);
    });

    it('nests and takes part in arithmetic', () => {
      const ctx = fake();
      ctx.memory.set([0x00, 0x7c], 0x500 + 0x20); // ds:0x20 holds 0x7C00
      assert.equal(val('byte [lin:word [0x20]]', ctx), 0xeb);
      assert.equal(val('word [es:di] + 1', ctx), 0x5679);
      assert.equal(val('byte [lin:start] == 0xEB && byte [lin:start+1] == 0x3C', ctx), 1);
      // A nested operand's registers do not set the outer offset's size.
      assert.equal(val('byte [0x10000 + byte [di]]', ctx), 0);
    });

    it('reports unreadable memory', () => {
      assert.equal(evalErr('word [lin:0x9FFFF]'), 'memory at 0x9FFFF unreadable');
      assert.equal(val('byte [lin:0x9FFFF]'), 0x99);
      assert.equal(evalErr('dword [phys:0x1FFFFE]'), 'physical memory at 0x1FFFFE unreadable');
      assert.equal(evalErr('byte [gs:0]'), 'memory at 0x100000 unreadable');
    });

    it('treats a short read as unreadable', () => {
      const ctx = fake();
      ctx.readLinear = () => [1];
      assert.equal(evalErr('word [0]', ctx), 'memory at 0x500 unreadable');
    });
  });

  describe('parseAddress', () => {
    const ctx = fake();
    const cases: [string, Address][] = [
      ['07C0:0000', { kind: 'segmented', segment: 0x7c0, offset: 0, linear: 0x7c00 }],
      ['0000:7C00h', { kind: 'segmented', segment: 0, offset: 0x7c00, linear: 0x7c00 }],
      ['cs:ip', { kind: 'segmented', segment: 0, segmentRegister: 'cs', offset: 0x7c05, linear: 0x7c05 }],
      ['es:0', { kind: 'segmented', segment: 0x7c0, segmentRegister: 'es', offset: 0, linear: 0x7c00 }],
      ['F000:FFF0', { kind: 'segmented', segment: 0xf000, offset: 0xfff0, linear: 0xffff0 }],
      ['0x7c00', { kind: 'linear', linear: 0x7c00 }],
      ['start+4', { kind: 'linear', linear: 0x7c04 }],
      ['eip', { kind: 'linear', linear: 0x7c05 }],
      ['phys:0x7c00', { kind: 'physical', physical: 0x7c00 }],
      ['lin:0x7c00', { kind: 'linear', linear: 0x7c00 }],
      ['-1', { kind: 'linear', linear: 0xffffffff }],
      ['huge', { kind: 'linear', linear: 0xffffffff }],
    ];
    for (const [text, expected] of cases) {
      it(`${text}`, () => assert.deepEqual(ok(parseAddress(text, ctx)), expected));
    }

    it('accepts a parsed expression', () => {
      const parsed = parseExpression('main.loop');
      assert.ok(!isExpressionError(parsed));
      assert.deepEqual(parseAddress(parsed, ctx), { kind: 'linear', linear: 0x7c48 });
    });

    it('reports errors', () => {
      assert.equal(
        err(parseAddress('[bx]', ctx)),
        'a memory operand is not an address: write the address without brackets (ds:bx for the place [bx] reads)',
      );
      assert.equal(err(parseAddress('nowhere+4', ctx)), "unknown register or symbol 'nowhere'");
      assert.equal(err(parseAddress('0x100000000', ctx)), 'linear address 0x100000000 does not fit in 32 bits');
      assert.equal(err(parseAddress('', ctx)), 'empty expression');
      assert.equal(err(parseAddress('0x7C0:', ctx)), 'unexpected end of expression');
      assert.equal(
        err(parseAddress('07C0:', ctx)),
        "invalid number '07C0' at column 1 (hex needs 0x or an h suffix, except in a bare seg:off pair such as 07C0:0000)",
      );
    });
  });

  describe('parseLvalue', () => {
    const ctx = fake();
    it('registers', () => {
      assert.deepEqual(ok(parseLvalue('EAX', ctx)), { kind: 'register', name: 'eax', size: 4 });
      assert.deepEqual(ok(parseLvalue('ah', ctx)), { kind: 'register', name: 'ah', size: 1 });
      assert.deepEqual(ok(parseLvalue('(ds)', ctx)), { kind: 'register', name: 'ds', size: 2 });
    });

    it('memory operands, with the default size', () => {
      assert.deepEqual(ok(parseLvalue('word [0x7c00]', ctx)), {
        kind: 'memory',
        size: 2,
        address: { kind: 'segmented', segment: 0x50, segmentRegister: 'ds', offset: 0x7c00, linear: 0x8100 },
      });
      assert.deepEqual(ok(parseLvalue('byte [phys:0x10]', ctx)), {
        kind: 'memory',
        size: 1,
        address: { kind: 'physical', physical: 0x10 },
      });
      assert.equal(ok(parseLvalue('[es:di]', ctx)).size, 2);
      assert.equal(ok(parseLvalue('[es:di]', fake({ addressSize: 32 }))).size, 4);
      // Nothing is read to find where to write, even at unreadable places.
      assert.deepEqual(ok(parseLvalue('dword [lin:0x9FFFF]', ctx)), {
        kind: 'memory',
        size: 4,
        address: { kind: 'linear', linear: 0x9ffff },
      });
    });

    it('reports what cannot be assigned', () => {
      assert.equal(
        err(parseLvalue('start', ctx)),
        "'start' is a symbol, not a register; to change memory there write e.g. 'word [start]'",
      );
      assert.equal(
        err(parseLvalue('eax + 1', ctx)),
        "cannot assign to this; write a register or a memory operand such as 'word [0x7C00]'",
      );
      assert.equal(
        err(parseLvalue('es:di', ctx)),
        "cannot assign to this; write a register or a memory operand such as 'word [0x7C00]'",
      );
      assert.equal(err(parseLvalue('foo', ctx)), "unknown register or symbol 'foo'");
      assert.equal(err(parseLvalue('word [', ctx)), "missing ']' for the '[' at column 6");
    });

    it('toBytes gives the little-endian bytes to write', () => {
      assert.deepEqual(toBytes(0x1234n, 2), [0x34, 0x12]);
      assert.deepEqual(toBytes(-1n, 4), [0xff, 0xff, 0xff, 0xff]);
      assert.deepEqual(toBytes(0x1_2345_6789n, 4), [0x89, 0x67, 0x45, 0x23]);
      assert.deepEqual(toBytes(0x0102030405060708n, 8), [8, 7, 6, 5, 4, 3, 2, 1]);
    });
  });

  describe('conditions', () => {
    it('are true when non-zero', () => {
      const ctx = fake();
      assert.deepEqual(evaluateCondition('cx == 3', ctx), { value: true });
      assert.deepEqual(evaluateCondition('cx', ctx), { value: true });
      assert.deepEqual(evaluateCondition('cx - 3', ctx), { value: false });
      assert.deepEqual(evaluateCondition('byte [es:di] == 0x78', ctx), { value: true });
      assert.deepEqual(evaluateCondition('0x100000000', ctx), { value: true }); // 64-bit, not truncated
    });

    it('parse once, evaluate many times', () => {
      const parsed = parseExpression('ax == 0x5678');
      assert.ok(!isExpressionError(parsed));
      assert.equal(parsed.text, 'ax == 0x5678');
      const ctx = fake();
      assert.deepEqual(evaluateCondition(parsed, ctx), { value: true });
      ctx.regs.ax = 1;
      assert.deepEqual(evaluateCondition(parsed, ctx), { value: false });
      const e: Evaluation | ExpressionError = evaluate(parsed, ctx);
      assert.equal(ok(e).value, 0);
    });

    it('report errors at evaluation', () => {
      assert.equal(err(evaluateCondition('nosuch == 1', fake())), "unknown register or symbol 'nosuch'");
      assert.equal(err(evaluateCondition('eax ==', fake())), 'unexpected end of expression');
    });
  });

  describe('parseHitCondition', () => {
    function hits(text: string): number[] {
      const test = parseHitCondition(text);
      assert.equal(typeof test, 'function', `${text}: ${JSON.stringify(test)}`);
      const f = test as (n: number) => boolean;
      return [1, 2, 3, 4, 5, 6].filter((n) => f(n));
    }
    const cases: [string, number[]][] = [
      ['3', [3]],
      ['== 3', [3]],
      ['=3', [3]],
      ['===3', [3]],
      ['!= 3', [1, 2, 4, 5, 6]],
      ['> 3', [4, 5, 6]],
      ['>= 3', [3, 4, 5, 6]],
      ['< 3', [1, 2]],
      ['<= 3', [1, 2, 3]],
      ['% 2', [2, 4, 6]],
      ['%3', [3, 6]],
      ['  >=  0x4 ', [4, 5, 6]],
      ['', [1, 2, 3, 4, 5, 6]],
    ];
    for (const [text, expected] of cases) {
      it(`'${text}'`, () => assert.deepEqual(hits(text), expected));
    }

    it('reports what it does not understand', () => {
      for (const text of ['abc', '> ', '>> 3', '3 4', '-1', '== x']) {
        assert.equal(
          err(parseHitCondition(text) as object),
          `hit condition '${text.trim()}' not understood: write a count, optionally after one of == != > >= < <= % (e.g. '>= 3', '% 2')`,
        );
      }
      assert.equal(err(parseHitCondition('% 0') as object), "hit condition '% 0': the modulus must be at least 1");
    });
  });
});
