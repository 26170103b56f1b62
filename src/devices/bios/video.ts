// INT 10h, video: text mode 03h (80x25, eight pages at B8000h) and mode 13h
// (320x200, 256 colours at A0000h). The frame buffers are guest RAM; the
// cursor, the display start and the mode's registers go through the VGA's
// ports (CRTC at 3D4h/3D5h, sequencer, graphics and attribute controllers,
// DAC) as on real hardware. Mode 13h draws characters from the ROM's 8x8
// font (blank glyphs, see rom.ts), so text written there shows as blocks of
// the background colour.

import { Bda, Call } from './call';
import { ES } from '../../cpu/state';
import type { BiosEnv } from './env';
import { ROM_BASE } from './rom';
import { defaultVgaPalette } from '../vgaText';

const TEXT_BASE = 0xb8000;
const GRAPHICS_BASE = 0xa0000;
const CRTC = 0x3d4;

/** Register sets of the two modes, from the IBM VGA technical reference. */
interface ModeRegisters {
  misc: number;
  sequencer: number[];
  crtc: number[];
  graphics: number[];
  attribute: number[];
}

const MODE_03H: ModeRegisters = {
  misc: 0x67,
  sequencer: [0x03, 0x00, 0x03, 0x00, 0x02],
  crtc: [
    0x5f, 0x4f, 0x50, 0x82, 0x55, 0x81, 0xbf, 0x1f, 0x00, 0x4f, 0x0d, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x9c, 0x8e, 0x8f,
    0x28, 0x1f, 0x96, 0xb9, 0xa3, 0xff,
  ],
  graphics: [0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0e, 0x00, 0xff],
  attribute: [
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x0c, 0x00, 0x0f,
    0x08, 0x00,
  ],
};

const MODE_13H: ModeRegisters = {
  misc: 0x63,
  sequencer: [0x03, 0x01, 0x0f, 0x00, 0x0e],
  crtc: [
    0x5f, 0x4f, 0x50, 0x82, 0x54, 0x80, 0xbf, 0x1f, 0x00, 0x41, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x9c, 0x0e, 0x8f,
    0x28, 0x40, 0x96, 0xb9, 0xa3, 0xff,
  ],
  graphics: [0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x05, 0x0f, 0xff],
  attribute: [
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x41, 0x00, 0x0f,
    0x00, 0x00,
  ],
};

export class Video {
  constructor(private readonly env: BiosEnv) {}

  // ---- BDA state. ----
  private get mode(): number { return this.env.bda8(Bda.VideoMode); }
  private get graphics(): boolean { return this.mode === 0x13; }
  private get columns(): number { return this.env.bda16(Bda.VideoColumns) || 80; }
  private get rows(): number { return this.env.bda8(Bda.VideoRows) + 1; }
  private get activePage(): number { return this.env.bda8(Bda.VideoPage) & 7; }

  private cursor(page: number): { row: number; col: number } {
    const v = this.env.bda16(Bda.CursorPos + 2 * (page & 7));
    return { row: v >> 8, col: v & 0xff };
  }

  private crtcWrite(index: number, value: number): void {
    this.env.outb(CRTC, index);
    this.env.outb(CRTC + 1, value);
  }

  setCursor(page: number, row: number, col: number): void {
    page &= 7;
    this.env.setBda16(Bda.CursorPos + 2 * page, ((row & 0xff) << 8) | (col & 0xff));
    if (page === this.activePage && !this.graphics) {
      const location = (this.env.bda16(Bda.VideoPageOffset) >> 1) + row * this.columns + col;
      this.crtcWrite(0x0e, location >> 8);
      this.crtcWrite(0x0f, location);
    }
  }

  private setCursorShape(start: number, end: number): void {
    this.env.setBda8(Bda.CursorStart, start);
    this.env.setBda8(Bda.CursorEnd, end);
    this.crtcWrite(0x0a, start);
    this.crtcWrite(0x0b, end);
  }

  private programRegisters(r: ModeRegisters): void {
    const env = this.env;
    env.outb(0x3c2, r.misc);
    r.sequencer.forEach((v, i) => {
      env.outb(0x3c4, i);
      env.outb(0x3c5, v);
    });
    // Unlock CRTC registers 0-7 (register 11h bit 7), then load them all.
    this.crtcWrite(0x11, r.crtc[0x11] & 0x7f);
    r.crtc.forEach((v, i) => this.crtcWrite(i, v));
    r.graphics.forEach((v, i) => {
      env.outb(0x3ce, i);
      env.outb(0x3cf, v);
    });
    env.inb(0x3da); // attribute controller flip-flop to "index"
    r.attribute.forEach((v, i) => {
      env.outb(0x3c0, i);
      env.outb(0x3c0, v);
    });
    env.outb(0x3c0, 0x20); // palette address source: the display runs again
  }

  private loadDefaultPalette(): void {
    const palette = defaultVgaPalette();
    this.env.outb(0x3c6, 0xff);
    this.env.outb(0x3c8, 0);
    for (const c of palette) this.env.outb(0x3c9, c);
  }

  /** AH=00h. Modes 00h-03h give 80x25 colour text (as mode 03h), 13h the 256-colour mode; others are ignored. */
  setMode(requested: number): boolean {
    const env = this.env;
    const noClear = (requested & 0x80) !== 0;
    const mode = requested & 0x7f;
    const text = mode <= 0x03;
    if (!text && mode !== 0x13) return false;
    this.programRegisters(text ? MODE_03H : MODE_13H);
    this.loadDefaultPalette();
    env.host.vga.mode = text ? 'text80x25' : 'graphics320x200x256';
    env.setBda8(Bda.VideoMode, text ? 0x03 : 0x13);
    env.setBda16(Bda.VideoColumns, text ? 80 : 40);
    env.setBda16(Bda.VideoPageSize, text ? 0x1000 : 0xfa00);
    env.setBda16(Bda.VideoPageOffset, 0);
    for (let p = 0; p < 8; p++) env.setBda16(Bda.CursorPos + 2 * p, 0);
    env.setBda8(Bda.VideoPage, 0);
    env.setBda16(Bda.CrtcBase, CRTC);
    env.setBda8(Bda.VideoModeControl, text ? 0x29 : 0x09);
    env.setBda8(Bda.VideoPalette, text ? 0x30 : 0x3f);
    env.setBda8(Bda.VideoRows, 24);
    env.setBda8(Bda.CharHeight, text ? 16 : 8);
    env.setBda8(Bda.VideoControl, 0x60 | (noClear ? 0x80 : 0));
    env.setBda8(Bda.VideoSwitches, 0x09);
    env.setBda8(Bda.VgaFlags, 0x11);
    env.setBda8(Bda.DccIndex, 0x0b);
    this.crtcWrite(0x0c, 0);
    this.crtcWrite(0x0d, 0);
    if (text) this.setCursorShape(0x0d, 0x0e);
    this.setCursor(0, 0, 0);
    if (!noClear) {
      if (text) {
        const blank = new Uint8Array(0x8000);
        for (let i = 0; i < blank.length; i += 2) {
          blank[i] = 0x20;
          blank[i + 1] = 0x07;
        }
        env.mem.write(TEXT_BASE, blank);
      } else {
        env.mem.fill(GRAPHICS_BASE, 0x10000, 0);
      }
    }
    return true;
  }

  // ---- Character cells. ----

  private cellAddress(page: number, row: number, col: number): number {
    return TEXT_BASE + (page & 7) * this.env.bda16(Bda.VideoPageSize) + (row * this.columns + col) * 2;
  }

  private readCell(page: number, row: number, col: number): number {
    return this.env.mem.rd16(this.cellAddress(page, row, col));
  }

  /** Write a character (and attribute, unless null) at a cell; in mode 13h draw the glyph in colour `attr`. */
  private writeCell(page: number, row: number, col: number, ch: number, attr: number | null): void {
    if (this.graphics) {
      this.drawGlyph(row, col, ch, attr ?? 0x0f);
      return;
    }
    const a = this.cellAddress(page, row, col);
    if (attr === null) this.env.mem.wr8(a, ch);
    else this.env.mem.wr16(a, ch | (attr << 8));
  }

  private glyph(ch: number): Uint8Array {
    const l = this.env.layout;
    const address = ch < 128 ? ROM_BASE + l.font8x8 + ch * 8 : ROM_BASE + l.font8x8High + (ch - 128) * 8;
    return this.env.mem.read(address, 8);
  }

  private drawGlyph(row: number, col: number, ch: number, colour: number): void {
    const bits = this.glyph(ch);
    const xor = (colour & 0x80) !== 0;
    for (let y = 0; y < 8; y++) {
      const base = GRAPHICS_BASE + (row * 8 + y) * 320 + col * 8;
      const old = xor ? this.env.mem.read(base, 8) : null;
      const line = new Uint8Array(8);
      for (let x = 0; x < 8; x++) {
        const on = (bits[y] & (0x80 >> x)) !== 0;
        line[x] = old ? old[x] ^ (on ? colour & 0x7f : 0) : on ? colour : 0;
      }
      this.env.mem.write(base, line);
    }
  }

  /** Scroll a window up (lines > 0) or down (lines < 0); 0 clears it. */
  scroll(page: number, top: number, left: number, bottom: number, right: number, lines: number, attr: number): void {
    const rows = this.rows;
    const cols = this.columns;
    bottom = Math.min(bottom, rows - 1);
    right = Math.min(right, cols - 1);
    if (top > bottom || left > right) return;
    const height = bottom - top + 1;
    const n = lines === 0 || Math.abs(lines) >= height ? height : Math.abs(lines);
    const up = lines >= 0;
    if (this.graphics) {
      const width = (right - left + 1) * 8;
      const moveLine = (dstRow: number, srcRow: number): void => {
        for (let y = 0; y < 8; y++) {
          const src = GRAPHICS_BASE + (srcRow * 8 + y) * 320 + left * 8;
          const dst = GRAPHICS_BASE + (dstRow * 8 + y) * 320 + left * 8;
          this.env.mem.write(dst, this.env.mem.read(src, width));
        }
      };
      const clearLine = (r: number): void => {
        for (let y = 0; y < 8; y++) this.env.mem.fill(GRAPHICS_BASE + (r * 8 + y) * 320 + left * 8, width, attr);
      };
      if (up) {
        for (let r = top; r + n <= bottom; r++) moveLine(r, r + n);
        for (let r = bottom - n + 1; r <= bottom; r++) clearLine(r);
      } else {
        for (let r = bottom; r - n >= top; r--) moveLine(r, r - n);
        for (let r = top; r < top + n; r++) clearLine(r);
      }
      return;
    }
    const width = (right - left + 1) * 2;
    const blank = new Uint8Array(width);
    for (let i = 0; i < width; i += 2) {
      blank[i] = 0x20;
      blank[i + 1] = attr;
    }
    const mem = this.env.mem;
    if (up) {
      for (let r = top; r + n <= bottom; r++) mem.write(this.cellAddress(page, r, left), mem.read(this.cellAddress(page, r + n, left), width));
      for (let r = bottom - n + 1; r <= bottom; r++) mem.write(this.cellAddress(page, r, left), blank);
    } else {
      for (let r = bottom; r - n >= top; r--) mem.write(this.cellAddress(page, r, left), mem.read(this.cellAddress(page, r - n, left), width));
      for (let r = top; r < top + n; r++) mem.write(this.cellAddress(page, r, left), blank);
    }
  }

  /** AH=0Eh: teletype output of `ch` on `page` (graphics colour `colour`). */
  teletype(ch: number, page: number, colour: number): void {
    if (this.graphics) page = 0;
    let { row, col } = this.cursor(page);
    const cols = this.columns;
    const rows = this.rows;
    switch (ch) {
      case 0x07: // BEL: no speaker
        return;
      case 0x08:
        if (col > 0) col--;
        break;
      case 0x0d:
        col = 0;
        break;
      case 0x0a:
        row++;
        break;
      default:
        this.writeCell(page, row, col, ch, this.graphics ? colour : null);
        col++;
        if (col >= cols) {
          col = 0;
          row++;
        }
    }
    if (row >= rows) {
      row = rows - 1;
      // The new line takes the attribute of the cell at the cursor, as the IBM BIOS does.
      const attr = this.graphics ? 0 : this.readCell(page, row, col) >> 8;
      this.scroll(page, 0, 0, rows - 1, cols - 1, 1, attr);
    }
    this.setCursor(page, row, col);
  }

  service(call: Call): void {
    const env = this.env;
    switch (call.ah) {
      case 0x00:
        this.setMode(call.al);
        // AL = CRT mode byte on return (20h for modes 0-5 and 7 per the VGA BIOS, 20h/30h...): report the mode.
        call.al = this.mode <= 7 ? 0x30 : 0x20;
        return;
      case 0x01:
        this.setCursorShape(call.ch, call.cl);
        return;
      case 0x02:
        this.setCursor(call.bh, call.dh, call.dl);
        return;
      case 0x03: {
        const { row, col } = this.cursor(call.bh);
        call.dx = (row << 8) | col;
        call.cx = (env.bda8(Bda.CursorStart) << 8) | env.bda8(Bda.CursorEnd);
        return;
      }
      case 0x04: // light pen: not triggered
        call.ah = 0;
        return;
      case 0x05: {
        if (this.graphics) return;
        const page = call.al & 7;
        env.setBda8(Bda.VideoPage, page);
        const offset = page * env.bda16(Bda.VideoPageSize);
        env.setBda16(Bda.VideoPageOffset, offset);
        this.crtcWrite(0x0c, (offset >> 1) >> 8);
        this.crtcWrite(0x0d, offset >> 1);
        const { row, col } = this.cursor(page);
        this.setCursor(page, row, col);
        return;
      }
      case 0x06:
      case 0x07:
        this.scroll(this.activePage, call.ch, call.cl, call.dh, call.dl, call.ah === 0x06 ? call.al : -call.al || 0, call.bh);
        return;
      case 0x08: {
        if (this.graphics) {
          call.ax = 0;
          return;
        }
        const page = call.bh & 7;
        const { row, col } = this.cursor(page);
        call.ax = this.readCell(page, row, col);
        return;
      }
      case 0x09:
      case 0x0a: {
        const page = this.graphics ? 0 : call.bh & 7;
        const { row, col } = this.cursor(page);
        const cols = this.columns;
        const limit = this.rows * cols;
        let at = row * cols + col;
        for (let n = call.cx; n > 0 && at < limit; n--, at++) {
          const attr = call.ah === 0x09 || this.graphics ? call.bl : null;
          this.writeCell(page, Math.floor(at / cols), at % cols, call.al, attr);
        }
        return;
      }
      case 0x0b: // CGA palette: nothing to do on VGA text
        return;
      case 0x0c:
        if (this.graphics && call.cx < 320 && call.dx < 200) {
          const a = GRAPHICS_BASE + call.dx * 320 + call.cx;
          env.mem.wr8(a, call.al & 0x80 ? env.mem.rd8(a) ^ (call.al & 0x7f) : call.al);
        }
        return;
      case 0x0d:
        call.al = this.graphics && call.cx < 320 && call.dx < 200 ? env.mem.rd8(GRAPHICS_BASE + call.dx * 320 + call.cx) : 0;
        return;
      case 0x0e:
        this.teletype(call.al, call.bh, call.bl);
        return;
      case 0x0f:
        call.al = this.mode | (env.bda8(Bda.VideoControl) & 0x80);
        call.ah = this.columns;
        call.bh = this.activePage;
        return;
      case 0x10:
        this.palette(call);
        return;
      case 0x11:
        this.font(call);
        return;
      case 0x12:
        if (call.bl === 0x10) {
          call.bh = 0x00; // colour
          call.bl = 0x03; // 256 KiB
          call.ch = 0x00;
          call.cl = env.bda8(Bda.VideoSwitches) & 0x0f;
        } else {
          call.al = 0x12; // "supported" for the other subfunctions, which change nothing here
        }
        return;
      case 0x13:
        this.writeString(call);
        return;
      case 0x1a:
        if (call.al === 0x00) {
          call.al = 0x1a;
          call.bx = 0x0008; // VGA with analog colour display, no secondary
        } else if (call.al === 0x01) {
          call.al = 0x1a;
        }
        return;
      default:
        // Unsupported (including VESA 4Fxxh: AL stays unchanged, not 4Fh).
        return;
    }
  }

  /** AH=10h: palette and DAC registers through ports 3C0h and 3C7h-3C9h. */
  private palette(call: Call): void {
    const env = this.env;
    switch (call.al) {
      case 0x00: // set one palette register BL to BH
        env.inb(0x3da);
        env.outb(0x3c0, call.bl & 0x1f);
        env.outb(0x3c0, call.bh);
        env.outb(0x3c0, 0x20);
        return;
      case 0x03: // blink/intensity: attribute mode control bit 3
        env.inb(0x3da);
        env.outb(0x3c0, 0x10);
        env.outb(0x3c0, ((this.graphics ? 0x41 : 0x0c) & ~0x08) | (call.bl & 1 ? 0x08 : 0));
        env.outb(0x3c0, 0x20);
        return;
      case 0x10: // set one DAC register BX to DH, CH, CL
        env.outb(0x3c8, call.bx);
        env.outb(0x3c9, call.dh);
        env.outb(0x3c9, call.ch);
        env.outb(0x3c9, call.cl);
        return;
      case 0x12: { // set CX DAC registers from BX, from ES:DX
        env.outb(0x3c8, call.bx);
        const bytes = call.readLinear(call.linear(ES, call.dx), call.cx * 3);
        for (const b of bytes) env.outb(0x3c9, b);
        return;
      }
      case 0x15: // read one DAC register BX
        env.outb(0x3c7, call.bx);
        call.dh = env.inb(0x3c9);
        call.ch = env.inb(0x3c9);
        call.cl = env.inb(0x3c9);
        return;
      case 0x17: { // read CX DAC registers from BX into ES:DX
        env.outb(0x3c7, call.bx);
        const out = new Uint8Array(call.cx * 3);
        for (let i = 0; i < out.length; i++) out[i] = env.inb(0x3c9);
        call.writeLinear(call.linear(ES, call.dx), out);
        return;
      }
      default:
        return;
    }
  }

  /** AH=11h: character generator. AX=1130h returns font pointers; loading fonts is accepted and ignored. */
  private font(call: Call): void {
    if (call.al !== 0x30) return;
    const l = this.env.layout;
    let offset: number;
    let segment = 0xf000;
    switch (call.bh) {
      case 0x00: // INT 1Fh vector
      case 0x01: { // INT 43h vector
        const vector = call.bh === 0 ? 0x1f : 0x43;
        offset = this.env.mem.rd16(vector * 4);
        segment = this.env.mem.rd16(vector * 4 + 2);
        break;
      }
      case 0x02:
      case 0x05:
        offset = l.font8x14;
        break;
      case 0x03:
        offset = l.font8x8;
        break;
      case 0x04:
        offset = l.font8x8High;
        break;
      default: // 06h, 07h: 8x16
        offset = l.font8x16;
        break;
    }
    call.es = segment;
    call.bp = offset;
    call.cx = this.env.bda8(Bda.CharHeight) || 16; // bytes per character of the font on screen
    call.dl = this.env.bda8(Bda.VideoRows); // last row on screen
  }

  /** AH=13h: write string at ES:BP, CX characters, at row DH column DL of page BH; AL bit 0 moves the cursor, bit 1 means char/attr pairs. */
  private writeString(call: Call): void {
    const page = this.graphics ? 0 : call.bh & 7;
    const withAttrs = (call.al & 2) !== 0;
    const moveCursor = (call.al & 1) !== 0;
    const saved = this.cursor(page);
    const bytes = call.readLinear(call.linear(ES, call.bp), call.cx * (withAttrs ? 2 : 1));
    this.setCursor(page, call.dh, call.dl);
    for (let i = 0; i < call.cx; i++) {
      const ch = bytes[withAttrs ? 2 * i : i];
      const attr = withAttrs ? bytes[2 * i + 1] : call.bl;
      if (ch === 0x07 || ch === 0x08 || ch === 0x0a || ch === 0x0d) {
        this.teletype(ch, page, attr);
        continue;
      }
      const { row, col } = this.cursor(page);
      this.writeCell(page, row, col, ch, attr);
      // Advance as teletype does, scrolling at the bottom.
      this.advance(page, row, col);
    }
    if (!moveCursor) this.setCursor(page, saved.row, saved.col);
  }

  private advance(page: number, row: number, col: number): void {
    col++;
    if (col >= this.columns) {
      col = 0;
      row++;
    }
    if (row >= this.rows) {
      row = this.rows - 1;
      this.scroll(page, 0, 0, this.rows - 1, this.columns - 1, 1, this.graphics ? 0 : this.readCell(page, row, col) >> 8);
    }
    this.setCursor(page, row, col);
  }
}

