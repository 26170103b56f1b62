// A tiny x86 byte emitter for the BIOS ROM: raw bytes, a few 16-bit
// instructions with named operands, labels, and fixups for short and near
// jumps and calls. Each byte of the image may be written once, so code placed
// at fixed addresses (the IBM-compatible entry points) cannot silently
// overlap other code or tables.

/** Condition codes of Jcc (the low nibble of 70h-7Fh). */
export const enum Cond {
  O = 0x0, NO = 0x1, B = 0x2, AE = 0x3, E = 0x4, NE = 0x5, BE = 0x6, A = 0x7,
  S = 0x8, NS = 0x9, P = 0xa, NP = 0xb, L = 0xc, GE = 0xd, LE = 0xe, G = 0xf,
}

interface Fixup {
  /** Offset of the displacement field. */
  at: number;
  /** 1 (rel8) or 2 (rel16). */
  size: 1 | 2;
  /** Offset the displacement is relative to (the end of the instruction). */
  from: number;
  label: string;
}

export class Asm {
  readonly image: Uint8Array;
  private readonly used: Uint8Array;
  private readonly labels = new Map<string, number>();
  private readonly fixups: Fixup[] = [];
  /** Current offset in the image. */
  pc = 0;

  constructor(
    readonly size: number,
    /** Value of unwritten bytes. */
    fill = 0,
  ) {
    this.image = new Uint8Array(size).fill(fill);
    this.used = new Uint8Array(size);
  }

  /** Continue at `offset`. */
  org(offset: number): this {
    if (offset < 0 || offset > this.size) throw new Error(`BIOS ROM: org ${offset.toString(16)}h outside the image`);
    this.pc = offset;
    return this;
  }

  label(name: string): this {
    if (this.labels.has(name)) throw new Error(`BIOS ROM: label '${name}' defined twice`);
    this.labels.set(name, this.pc);
    return this;
  }

  /** The offset of a label (after `finish`, or for labels defined already). */
  addr(name: string): number {
    const a = this.labels.get(name);
    if (a === undefined) throw new Error(`BIOS ROM: undefined label '${name}'`);
    return a;
  }

  has(name: string): boolean {
    return this.labels.has(name);
  }

  db(...bytes: number[]): this {
    for (const b of bytes) {
      if (this.pc >= this.size) throw new Error('BIOS ROM: code runs past the end of the image');
      if (this.used[this.pc]) throw new Error(`BIOS ROM: byte ${this.pc.toString(16)}h written twice (overlapping code)`);
      this.used[this.pc] = 1;
      this.image[this.pc++] = b & 0xff;
    }
    return this;
  }

  dw(...words: number[]): this {
    for (const w of words) this.db(w, w >> 8);
    return this;
  }

  dd(...dwords: number[]): this {
    for (const d of dwords) this.dw(d & 0xffff, d >>> 16);
    return this;
  }

  /** Bytes of an ASCII string. */
  ascii(text: string): this {
    for (let i = 0; i < text.length; i++) this.db(text.charCodeAt(i));
    return this;
  }

  /** Reserve `n` bytes (they keep the fill value, but count as used). */
  space(n: number, value = 0): this {
    for (let i = 0; i < n; i++) this.db(value);
    return this;
  }

  // ---- Control transfer with label fixups. ----

  private rel(label: string, size: 1 | 2): void {
    const at = this.pc;
    this.fixups.push({ at, size, from: at + size, label });
    if (size === 1) this.db(0);
    else this.dw(0);
  }

  jmpShort(label: string): this {
    this.db(0xeb);
    this.rel(label, 1);
    return this;
  }

  jmpNear(label: string): this {
    this.db(0xe9);
    this.rel(label, 2);
    return this;
  }

  jcc(cond: Cond, label: string): this {
    this.db(0x70 | cond);
    this.rel(label, 1);
    return this;
  }

  callNear(label: string): this {
    this.db(0xe8);
    this.rel(label, 2);
    return this;
  }

  /** JMP FAR seg:off (EA). */
  jmpFar(segment: number, offset: number): this {
    return this.db(0xea).dw(offset, segment);
  }

  // ---- A few instructions used by the stubs. ----

  outImm(port: number): this {
    return this.db(0xe6, port); // OUT imm8, AL
  }

  inImm(port: number): this {
    return this.db(0xe4, port); // IN AL, imm8
  }

  movAlImm(v: number): this {
    return this.db(0xb0, v);
  }

  movAhImm(v: number): this {
    return this.db(0xb4, v);
  }

  int(vector: number): this {
    return this.db(0xcd, vector);
  }

  iret(): this {
    return this.db(0xcf);
  }

  retf(pop = 0): this {
    return pop ? this.db(0xca).dw(pop) : this.db(0xcb);
  }

  pushAx(): this {
    return this.db(0x50);
  }

  popAx(): this {
    return this.db(0x58);
  }

  pushDs(): this {
    return this.db(0x1e);
  }

  popDs(): this {
    return this.db(0x1f);
  }

  cli(): this {
    return this.db(0xfa);
  }

  sti(): this {
    return this.db(0xfb);
  }

  hlt(): this {
    return this.db(0xf4);
  }

  stc(): this {
    return this.db(0xf9);
  }

  nop(): this {
    return this.db(0x90);
  }

  /** Resolve every fixup; throws on an undefined label or a short jump out of range. */
  finish(): Uint8Array {
    for (const f of this.fixups) {
      const target = this.addr(f.label);
      const d = target - f.from;
      if (f.size === 1) {
        if (d < -128 || d > 127) throw new Error(`BIOS ROM: short jump to '${f.label}' out of range (${d})`);
        this.image[f.at] = d & 0xff;
      } else {
        const w = d & 0xffff;
        this.image[f.at] = w & 0xff;
        this.image[f.at + 1] = w >> 8;
      }
    }
    return this.image;
  }
}
