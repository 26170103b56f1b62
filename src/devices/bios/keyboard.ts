// The keyboard: INT 09h turns set 1 scan codes (the 8042 translates the
// keyboard's set 2) into scan code/ASCII words for a US layout, keeps the
// shift and lock state at 0040:0017-0018 and 0040:0096, and queues the words
// in the BDA ring buffer (0040:001A head, 0040:001C tail, slots from 0040:001E
// to 0040:003D); INT 16h reads them.
//
// Not done: keyboard LEDs, Alt+keypad character entry, Pause, Ctrl+Break
// (INT 1Bh), SysReq. Ctrl+Alt+Del sets the warm-boot flag and resets the
// machine through the 8042, as AT BIOSes do.

import { Bda, Call } from './call';
import type { BiosEnv } from './env';

/** 0040:0017 bits. */
const F1_RSHIFT = 0x01, F1_LSHIFT = 0x02, F1_CTRL = 0x04, F1_ALT = 0x08;
const F1_SCROLL = 0x10, F1_NUM = 0x20, F1_CAPS = 0x40, F1_INSERT = 0x80;
/** 0040:0018 bits (keys held). */
const F2_LCTRL = 0x01, F2_LALT = 0x02, F2_SYSREQ = 0x04;
const F2_SCROLL = 0x10, F2_NUM = 0x20, F2_CAPS = 0x40, F2_INSERT = 0x80;
/** 0040:0096 bits. */
const F3_E1 = 0x01, F3_E0 = 0x02, F3_RCTRL = 0x04, F3_RALT = 0x08, F3_101KEYS = 0x10;

export const KBD_FLAGS3_POWER_ON = F3_101KEYS;

/** [normal, shift, ctrl, alt] words for one key (0: the combination gives nothing). */
type KeyRow = readonly [number, number, number, number];

const TABLE = new Map<number, KeyRow>();

function letterRow(scan: number, lower: string): KeyRow {
  const c = lower.charCodeAt(0);
  return [(scan << 8) | c, (scan << 8) | (c - 0x20), (scan << 8) | (c - 0x60), scan << 8];
}

(() => {
  const rows: [number, string][] = [[0x10, 'qwertyuiop'], [0x1e, 'asdfghjkl'], [0x2c, 'zxcvbnm']];
  for (const [first, letters] of rows) {
    for (let i = 0; i < letters.length; i++) TABLE.set(first + i, letterRow(first + i, letters[i]));
  }
  const digits = '1234567890-=';
  const shifted = '!@#$%^&*()_+';
  for (let i = 0; i < digits.length; i++) {
    const scan = 0x02 + i;
    const ctrl = scan === 0x03 ? 0x0300 : scan === 0x07 ? 0x071e : scan === 0x0c ? 0x0c1f : 0;
    TABLE.set(scan, [(scan << 8) | digits.charCodeAt(i), (scan << 8) | shifted.charCodeAt(i), ctrl, (0x78 + i) << 8]);
  }
  const punct: [number, string, string, number][] = [
    [0x1a, '[', '{', 0x1a1b], [0x1b, ']', '}', 0x1b1d], [0x27, ';', ':', 0], [0x28, "'", '"', 0],
    [0x29, '`', '~', 0], [0x2b, '\\', '|', 0x2b1c], [0x33, ',', '<', 0], [0x34, '.', '>', 0], [0x35, '/', '?', 0],
  ];
  for (const [scan, n, s, c] of punct) {
    TABLE.set(scan, [(scan << 8) | n.charCodeAt(0), (scan << 8) | s.charCodeAt(0), c, scan << 8]);
  }
  TABLE.set(0x01, [0x011b, 0x011b, 0x011b, 0x0100]);
  TABLE.set(0x0e, [0x0e08, 0x0e08, 0x0e7f, 0x0e00]);
  TABLE.set(0x0f, [0x0f09, 0x0f00, 0x9400, 0xa500]);
  TABLE.set(0x1c, [0x1c0d, 0x1c0d, 0x1c0a, 0xa600]);
  TABLE.set(0x39, [0x3920, 0x3920, 0x3920, 0x3920]);
  TABLE.set(0x37, [0x372a, 0x372a, 0x9600, 0x3700]);
  for (let i = 0; i < 10; i++) TABLE.set(0x3b + i, [(0x3b + i) << 8, (0x54 + i) << 8, (0x5e + i) << 8, (0x68 + i) << 8]);
  TABLE.set(0x57, [0x8500, 0x8700, 0x8900, 0x8b00]);
  TABLE.set(0x58, [0x8600, 0x8800, 0x8a00, 0x8c00]);
})();

/** The keypad, 47h-53h: without Num Lock, with it (digits), with Ctrl. */
const KEYPAD_DIGITS = '789-456+1230.';
const KEYPAD_CTRL = [0x77, 0x8d, 0x84, 0x8e, 0x73, 0x8f, 0x74, 0x90, 0x75, 0x91, 0x76, 0x92, 0x93];

export class KeyboardService {
  constructor(private readonly env: BiosEnv) {}

  // ---- The ring buffer. ----

  private get start(): number { return this.env.bda16(Bda.KbdBufferStart) || Bda.KbdBuffer; }
  private get end(): number { return this.env.bda16(Bda.KbdBufferEnd) || Bda.KbdBuffer + 32; }

  private next(p: number): number {
    p += 2;
    return p >= this.end ? this.start : p;
  }

  /** Queue a keystroke word; false when the buffer is full. */
  enqueue(word: number): boolean {
    const env = this.env;
    const tail = env.bda16(Bda.KbdTail);
    const next = this.next(tail);
    if (next === env.bda16(Bda.KbdHead)) return false;
    env.setBda16(tail, word);
    env.setBda16(Bda.KbdTail, next);
    return true;
  }

  private peekWord(): number | null {
    const env = this.env;
    const head = env.bda16(Bda.KbdHead);
    if (head === env.bda16(Bda.KbdTail)) return null;
    return env.bda16(head);
  }

  private dropWord(): void {
    this.env.setBda16(Bda.KbdHead, this.next(this.env.bda16(Bda.KbdHead)));
  }

  /**
   * A keystroke as the non-extended calls (AH=00h/01h) return it: gray keys
   * look like their keypad twins; keys only a 101-key keyboard has are
   * dropped (null).
   */
  private static legacy(word: number): number | null {
    const ah = word >> 8;
    const al = word & 0xff;
    if (ah === 0xe0) return al === 0x2f ? 0x352f : (0x1c00 | al);
    if (al === 0xe0 && ah !== 0) return word & 0xff00;
    if (al === 0 && ah > 0x84) return null;
    return word;
  }

  /** Next keystroke for INT 16h: `extended` for AH=10h/11h. Removes dropped ones. */
  private front(extended: boolean): number | null {
    for (;;) {
      const w = this.peekWord();
      if (w === null) return null;
      if (extended) return w;
      const l = KeyboardService.legacy(w);
      if (l !== null) return l;
      this.dropWord();
    }
  }

  // ---- INT 09h: one scan code byte. ----

  scanCode(code: number): void {
    const env = this.env;
    let f1 = env.bda8(Bda.KbdFlags1);
    let f2 = env.bda8(Bda.KbdFlags2);
    let f3 = env.bda8(Bda.KbdFlags3);
    const save = (): void => {
      env.setBda8(Bda.KbdFlags1, f1);
      env.setBda8(Bda.KbdFlags2, f2);
      env.setBda8(Bda.KbdFlags3, f3);
    };
    if (code === 0xfa || code === 0xfe || code === 0x00 || code === 0xff) return; // ACK, RESEND, overrun
    if (code === 0xe0) {
      f3 |= F3_E0;
      return save();
    }
    if (code === 0xe1) {
      f3 |= F3_E1;
      return save();
    }
    if (f3 & F3_E1) {
      // Pause: E1 1D 45 E1 9D C5. Ignored; the sequence ends with C5.
      if (code === 0xc5) f3 &= ~F3_E1;
      return save();
    }
    const extended = (f3 & F3_E0) !== 0;
    f3 &= ~F3_E0;
    const make = (code & 0x80) === 0;
    const scan = code & 0x7f;

    switch (scan) {
      case 0x2a:
      case 0x36: {
        if (extended) return save(); // the "fake shifts" around gray keys
        const bit = scan === 0x2a ? F1_LSHIFT : F1_RSHIFT;
        f1 = make ? f1 | bit : f1 & ~bit;
        return save();
      }
      case 0x1d:
        if (extended) f3 = make ? f3 | F3_RCTRL : f3 & ~F3_RCTRL;
        else f2 = make ? f2 | F2_LCTRL : f2 & ~F2_LCTRL;
        f1 = (f2 & F2_LCTRL) || (f3 & F3_RCTRL) ? f1 | F1_CTRL : f1 & ~F1_CTRL;
        return save();
      case 0x38:
        if (extended) f3 = make ? f3 | F3_RALT : f3 & ~F3_RALT;
        else f2 = make ? f2 | F2_LALT : f2 & ~F2_LALT;
        f1 = (f2 & F2_LALT) || (f3 & F3_RALT) ? f1 | F1_ALT : f1 & ~F1_ALT;
        return save();
      case 0x3a:
      case 0x45:
      case 0x46: {
        const [toggle, held] =
          scan === 0x3a ? [F1_CAPS, F2_CAPS] : scan === 0x45 ? [F1_NUM, F2_NUM] : [F1_SCROLL, F2_SCROLL];
        if (make) {
          if (!(f2 & held)) f1 ^= toggle;
          f2 |= held;
        } else f2 &= ~held;
        return save();
      }
      case 0x54: // SysReq (Alt+PrintScreen)
        f2 = make ? f2 | F2_SYSREQ : f2 & ~F2_SYSREQ;
        return save();
    }
    if (scan === 0x52) {
      if (make && !(f2 & F2_INSERT)) f1 ^= F1_INSERT;
      f2 = make ? f2 | F2_INSERT : f2 & ~F2_INSERT;
    }
    save();
    if (!make) return;
    if (scan === 0x53 && (f1 & F1_CTRL) !== 0 && (f1 & F1_ALT) !== 0) {
      env.setBda16(Bda.ResetFlag, 0x1234); // "warm boot": POST may skip the memory test
      env.outb(0x64, 0xfe); // pulse the CPU's reset line
      return;
    }
    const word = this.translate(scan, extended, f1);
    if (word !== 0) this.enqueue(word);
  }

  private translate(scan: number, extended: boolean, f1: number): number {
    const shift = (f1 & (F1_LSHIFT | F1_RSHIFT)) !== 0;
    const ctrl = (f1 & F1_CTRL) !== 0;
    const alt = (f1 & F1_ALT) !== 0;
    if (scan >= 0x47 && scan <= 0x53 && scan !== 0x4a && scan !== 0x4e) {
      const i = scan - 0x47;
      if (extended) {
        // Gray cursor keys: AL = E0h so programs can tell them from the keypad.
        if (alt) return (scan + 0x50) << 8;
        if (ctrl) return (KEYPAD_CTRL[i] << 8) | 0xe0;
        return (scan << 8) | 0xe0;
      }
      if (alt) return 0;
      if (ctrl) return KEYPAD_CTRL[i] << 8;
      if (((f1 & F1_NUM) !== 0) !== shift) return (scan << 8) | KEYPAD_DIGITS.charCodeAt(i);
      return scan << 8;
    }
    if (scan === 0x4a || scan === 0x4e) {
      const ch = scan === 0x4a ? 0x2d : 0x2b;
      if (alt) return scan === 0x4a ? 0x4a00 : 0x4e00;
      if (ctrl) return scan === 0x4a ? 0x8e00 : 0x9000;
      return (scan << 8) | ch;
    }
    if (extended && scan === 0x1c) return alt ? 0xa600 : ctrl ? 0xe00a : 0xe00d;
    if (extended && scan === 0x35) return alt ? 0xa400 : ctrl ? 0x9500 : 0xe02f;
    if (extended && scan === 0x37) return 0; // Print Screen
    const row = TABLE.get(scan);
    if (!row) return 0;
    if (alt) return row[3];
    if (ctrl) return row[2];
    const isLetter = (row[0] & 0xff) >= 0x61 && (row[0] & 0xff) <= 0x7a;
    const upper = isLetter && (f1 & F1_CAPS) !== 0 ? !shift : shift;
    return upper ? row[1] : row[0];
  }

  // ---- INT 16h. ----

  /** Returns true when the caller must wait for a key (the stub halts and retries). */
  service(call: Call): boolean {
    const env = this.env;
    switch (call.ah) {
      case 0x00:
      case 0x10: {
        const w = this.front(call.ah === 0x10);
        if (w === null) return true;
        this.dropWord();
        call.ax = w;
        return false;
      }
      case 0x01:
      case 0x11: {
        const w = this.front(call.ah === 0x11);
        if (w === null) call.zero = true;
        else {
          call.zero = false;
          call.ax = w;
        }
        return false;
      }
      case 0x02:
        call.al = env.bda8(Bda.KbdFlags1);
        return false;
      case 0x12: {
        const f2 = env.bda8(Bda.KbdFlags2);
        const f3 = env.bda8(Bda.KbdFlags3);
        call.al = env.bda8(Bda.KbdFlags1);
        call.ah =
          (f2 & F2_LCTRL ? 0x01 : 0) | (f2 & F2_LALT ? 0x02 : 0) | (f3 & F3_RCTRL ? 0x04 : 0) |
          (f3 & F3_RALT ? 0x08 : 0) | (f2 & F2_SCROLL ? 0x10 : 0) | (f2 & F2_NUM ? 0x20 : 0) |
          (f2 & F2_CAPS ? 0x40 : 0) | (f2 & F2_SYSREQ ? 0x80 : 0);
        return false;
      }
      case 0x03: // typematic rate: keys arrive as typed, nothing to set
        return false;
      case 0x05:
        call.al = this.enqueue(call.cx) ? 0 : 1;
        return false;
      case 0x0a: // keyboard ID: MF2 keyboard, translated
        call.bx = 0x41ab;
        return false;
      default:
        return false;
    }
  }
}
