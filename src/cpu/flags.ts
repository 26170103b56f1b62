// Lazy flags (SDM vol. 1 §3.4.3.1): the six status flags are not computed by
// each instruction but derived on demand from the last flag-setting
// operation (its kind, operands, result and size). `LazyFlags` holds that
// record and EFLAGS; the Cpu extends it, so the accessors are plain methods
// of the CPU object (inlined by V8 into the handlers).

import { AF, CF, FIXED1, OF, PF, SF, STATUS_FLAGS, ZF } from './state';

/** Parity flag of a byte: PF set when the number of 1 bits is even. */
export const PARITY = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  let bits = 0;
  for (let b = i; b !== 0; b >>= 1) bits += b & 1;
  PARITY[i] = (bits & 1) === 0 ? PF : 0;
}

/** Kinds of the last flag-setting operation, for lazy flags. */
export const LAZY_ADD = 0, LAZY_SUB = 1, LAZY_LOGIC = 2;

export class LazyFlags {
  /** Every EFLAGS bit except those in `lazy`, which are derived from the last operation. */
  flags = FIXED1;
  lazy = 0;
  lazyOp = LAZY_LOGIC;
  lazyA = 0;
  lazyB = 0;
  lazyResult = 0;
  lazySize = 16;

  /** Record an arithmetic result for lazy flags: all six status flags follow from it. */
  setLazy(op: number, a: number, b: number, result: number, size: number): void {
    this.lazyOp = op;
    this.lazyA = a;
    this.lazyB = b;
    this.lazyResult = result;
    this.lazySize = size;
    this.lazy = STATUS_FLAGS;
  }

  /** Like setLazy but keeps CF as it is (INC, DEC). */
  setLazyKeepCf(op: number, a: number, b: number, result: number, size: number): void {
    const cf = this.getCF();
    this.flags = (this.flags & ~CF) | cf;
    this.lazyOp = op;
    this.lazyA = a;
    this.lazyB = b;
    this.lazyResult = result;
    this.lazySize = size;
    this.lazy = STATUS_FLAGS & ~CF;
  }

  /**
   * Set ZF/SF/PF from a result lazily and CF/OF/AF explicitly (shifts, rotates,
   * multiplies and others whose carry is not an add or subtract).
   */
  setResultFlags(result: number, size: number, explicit: number): void {
    this.lazyOp = LAZY_LOGIC;
    this.lazyResult = result;
    this.lazySize = size;
    this.lazy = ZF | SF | PF;
    this.flags = (this.flags & ~(CF | OF | AF)) | explicit;
  }

  private lazyMsbShift(): number {
    return this.lazySize - 1;
  }

  getCF(): number {
    if ((this.lazy & CF) === 0) return this.flags & CF;
    const a = this.lazyA, b = this.lazyB, r = this.lazyResult;
    switch (this.lazyOp) {
      case LAZY_ADD: return (((a & b) | ((a | b) & ~r)) >>> this.lazyMsbShift()) & 1;
      case LAZY_SUB: return (((~a & b) | ((~a | b) & r)) >>> this.lazyMsbShift()) & 1;
      default: return 0;
    }
  }

  getOF(): number {
    if ((this.lazy & OF) === 0) return this.flags & OF;
    const a = this.lazyA, b = this.lazyB, r = this.lazyResult;
    switch (this.lazyOp) {
      case LAZY_ADD: return ((((a ^ r) & (b ^ r)) >>> this.lazyMsbShift()) & 1) << 11;
      case LAZY_SUB: return ((((a ^ b) & (a ^ r)) >>> this.lazyMsbShift()) & 1) << 11;
      default: return 0;
    }
  }

  getAF(): number {
    if ((this.lazy & AF) === 0) return this.flags & AF;
    if (this.lazyOp === LAZY_LOGIC) return 0;
    return (this.lazyA ^ this.lazyB ^ this.lazyResult) & AF;
  }

  getZF(): number {
    if ((this.lazy & ZF) === 0) return this.flags & ZF;
    const r = this.lazyResult;
    const zero = this.lazySize === 32 ? (r | 0) === 0 : (r & ((1 << this.lazySize) - 1)) === 0;
    return zero ? ZF : 0;
  }

  getSF(): number {
    if ((this.lazy & SF) === 0) return this.flags & SF;
    return ((this.lazyResult >>> this.lazyMsbShift()) & 1) << 7;
  }

  getPF(): number {
    if ((this.lazy & PF) === 0) return this.flags & PF;
    return PARITY[this.lazyResult & 0xff];
  }

  /** The full EFLAGS value. */
  getFlags(): number {
    if (this.lazy === 0) return this.flags;
    return (this.flags & ~STATUS_FLAGS) | this.getCF() | this.getPF() | this.getAF() | this.getZF() | this.getSF() | this.getOF();
  }

  /** Set or clear the given flag bits (CLC, STD, ...). */
  setFlagBits(mask: number, on: boolean): void {
    this.flags = (this.getFlags() & ~mask) | (on ? mask : 0);
    this.lazy = 0;
  }

  /** Jcc/SETcc/CMOVcc conditions, indexed by the low nibble of the opcode. */
  testCondition(cc: number): boolean {
    let t: boolean;
    switch (cc >> 1) {
      case 0: t = this.getOF() !== 0; break;
      case 1: t = this.getCF() !== 0; break;
      case 2: t = this.getZF() !== 0; break;
      case 3: t = this.getCF() !== 0 || this.getZF() !== 0; break;
      case 4: t = this.getSF() !== 0; break;
      case 5: t = this.getPF() !== 0; break;
      case 6: t = (this.getSF() !== 0) !== (this.getOF() !== 0); break;
      default: t = this.getZF() !== 0 || (this.getSF() !== 0) !== (this.getOF() !== 0); break;
    }
    return (cc & 1) !== 0 ? !t : t;
  }
}
