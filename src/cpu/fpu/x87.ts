// The x87 FPU's architectural state (SDM vol. 1 §8.1): eight 80-bit data
// registers addressed as a stack from TOP, the control, status and tag words,
// and the last instruction and data pointers with the last opcode. Registers
// are kept by physical number; ST(i) is physical (TOP + i) mod 8. Like later
// processors, the unit keeps only an empty/full bit per register and
// computes the full tag word (valid, zero, special, empty) from the contents
// when it is stored (FSTENV/FSAVE, the VMM view); ES and B in the status
// word follow from the exception flags and their masks (FLDCW that unmasks a
// raised flag makes the exception pending).

import { FpuState } from '../state';
import { K_NORMAL, K_ZERO, classify } from './float80';

/** FNINIT's control word: all exceptions masked, 64-bit precision, round to nearest. */
export const CW_INIT = 0x037f;
/** Status-word bits kept as they are (exception flags, SF, C0-C3); TOP, ES and B are derived. */
const SW_KEPT = 0x477f;
export const SW_C0 = 0x100, SW_C1 = 0x200, SW_C2 = 0x400, SW_C3 = 0x4000;
const SW_ES_B = 0x8080;

export class X87 {
  /** Physical registers: sign and exponent, significand high and low words. */
  readonly se = new Uint16Array(8);
  readonly hi = new Uint32Array(8);
  readonly lo = new Uint32Array(8);
  /** Bit i set: physical register i is empty. */
  empty = 0xff;
  cw = 0x0040;
  /** The status word's kept bits (SW_KEPT). */
  sw = 0;
  top = 0;
  fip = 0;
  fcs = 0;
  fdp = 0;
  fds = 0;
  fop = 0;

  /** Power-on and RESET state (SDM vol. 3 §9.1.1, table 9-1): FCW 0040h, FTW all empty, registers +0. */
  reset(): void {
    this.se.fill(0);
    this.hi.fill(0);
    this.lo.fill(0);
    this.cw = 0x0040;
    this.sw = 0;
    this.top = 0;
    this.empty = 0xff;
    this.fip = this.fcs = this.fdp = this.fds = this.fop = 0;
  }

  /** FNINIT (vol. 2 FINIT): control 037Fh, status 0, all empty, pointers 0; registers keep their contents. */
  init(): void {
    this.cw = CW_INIT;
    this.sw = 0;
    this.top = 0;
    this.empty = 0xff;
    this.fip = this.fcs = this.fdp = this.fds = this.fop = 0;
  }

  /** An unmasked exception flag is set: the next waiting instruction reports it. */
  get pending(): boolean {
    return (this.sw & ~this.cw & 0x3f) !== 0;
  }

  statusWord(): number {
    return (this.sw & SW_KEPT) | (this.top << 11) | (this.pending ? SW_ES_B : 0);
  }

  setStatusWord(v: number): void {
    this.sw = v & SW_KEPT;
    this.top = (v >> 11) & 7;
  }

  setControlWord(v: number): void {
    // Bits 6, 7 and 13-15 are reserved; bit 6 reads as 1 (SDM vol. 1 §8.1.5).
    this.cw = (v & 0x1f3f) | 0x40;
  }

  /** The two-bit tag of physical register i from its contents (vol. 1 §8.1.7). */
  tagOf(i: number): number {
    if ((this.empty >> i) & 1) return 3;
    const k = classify(this.se[i], this.hi[i], this.lo[i]);
    return k === K_ZERO ? 1 : k === K_NORMAL ? 0 : 2;
  }

  tagWord(): number {
    let t = 0;
    for (let i = 0; i < 8; i++) t |= this.tagOf(i) << (2 * i);
    return t;
  }

  /** Load a tag word: only "empty" (11b) matters; the other tags are computed from the contents. */
  setTagWord(t: number): void {
    let e = 0;
    for (let i = 0; i < 8; i++) if (((t >> (2 * i)) & 3) === 3) e |= 1 << i;
    this.empty = e;
  }

  /** Physical register of ST(i). */
  phys(i: number): number {
    return (this.top + i) & 7;
  }

  isEmpty(i: number): boolean {
    return ((this.empty >> ((this.top + i) & 7)) & 1) !== 0;
  }

  /** Write physical register p (marking it full). */
  setPhys(p: number, se: number, hi: number, lo: number): void {
    this.se[p] = se;
    this.hi[p] = hi;
    this.lo[p] = lo;
    this.empty &= ~(1 << p);
  }

  /** Mark ST(0) empty and increment TOP. */
  pop(): void {
    this.empty |= 1 << this.top;
    this.top = (this.top + 1) & 7;
  }

  /** Decrement TOP and write the new ST(0). */
  push(se: number, hi: number, lo: number): void {
    this.top = (this.top - 1) & 7;
    this.setPhys(this.top, se, hi, lo);
  }

  /** ST(i) as 10 little-endian bytes. */
  registerBytes(i: number): number[] {
    const p = this.phys(i);
    const b: number[] = [];
    for (let k = 0; k < 4; k++) b.push((this.lo[p] >>> (8 * k)) & 0xff);
    for (let k = 0; k < 4; k++) b.push((this.hi[p] >>> (8 * k)) & 0xff);
    b.push(this.se[p] & 0xff, this.se[p] >>> 8);
    return b;
  }

  setRegisterBytes(i: number, b: ArrayLike<number>): void {
    const p = this.phys(i);
    this.lo[p] = (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
    this.hi[p] = (b[4] | (b[5] << 8) | (b[6] << 16) | (b[7] << 24)) >>> 0;
    this.se[p] = b[8] | (b[9] << 8);
  }

  getState(): FpuState {
    const st: number[][] = [];
    for (let i = 0; i < 8; i++) st.push(this.registerBytes(i));
    return {
      st, fcw: this.cw, fsw: this.statusWord(), ftw: this.tagWord(), lastOpcode: this.fop,
      lastIp: this.fip, lastCs: this.fcs, lastDp: this.fdp, lastDs: this.fds,
    };
  }

  setState(s: FpuState): void {
    this.setControlWord(s.fcw);
    this.setStatusWord(s.fsw);
    for (let i = 0; i < 8; i++) this.setRegisterBytes(i, s.st[i]);
    this.setTagWord(s.ftw);
    this.fop = s.lastOpcode & 0x7ff;
    this.fip = s.lastIp >>> 0;
    this.fcs = s.lastCs & 0xffff;
    this.fdp = s.lastDp >>> 0;
    this.fds = s.lastDs & 0xffff;
  }
}
