// DWARF expressions (DWARF 5 specification, section 2.5 and 2.6): the stack
// machine that computes where a variable lives (a location description) or a
// value (a frame base, a CFA). Locations: memory at an address, a register,
// a value computed by the expression itself (DW_OP_stack_value), implicit
// bytes (DW_OP_implicit_value), or pieces of those (DW_OP_piece /
// DW_OP_bit_piece for a variable split across registers and memory).
//
// Values are JavaScript numbers wrapped to the address size (exact for
// 32-bit targets and below 2^53 on 64-bit ones). Register numbers are the
// psABI's (./dwarfRegisters.ts); the context reads them, and memory, for
// the frame the expression is evaluated in.

import { Reader } from './dwarfReader';

export interface ExpressionContext {
  addressSize: number;
  /** A register's value in the frame, undefined when it is not known there (a caller-saved register in a caller frame). */
  register(n: number): number | undefined;
  /** `size` bytes of guest memory at a DWARF address, little-endian, or undefined when unreadable. */
  readMemory(address: number, size: number): number | undefined;
  /** The function's frame base (DW_AT_frame_base), for DW_OP_fbreg. */
  frameBase?(): number;
  /** The canonical frame address of the frame (from the CFI), for DW_OP_call_frame_cfa. */
  cfa?(): number | undefined;
  /** An entry of .debug_addr (DW_OP_addrx, DW_OP_constx). */
  addrx?(index: number): number;
}

export type SimpleLocation =
  | { kind: 'memory'; address: number }
  | { kind: 'register'; register: number }
  | { kind: 'value'; value: number }
  | { kind: 'implicit'; bytes: Uint8Array }
  /** Nothing: the piece (or the variable) is optimised out here. */
  | { kind: 'empty' };

export type Location = SimpleLocation | { kind: 'pieces'; pieces: Array<{ location: SimpleLocation; bits: number; bitOffset: number }> };

/** Why an expression cannot be evaluated here (the view shows the message instead of a value). */
export class ExpressionUnavailable extends Error {}

const OP = {
  addr: 0x03, deref: 0x06, const1u: 0x08, const1s: 0x09, const2u: 0x0a, const2s: 0x0b, const4u: 0x0c, const4s: 0x0d,
  const8u: 0x0e, const8s: 0x0f, constu: 0x10, consts: 0x11, dup: 0x12, drop: 0x13, over: 0x14, pick: 0x15, swap: 0x16,
  rot: 0x17, abs: 0x19, and: 0x1a, div: 0x1b, minus: 0x1c, mod: 0x1d, mul: 0x1e, neg: 0x1f, not: 0x20, or: 0x21,
  plus: 0x22, plusUconst: 0x23, shl: 0x24, shr: 0x25, shra: 0x26, xor: 0x27, bra: 0x28, eq: 0x29, ge: 0x2a, gt: 0x2b,
  le: 0x2c, lt: 0x2d, ne: 0x2e, skip: 0x2f, lit0: 0x30, lit31: 0x4f, reg0: 0x50, reg31: 0x6f, breg0: 0x70, breg31: 0x8f,
  regx: 0x90, fbreg: 0x91, bregx: 0x92, piece: 0x93, derefSize: 0x94, nop: 0x96, callFrameCfa: 0x9c, bitPiece: 0x9d,
  implicitValue: 0x9e, stackValue: 0x9f, implicitPointer: 0xa0, addrx: 0xa1, constx: 0xa2, entryValue: 0xa3,
  gnuImplicitPointer: 0xf2, gnuEntryValue: 0xf3, gnuParameterRef: 0xfa, gnuAddrIndex: 0xfb, gnuConstIndex: 0xfc,
} as const;

/** Evaluation steps one expression may take (a DW_OP_bra loop cannot hang the adapter). */
const MAX_STEPS = 10_000;

function wrapper(addressSize: number): (v: number) => number {
  if (addressSize >= 8) return (v) => v;
  const m = 2 ** (addressSize * 8);
  return (v) => ((v % m) + m) % m;
}

function signed(v: number, addressSize: number): number {
  if (addressSize >= 8) return v;
  const m = 2 ** (addressSize * 8);
  return v >= m / 2 ? v - m : v;
}

/** Evaluates a location expression to where the object is. An empty expression: optimised out. */
export function evaluateLocation(expr: Uint8Array, ctx: ExpressionContext): Location {
  return run(expr, ctx, []).location;
}

/** Evaluates an expression for a value (a DW_AT_frame_base, a DW_CFA expression), `initial` pushed first. */
export function evaluateValue(expr: Uint8Array, ctx: ExpressionContext, initial: number[] = []): number {
  const loc = run(expr, ctx, initial).location;
  switch (loc.kind) {
    case 'memory': return loc.address;
    case 'value': return loc.value;
    case 'register': {
      const v = ctx.register(loc.register);
      if (v === undefined) throw new ExpressionUnavailable(`register ${loc.register} is not known in this frame`);
      return v;
    }
    default: throw new ExpressionUnavailable('the expression gives no single value');
  }
}

function run(expr: Uint8Array, ctx: ExpressionContext, initial: number[]): { location: Location } {
  const size = ctx.addressSize;
  const wrap = wrapper(size);
  const stack: number[] = [...initial];
  const pieces: Array<{ location: SimpleLocation; bits: number; bitOffset: number }> = [];
  const r = new Reader(expr);
  // The location the operations so far describe, before a piece or the end.
  let pending: SimpleLocation | null = null;
  const pop = (): number => {
    const v = stack.pop();
    if (v === undefined) throw new ExpressionUnavailable('DWARF expression stack underflow');
    return v;
  };
  const reg = (n: number): number => {
    const v = ctx.register(n);
    if (v === undefined) throw new ExpressionUnavailable(`register ${n} is not known in this frame`);
    return v;
  };
  const read = (address: number, n: number): number => {
    const v = ctx.readMemory(address, n);
    if (v === undefined) throw new ExpressionUnavailable(`memory at 0x${address.toString(16)} is unreadable`);
    return v;
  };
  const binary = (f: (a: number, b: number) => number): void => {
    const b = pop();
    const a = pop();
    stack.push(wrap(f(a, b)));
  };
  const compare = (f: (a: number, b: number) => boolean): void => {
    const b = signed(pop(), size);
    const a = signed(pop(), size);
    stack.push(f(a, b) ? 1 : 0);
  };
  const finish = (): SimpleLocation => {
    if (pending) return pending;
    if (stack.length === 0) return { kind: 'empty' };
    return { kind: 'memory', address: stack[stack.length - 1] };
  };
  for (let steps = 0; !r.end; steps++) {
    if (steps > MAX_STEPS) throw new ExpressionUnavailable('DWARF expression runs too long');
    const op = r.u8();
    if (op >= OP.lit0 && op <= OP.lit31) stack.push(op - OP.lit0);
    else if (op >= OP.reg0 && op <= OP.reg31) pending = { kind: 'register', register: op - OP.reg0 };
    else if (op >= OP.breg0 && op <= OP.breg31) stack.push(wrap(reg(op - OP.breg0) + r.sleb()));
    else {
      switch (op) {
        case OP.addr: stack.push(r.sized(size)); break;
        case OP.deref: stack.push(read(pop(), size)); break;
        case OP.derefSize: {
          const n = r.u8();
          stack.push(read(pop(), n));
          break;
        }
        case OP.const1u: stack.push(r.u8()); break;
        case OP.const1s: stack.push(wrap(r.i8())); break;
        case OP.const2u: stack.push(r.u16()); break;
        case OP.const2s: stack.push(wrap(r.i16())); break;
        case OP.const4u: stack.push(r.u32()); break;
        case OP.const4s: stack.push(wrap(r.i32())); break;
        case OP.const8u: stack.push(wrap(r.u64())); break;
        case OP.const8s: stack.push(wrap(r.i64())); break;
        case OP.constu: stack.push(wrap(r.uleb())); break;
        case OP.consts: stack.push(wrap(r.sleb())); break;
        case OP.addrx: case OP.constx: case OP.gnuAddrIndex: case OP.gnuConstIndex: {
          const index = r.uleb();
          if (!ctx.addrx) throw new ExpressionUnavailable('no .debug_addr for DW_OP_addrx');
          stack.push(ctx.addrx(index));
          break;
        }
        case OP.dup: stack.push(stack[stack.length - 1] ?? pop()); break;
        case OP.drop: pop(); break;
        case OP.over: {
          if (stack.length < 2) throw new ExpressionUnavailable('DWARF expression stack underflow');
          stack.push(stack[stack.length - 2]);
          break;
        }
        case OP.pick: {
          const i = r.u8();
          if (i >= stack.length) throw new ExpressionUnavailable('DWARF expression stack underflow');
          stack.push(stack[stack.length - 1 - i]);
          break;
        }
        case OP.swap: {
          const b = pop();
          const a = pop();
          stack.push(b, a);
          break;
        }
        case OP.rot: {
          const c = pop();
          const b = pop();
          const a = pop();
          stack.push(c, a, b);
          break;
        }
        case OP.abs: stack.push(wrap(Math.abs(signed(pop(), size)))); break;
        case OP.neg: stack.push(wrap(-signed(pop(), size))); break;
        case OP.not: stack.push(wrap(-pop() - 1)); break;
        case OP.and: binary((a, b) => Number(BigInt(a) & BigInt(b))); break;
        case OP.or: binary((a, b) => Number(BigInt(a) | BigInt(b))); break;
        case OP.xor: binary((a, b) => Number(BigInt(a) ^ BigInt(b))); break;
        case OP.plus: binary((a, b) => a + b); break;
        case OP.minus: binary((a, b) => a - b); break;
        case OP.mul: binary((a, b) => Number(BigInt.asUintN(size * 8, BigInt(a) * BigInt(b)))); break;
        case OP.div: binary((a, b) => {
          if (b === 0) throw new ExpressionUnavailable('division by zero in a DWARF expression');
          return Math.trunc(signed(a, size) / signed(b, size));
        }); break;
        case OP.mod: binary((a, b) => {
          if (b === 0) throw new ExpressionUnavailable('division by zero in a DWARF expression');
          return a % b;
        }); break;
        case OP.plusUconst: stack.push(wrap(pop() + r.uleb())); break;
        case OP.shl: binary((a, b) => Number(BigInt.asUintN(size * 8, BigInt(a) << BigInt(b)))); break;
        case OP.shr: binary((a, b) => Number(BigInt(a) >> BigInt(b))); break;
        case OP.shra: binary((a, b) => Number(BigInt(signed(a, size)) >> BigInt(b))); break;
        case OP.eq: compare((a, b) => a === b); break;
        case OP.ne: compare((a, b) => a !== b); break;
        case OP.lt: compare((a, b) => a < b); break;
        case OP.le: compare((a, b) => a <= b); break;
        case OP.gt: compare((a, b) => a > b); break;
        case OP.ge: compare((a, b) => a >= b); break;
        case OP.skip: {
          const delta = r.i16(); // relative to the end of the operand
          r.pos += delta;
          break;
        }
        case OP.bra: {
          const delta = r.i16();
          if (pop() !== 0) r.pos += delta;
          break;
        }
        case OP.regx: pending = { kind: 'register', register: r.uleb() }; break;
        case OP.bregx: {
          const n = r.uleb();
          stack.push(wrap(reg(n) + r.sleb()));
          break;
        }
        case OP.fbreg: {
          if (!ctx.frameBase) throw new ExpressionUnavailable('no frame base here');
          stack.push(wrap(ctx.frameBase() + r.sleb()));
          break;
        }
        case OP.callFrameCfa: {
          const cfa = ctx.cfa?.();
          if (cfa === undefined) throw new ExpressionUnavailable('no call frame information for this frame');
          stack.push(cfa);
          break;
        }
        case OP.nop: break;
        case OP.stackValue: pending = { kind: 'value', value: pop() }; break;
        case OP.implicitValue: pending = { kind: 'implicit', bytes: r.bytes(r.uleb()) }; break;
        case OP.piece: {
          pieces.push({ location: finish(), bits: r.uleb() * 8, bitOffset: 0 });
          pending = null;
          stack.length = 0;
          break;
        }
        case OP.bitPiece: {
          const bits = r.uleb();
          pieces.push({ location: finish(), bits, bitOffset: r.uleb() });
          pending = null;
          stack.length = 0;
          break;
        }
        case OP.entryValue: case OP.gnuEntryValue:
          throw new ExpressionUnavailable('optimized out (only its value at the function entry is described)');
        case OP.implicitPointer: case OP.gnuImplicitPointer:
          throw new ExpressionUnavailable('optimized out (a pointer to an object that has no address)');
        case OP.gnuParameterRef:
          throw new ExpressionUnavailable('optimized out (a parameter of the caller)');
        default:
          throw new ExpressionUnavailable(`unsupported DWARF operation 0x${op.toString(16)}`);
      }
    }
    if (r.pos > expr.length || r.pos < 0) throw new ExpressionUnavailable('DWARF expression branches outside itself');
  }
  if (pieces.length > 0) return { location: { kind: 'pieces', pieces } };
  return { location: finish() };
}
