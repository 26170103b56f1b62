// Call frame information (DWARF 5 specification, section 6.4; the .eh_frame
// format of the Linux Standard Base, which differs in its CIE id, its
// relative CIE pointers, its augmentation data and its encoded pointers).
// Parses the CIEs and FDEs of .debug_frame and .eh_frame, runs the CFA
// program of the FDE that covers an address to the row for that address (the
// CFA rule and each register's rule), and unwinds one frame: from the
// registers of a frame to those of its caller.
//
// Addresses are the ELF file's (DWARF addresses); the caller applies any
// load bias. Register numbers are the psABI's (./dwarfRegisters.ts).

import { evaluateValue, ExpressionUnavailable, type ExpressionContext } from './dwarfExpr';
import { Reader } from './dwarfReader';
import { registerSet } from './dwarfRegisters';

export type RegisterRule =
  | { kind: 'undefined' }
  | { kind: 'same' }
  /** Saved at CFA + offset. */
  | { kind: 'offset'; offset: number }
  /** The value is CFA + offset. */
  | { kind: 'valOffset'; offset: number }
  | { kind: 'register'; register: number }
  | { kind: 'expression'; expr: Uint8Array }
  | { kind: 'valExpression'; expr: Uint8Array };

export type CfaRule = { kind: 'register'; register: number; offset: number } | { kind: 'expression'; expr: Uint8Array };

export interface CfiRow {
  cfa: CfaRule;
  registers: Map<number, RegisterRule>;
  returnColumn: number;
}

interface Cie {
  codeAlign: number;
  dataAlign: number;
  returnColumn: number;
  initial: Uint8Array;
  /** .eh_frame: the encoding of the FDE's addresses (DW_EH_PE_*). */
  fdeEncoding: number;
  hasAugmentationData: boolean;
  addressSize: number;
}

interface Fde {
  start: number;
  end: number;
  cie: Cie;
  instructions: Uint8Array;
}

/** A CFI section: its bytes and the address it is loaded at (for .eh_frame's pc-relative pointers). */
export interface CfiSection {
  data: Uint8Array;
  address: number;
}

const DW_EH_PE_omit = 0xff;

/** Instructions one CFA program may run (a corrupt program cannot hang the adapter). */
const MAX_CFA_STEPS = 100_000;

/** Reads an .eh_frame encoded pointer (LSB 2.4, "DWARF Exception Header value format"). */
function encodedPointer(r: Reader, encoding: number, section: CfiSection, addressSize: number): number {
  if (encoding === DW_EH_PE_omit) return 0;
  const fieldAddress = section.address + r.pos;
  let v: number;
  switch (encoding & 0x0f) {
    case 0x00: v = r.sized(addressSize); break;
    case 0x01: v = r.uleb(); break;
    case 0x02: v = r.u16(); break;
    case 0x03: v = r.u32(); break;
    case 0x04: v = r.u64(); break;
    case 0x09: v = r.sleb(); break;
    case 0x0a: v = r.i16(); break;
    case 0x0b: v = r.i32(); break;
    case 0x0c: v = r.i64(); break;
    default: throw new Error(`unsupported pointer encoding 0x${encoding.toString(16)}`);
  }
  if ((encoding & 0x70) === 0x10) v += fieldAddress;
  const m = 2 ** (addressSize * 8);
  return addressSize >= 8 ? v : ((v % m) + m) % m;
}

export class CallFrameInfo {
  private readonly fdes: Fde[] = [];

  /** The FDEs of .debug_frame and .eh_frame (problems go to `warnings`; what parsed is kept). */
  constructor(sections: { debugFrame?: CfiSection; ehFrame?: CfiSection }, addressSize: number, warnings: string[]) {
    for (const [s, eh] of [[sections.debugFrame, false], [sections.ehFrame, true]] as const) {
      if (!s) continue;
      try {
        this.parse(s, eh, addressSize);
      } catch (e) {
        warnings.push(`${eh ? '.eh_frame' : '.debug_frame'}: ${(e as Error).message}`);
      }
    }
    this.fdes.sort((a, b) => a.start - b.start);
  }

  get size(): number {
    return this.fdes.length;
  }

  private parse(section: CfiSection, eh: boolean, defaultAddressSize: number): void {
    const cies = new Map<number, Cie>();
    const r = new Reader(section.data);
    const cieAt = (offset: number): Cie => {
      let cie = cies.get(offset);
      if (!cie) {
        cie = this.readCie(new Reader(section.data, offset), eh, defaultAddressSize);
        cies.set(offset, cie);
      }
      return cie;
    };
    while (!r.end) {
      const entry = r.pos;
      const { end, offsetSize } = r.unitLength();
      if (end === entry + 4 && eh) break; // a zero terminator
      const idAt = r.pos;
      const id = r.sized(offsetSize);
      const isCie = eh ? id === 0 : id === (offsetSize === 8 ? 2 ** 64 - 1 : 0xffffffff) || id === 2 ** 64;
      if (!isCie) {
        const cie = cieAt(eh ? idAt - id : id);
        const start = eh ? encodedPointer(r, cie.fdeEncoding, section, cie.addressSize) : r.sized(cie.addressSize);
        const length = eh ? encodedPointer(r, cie.fdeEncoding & 0x0f, section, cie.addressSize) : r.sized(cie.addressSize);
        if (cie.hasAugmentationData) r.skip(r.uleb());
        if (length > 0) this.fdes.push({ start, end: start + length, cie, instructions: section.data.subarray(r.pos, end) });
      }
      r.pos = end;
    }
  }

  private readCie(r: Reader, eh: boolean, defaultAddressSize: number): Cie {
    const { end, offsetSize } = r.unitLength();
    r.skip(offsetSize); // CIE id
    const version = r.u8();
    const augmentation = r.cstr();
    let addressSize = defaultAddressSize;
    if (!eh && version >= 4) {
      addressSize = r.u8();
      r.u8(); // segment selector size
    }
    const codeAlign = r.uleb();
    const dataAlign = r.sleb();
    const returnColumn = version === 1 ? r.u8() : r.uleb();
    let fdeEncoding = 0;
    const hasAugmentationData = augmentation.startsWith('z');
    if (hasAugmentationData) {
      const length = r.uleb();
      const dataEnd = r.pos + length;
      for (const c of augmentation.slice(1)) {
        if (c === 'R') fdeEncoding = r.u8();
        else if (c === 'L') r.u8();
        else if (c === 'P') {
          const enc = r.u8();
          encodedPointer(r, enc & 0x7f, { data: r.data, address: 0 }, addressSize);
        } else if (c !== 'S') break; // unknown: the data length lets us skip the rest
      }
      r.pos = dataEnd;
    } else if (augmentation !== '' && augmentation !== 'eh') throw new Error(`unknown CIE augmentation '${augmentation}'`);
    return { codeAlign, dataAlign, returnColumn, initial: r.data.subarray(r.pos, end), fdeEncoding, hasAugmentationData, addressSize };
  }

  /** The FDE covering an address, or undefined. */
  private fdeAt(address: number): Fde | undefined {
    let lo = 0;
    let hi = this.fdes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.fdes[mid].start <= address) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo - 1; i >= 0 && i >= lo - 4; i--) if (address < this.fdes[i].end) return this.fdes[i];
    return undefined;
  }

  /** Whether some FDE covers the address. */
  covers(address: number): boolean {
    return this.fdeAt(address) !== undefined;
  }

  /** The row of the CFA table for an address: how to find the CFA and the caller's registers there. */
  rowAt(address: number): CfiRow | undefined {
    const fde = this.fdeAt(address);
    if (!fde) return undefined;
    const { cie } = fde;
    const row: CfiRow = { cfa: { kind: 'register', register: registerSet(cie.addressSize).sp, offset: cie.addressSize }, registers: new Map(), returnColumn: cie.returnColumn };
    runCfa(cie.initial, cie, row, null, Infinity, 0);
    const initial: CfiRow = { cfa: row.cfa, registers: new Map(row.registers), returnColumn: row.returnColumn };
    runCfa(fde.instructions, cie, row, initial, address, fde.start);
    return row;
  }
}

/** Runs CFA instructions on `row` until the location passes `target`. */
function runCfa(program: Uint8Array, cie: Cie, row: CfiRow, initial: CfiRow | null, target: number, start: number): void {
  const r = new Reader(program);
  const stack: Array<{ cfa: CfaRule; registers: Map<number, RegisterRule> }> = [];
  let loc = start;
  const advance = (delta: number): boolean => {
    loc += delta * cie.codeAlign;
    return loc > target;
  };
  const restore = (reg: number): void => {
    const rule = initial?.registers.get(reg);
    if (rule) row.registers.set(reg, rule);
    else row.registers.delete(reg);
  };
  const setCfa = (register: number | undefined, offset: number | undefined): void => {
    const old = row.cfa.kind === 'register' ? row.cfa : { register: 0, offset: 0 };
    row.cfa = { kind: 'register', register: register ?? old.register, offset: offset ?? old.offset };
  };
  for (let steps = 0; !r.end; steps++) {
    if (steps > MAX_CFA_STEPS) throw new Error('CFA program runs too long');
    const op = r.u8();
    const high = op & 0xc0;
    const low = op & 0x3f;
    if (high === 0x40) {
      if (advance(low)) return;
      continue;
    }
    if (high === 0x80) {
      row.registers.set(low, { kind: 'offset', offset: r.uleb() * cie.dataAlign });
      continue;
    }
    if (high === 0xc0) {
      restore(low);
      continue;
    }
    switch (op) {
      case 0x00: break; // nop
      case 0x01: loc = r.sized(cie.addressSize); if (loc > target) return; break; // set_loc
      case 0x02: if (advance(r.u8())) return; break;
      case 0x03: if (advance(r.u16())) return; break;
      case 0x04: if (advance(r.u32())) return; break;
      case 0x05: { const reg = r.uleb(); row.registers.set(reg, { kind: 'offset', offset: r.uleb() * cie.dataAlign }); break; }
      case 0x06: restore(r.uleb()); break;
      case 0x07: row.registers.set(r.uleb(), { kind: 'undefined' }); break;
      case 0x08: row.registers.set(r.uleb(), { kind: 'same' }); break;
      case 0x09: { const reg = r.uleb(); row.registers.set(reg, { kind: 'register', register: r.uleb() }); break; }
      case 0x0a: stack.push({ cfa: row.cfa, registers: new Map(row.registers) }); break; // remember_state
      case 0x0b: { // restore_state (the CFA too, as GCC and LLVM expect)
        const s = stack.pop();
        if (s) {
          row.cfa = s.cfa;
          row.registers = s.registers;
        }
        break;
      }
      case 0x0c: { const reg = r.uleb(); setCfa(reg, r.uleb()); break; }
      case 0x0d: setCfa(r.uleb(), undefined); break;
      case 0x0e: setCfa(undefined, r.uleb()); break;
      case 0x0f: row.cfa = { kind: 'expression', expr: r.bytes(r.uleb()) }; break;
      case 0x10: { const reg = r.uleb(); row.registers.set(reg, { kind: 'expression', expr: r.bytes(r.uleb()) }); break; }
      case 0x11: { const reg = r.uleb(); row.registers.set(reg, { kind: 'offset', offset: r.sleb() * cie.dataAlign }); break; }
      case 0x12: { const reg = r.uleb(); setCfa(reg, r.sleb() * cie.dataAlign); break; }
      case 0x13: setCfa(undefined, r.sleb() * cie.dataAlign); break;
      case 0x14: { const reg = r.uleb(); row.registers.set(reg, { kind: 'valOffset', offset: r.uleb() * cie.dataAlign }); break; }
      case 0x15: { const reg = r.uleb(); row.registers.set(reg, { kind: 'valOffset', offset: r.sleb() * cie.dataAlign }); break; }
      case 0x16: { const reg = r.uleb(); row.registers.set(reg, { kind: 'valExpression', expr: r.bytes(r.uleb()) }); break; }
      case 0x2e: r.uleb(); break; // GNU_args_size
      case 0x2f: { const reg = r.uleb(); row.registers.set(reg, { kind: 'offset', offset: -r.uleb() * cie.dataAlign }); break; }
      default: throw new Error(`unsupported call frame instruction 0x${op.toString(16)}`);
    }
  }
}

/** One frame's registers (DWARF numbers); a missing entry is a register not known there. */
export type FrameRegisters = Map<number, number>;

/**
 * The registers of the caller of a frame, by the row for the frame's
 * address: its stack pointer is the CFA, its instruction pointer the return
 * address. Callee-saved registers without a rule keep their value;
 * caller-saved ones without a rule are not known in the caller. Undefined
 * when the CFA or the return address cannot be computed.
 */
export function unwindStep(
  row: CfiRow,
  regs: FrameRegisters,
  addressSize: number,
  readMemory: (address: number, size: number) => number | undefined,
): { cfa: number; caller: FrameRegisters } | undefined {
  const set = registerSet(addressSize);
  const ctx: ExpressionContext = { addressSize, register: (n) => regs.get(n), readMemory };
  let cfa: number;
  try {
    if (row.cfa.kind === 'register') {
      const base = regs.get(row.cfa.register);
      if (base === undefined) return undefined;
      cfa = base + row.cfa.offset;
    } else cfa = evaluateValue(row.cfa.expr, ctx);
  } catch (e) {
    if (e instanceof ExpressionUnavailable) return undefined;
    throw e;
  }
  const caller: FrameRegisters = new Map();
  for (const n of set.calleeSaved) {
    const v = regs.get(n);
    if (v !== undefined) caller.set(n, v);
  }
  for (const [n, rule] of row.registers) {
    let v: number | undefined;
    try {
      switch (rule.kind) {
        case 'undefined': v = undefined; break;
        case 'same': v = regs.get(n); break;
        case 'offset': v = readMemory(cfa + rule.offset, addressSize); break;
        case 'valOffset': v = cfa + rule.offset; break;
        case 'register': v = regs.get(rule.register); break;
        case 'expression': v = readMemory(evaluateValue(rule.expr, ctx, [cfa]), addressSize); break;
        case 'valExpression': v = evaluateValue(rule.expr, ctx, [cfa]); break;
      }
    } catch (e) {
      if (!(e instanceof ExpressionUnavailable)) throw e;
      v = undefined;
    }
    if (v === undefined) caller.delete(n);
    else caller.set(n, v);
  }
  const ret = caller.get(row.returnColumn);
  if (ret === undefined || !row.registers.has(row.returnColumn)) return undefined;
  caller.set(set.pc, ret);
  caller.set(set.sp, cfa);
  return { cfa, caller };
}
