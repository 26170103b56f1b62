// C variables of a stack frame: the function the frame's code is in (its
// DWARF subprogram), its parameters (Arguments), the variables of its
// lexical blocks that hold the frame's address (Locals, innermost first, an
// inner name hiding an outer one), and the globals and file statics of its
// compile unit (Globals). Locations are evaluated with the frame's own
// registers (cFrames.ts keeps them per frame) and its frame base
// (DW_AT_frame_base, usually DW_OP_call_frame_cfa), at the frame's address:
// a caller's is its call (return address - 1), so location lists and
// blocks are those of the call. Registers of the current frame can be set;
// a caller's registers are shown, not written.

import { CValueView, placeOf, type CValue, type ValueHost } from './cValues';
import type { Frame } from './frames';
import { returnsHere } from './frames';
import type { StateNode } from './registerView';
import type { VmexitRuntime } from './runtime';
import type { SymbolService } from './symbolService';
import type { DebugProgram } from './symbols/debugProgram';
import { evaluateLocation, evaluateValue, ExpressionUnavailable, type ExpressionContext } from './symbols/dwarfExpr';
import { DW_AT, DW_TAG, type Die } from './symbols/dwarfInfo';
import { sizeOf, TypeBuilder, type CType } from './symbols/dwarfTypes';

/** i386 registers by DWARF number, as Regs names them (psABI order). */
const I386_REGS = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi', 'eip'] as const;

export type CScopeName = 'Locals' | 'Arguments' | 'Globals';

const builders = new WeakMap<DebugProgram, TypeBuilder>();

function typesOf(program: DebugProgram): TypeBuilder {
  let b = builders.get(program);
  if (!b) builders.set(program, (b = new TypeBuilder(program.info)));
  return b;
}

/** The C view of one frame: its function, its variables and their values. */
export class CFrame {
  readonly program: DebugProgram | undefined;
  readonly fn: Die | undefined;
  /** The scope the frame shows: the function, or the inlined subroutine of an inlined frame. */
  private readonly root: Die | undefined;
  /** The frame's address in the ELF file (the call's, for a caller frame). */
  private readonly pc: number;
  readonly values: CValueView;
  private readonly ctx: ExpressionContext;

  constructor(
    private readonly rt: VmexitRuntime,
    symbols: SymbolService,
    private readonly frame: Frame,
    private readonly top: boolean,
  ) {
    const at = returnsHere(frame) ? frame.linear - 1 : frame.linear;
    this.program = symbols.programAt(at);
    const bias = this.program?.bias ?? 0;
    this.pc = at - bias;
    this.fn = this.program?.hasInfo ? this.program.info.functionAt(this.pc) : undefined;
    // A frame of inlined code shows that subroutine's parameters and blocks (the function's frame base still applies).
    this.root = frame.inline && this.program?.hasInfo ? (this.program.info.die(frame.inline.scope) ?? this.fn) : this.fn;
    const dsBase = rt.sregs().ds.base;
    const addressSize = this.program?.addressSize ?? 4;
    const read = (address: number, length: number): Uint8Array | undefined => {
      const bytes = rt.readLinear((dsBase + address) >>> 0, length);
      return bytes.some((b) => b === null) ? undefined : Uint8Array.from(bytes as number[]);
    };
    const host: ValueHost = {
      addressSize,
      readMemory: read,
      writeMemory: (address, bytes) => rt.writeLinear((dsBase + address) >>> 0, bytes) === bytes.length,
      linear: (address) => (dsBase + address) >>> 0,
      symbolAt: (address) => {
        const s = symbols.symbolAt(address + bias);
        return s ? `${s.name}${s.offset ? `+0x${s.offset.toString(16)}` : ''}` : undefined;
      },
    };
    this.values = new CValueView(host);
    const fn = this.fn;
    const program = this.program;
    this.ctx = {
      addressSize,
      register: (n) => this.register(n),
      readMemory: (address, size) => {
        const b = read(address, size);
        return b ? b.reduceRight((acc, x) => acc * 256 + x, 0) : undefined;
      },
      cfa: () => frame.cfa,
      frameBase: () => {
        const expr = fn && program ? program.info.locationAt(fn, this.pc, DW_AT.frameBase) : undefined;
        if (!expr) throw new ExpressionUnavailable('the function has no frame base here');
        return evaluateValue(expr, this.ctx);
      },
      ...(program ? { addrx: (index: number) => program.info.addrx((fn ?? program.info.units[0].root).unit, index) } : {}),
    };
  }

  /** A register's value in this frame (DWARF number), undefined when the frame does not know it. */
  private register(n: number): number | undefined {
    // The current frame's registers are read live (an edit shows at once); a caller's are the unwound ones.
    if (!this.top) return this.frame.registers?.get(n);
    const name = I386_REGS[n];
    return name ? this.rt.regs()[name] >>> 0 : undefined;
  }

  private writeRegister(n: number, value: number): void {
    const name = I386_REGS[n];
    if (!name) throw new Error(`register ${n} cannot be set`);
    const r = this.rt.regs();
    r[name] = value >>> 0;
    this.rt.vcpu.setRegs(r);
  }

  private type(die: Die): CType {
    return typesOf(this.program as DebugProgram).typeOfObject(die);
  }

  /** The value of a variable or parameter DIE in this frame. */
  value(die: Die): CValue {
    const program = this.program as DebugProgram;
    const type = this.type(die);
    const size = sizeOf(type);
    const expr = program.info.locationAt(die, this.pc);
    if (expr === undefined) {
      const constant = die.attrs.get(DW_AT.constValue);
      if (constant instanceof Uint8Array) return { type, place: { kind: 'bytes', bytes: constant } };
      if (typeof constant === 'number') return { type, place: placeOf({ kind: 'value', value: constant }, size, this.ctx) };
      return { type, place: { kind: 'unavailable', reason: 'optimized out' } };
    }
    if (expr === null || expr.length === 0) return { type, place: { kind: 'unavailable', reason: 'optimized out' } };
    try {
      const location = evaluateLocation(expr, this.ctx);
      return { type, place: placeOf(location, size, this.ctx, this.top ? (n, v) => this.writeRegister(n, v) : undefined) };
    } catch (e) {
      if (e instanceof ExpressionUnavailable) return { type, place: { kind: 'unavailable', reason: e.message } };
      throw e;
    }
  }

  /** The parameters of the frame's function. */
  parameters(): Die[] {
    return this.root ? this.root.children.filter((c) => c.tag === DW_TAG.formalParameter && this.named(c)) : [];
  }

  /** The variables in scope at the frame's address, innermost block first, an inner name hiding an outer one. */
  locals(): Die[] {
    if (!this.root || !this.program) return [];
    const seen = new Set<string>();
    const out: Die[] = [];
    for (const scope of this.program.info.scopesAt(this.root, this.pc)) {
      for (const c of scope.children) {
        const name = this.named(c);
        if (c.tag !== DW_TAG.variable || !name || seen.has(name)) continue;
        seen.add(name);
        out.push(c);
      }
    }
    return out;
  }

  /** The globals and file statics of the function's compile unit. */
  globals(): Die[] {
    return this.fn && this.program ? this.program.info.globals(this.fn.unit) : [];
  }

  private named(d: Die): string | undefined {
    return this.program?.info.name(d);
  }

  /** The scopes of the frame, when its function has DWARF information. */
  scopes(): Array<{ name: CScopeName; nodes: () => StateNode[] }> {
    // NASM's DWARF has one unnamed subprogram per file: assembly gets no C scopes.
    if (!this.fn || !this.named(this.fn)) return [];
    const list = (dies: () => Die[]) => () => dies().map((d) => this.node(d));
    return [
      { name: 'Locals', nodes: list(() => this.locals()) },
      { name: 'Arguments', nodes: list(() => this.parameters()) },
      { name: 'Globals', nodes: list(() => this.globals()) },
    ];
  }

  private node(d: Die): StateNode {
    const name = this.named(d) ?? '?';
    return this.values.node(name, this.value(d), name);
  }

  /** A C variable visible from this frame by name: a local, a parameter, a global of the unit, then of any unit. */
  lookup(name: string): CValue | undefined {
    const here = [...this.locals(), ...this.parameters(), ...this.globals()].find((d) => this.named(d) === name);
    if (here) return this.value(here);
    const program = this.program;
    if (!program?.hasInfo) return undefined;
    for (const unit of program.info.units) {
      const g = program.info.globals(unit).find((d) => program.info.name(d) === name);
      if (g) return this.value(g);
    }
    return undefined;
  }
}
