// The adapter's evaluator: the NASM-syntax expression language of
// ./expression.ts over the stopped machine (registers, hidden segment bases,
// the system registers of ./systemRegisters.ts (cr0, dr7, gdtr.base,
// ds.limit ...), guest memory, symbols). What evaluate, hovers, watch, conditions, log
// messages, setExpression, data breakpoints and memory references use.

import { evaluate, evaluateCondition, isExpressionError, parseAddress, parseLvalue } from './expression';
import type { Address, EvaluationContext, ExpressionError, Lvalue } from './expression';
import type { VmexitRuntime } from './runtime';
import type { SymbolService } from './symbolService';
import { systemRegister } from './systemRegisters';

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
  /** A breakpoint condition: true when non-zero. */
  condition(text: string): boolean;
  /** An address expression: `seg:off`, `phys:…`, a number, a symbol, `symbol+off`. */
  address(text: string): GuestAddress;
  /** Where `setExpression` writes: a register or a memory operand. */
  lvalue(text: string): Lvalue;
}

function toGuest(a: Address): GuestAddress {
  return a.kind === 'physical' ? { space: 'physical', address: a.physical >>> 0 } : { space: 'linear', address: a.linear >>> 0 };
}

function orThrow<T extends object>(r: T | ExpressionError): T {
  if (isExpressionError(r)) throw new Error(r.error);
  return r;
}

export class NasmEvaluator implements Evaluator {
  constructor(
    private readonly runtime: VmexitRuntime,
    private readonly symbols: SymbolService,
  ) {}

  private context(): EvaluationContext {
    const rt = this.runtime;
    const regs = rt.regs();
    const sregs = rt.sregs();
    const full: Record<string, number> = {
      eax: regs.eax, ebx: regs.ebx, ecx: regs.ecx, edx: regs.edx, esi: regs.esi, edi: regs.edi, ebp: regs.ebp, esp: regs.esp,
      eip: regs.eip, eflags: regs.eflags,
    };
    const readAll = (bytes: (number | null)[]): number[] | null => (bytes.some((b) => b === null) ? null : (bytes as number[]));
    const here = this.symbols.symbolAt(rt.pc());
    return {
      register(name: string): number | undefined {
        const n = name.toLowerCase();
        if (n in full) return full[n] >>> 0;
        if (['ax', 'bx', 'cx', 'dx', 'si', 'di', 'bp', 'sp', 'ip', 'flags'].includes(n)) return full[`e${n}`] & 0xffff;
        if (/^[abcd][hl]$/.test(n)) {
          const v = full[`e${n[0]}x`];
          return n[1] === 'h' ? (v >>> 8) & 0xff : v & 0xff;
        }
        if (n === 'cs' || n === 'ds' || n === 'es' || n === 'fs' || n === 'gs' || n === 'ss') return sregs[n].selector;
        return systemRegister(rt, n)?.read();
      },
      segmentBase(segment: string): number {
        const s = segment.toLowerCase();
        return s === 'cs' || s === 'ds' || s === 'es' || s === 'fs' || s === 'gs' || s === 'ss' ? sregs[s].base : 0;
      },
      selectorBase: rt.realAddressing() ? (sel: number) => sel * 16 : (sel: number) => rt.descriptorBase(sel),
      addressSize: rt.codeBitness() === 16 ? 16 : 32,
      readLinear: (linear, size) => readAll(rt.readLinear(linear, size)),
      readPhysical: (physical, size) => readAll(rt.readPhysical(physical, size)),
      symbol: (name) => this.symbols.lookupSymbol(name),
      scope: here?.name.split('.')[0],
    };
  }

  evaluate(text: string): EvaluatedValue {
    const r = orThrow(evaluate(text, this.context()));
    const out: EvaluatedValue = { value: r.value };
    if (r.size !== undefined) out.size = r.size;
    if (r.kind === 'memory' && r.address) out.place = toGuest(r.address);
    if (r.kind === 'register' && r.register) out.register = r.register;
    return out;
  }

  condition(text: string): boolean {
    return orThrow(evaluateCondition(text, this.context())).value;
  }

  address(text: string): GuestAddress {
    return toGuest(orThrow(parseAddress(text, this.context())));
  }

  lvalue(text: string): Lvalue {
    return orThrow(parseLvalue(text, this.context()));
  }
}
