// The VGA text screen as the page keeps and draws it: 80x25 cells of
// character and attribute, applied from the adapter's incremental
// `vmexit.screen` events, and drawn row by row into a 32-bit pixel buffer.
// No DOM here: display.ts owns the canvas and decides when to draw.
//
// What it draws, as a VGA does in its standard 720x400 text mode:
//   - 9x16 cells: the font's 8 columns plus a ninth, blank except for the
//     line-drawing characters C0h-DFh, where it repeats the eighth so that
//     horizontal lines and blocks join across cells;
//   - attribute bits 0-3 the foreground of the 16-colour palette, bits 4-6
//     the background, bit 7 blink (the BIOS default): a blinking character's
//     foreground comes and goes; backgrounds have no intensity bit;
//   - the hardware cursor as an underline on scanlines 14-15 across the
//     whole cell, in the cell's foreground colour, blinking on its own.
// The adapter's event does not carry the CRTC cursor shape or the attribute
// controller's blink/intensity choice; the BIOS defaults above are assumed.

import { GLYPH_HEIGHT, isLineGraphics } from './font/font';
import type { TextCursor, TextRowUpdate } from './protocol';

export const TEXT_COLUMNS = 80;
export const TEXT_ROWS = 25;
export const CELL_WIDTH = 9;
export const TEXT_PIXEL_WIDTH = TEXT_COLUMNS * CELL_WIDTH;
export const TEXT_PIXEL_HEIGHT = TEXT_ROWS * GLYPH_HEIGHT;

const CURSOR_FIRST_SCANLINE = 14;
const ATTR_BLINK = 0x80;

/** The cells, the cursor and which rows need drawing. */
export class TextScreenState {
  /** TEXT_COLUMNS*TEXT_ROWS [character, attribute] byte pairs, as in video memory. */
  readonly cells = new Uint8Array(TEXT_COLUMNS * TEXT_ROWS * 2);
  cursor: TextCursor = { row: 0, col: 0, visible: false };
  private readonly dirty = new Uint8Array(TEXT_ROWS);

  /**
   * Apply an event's rows and cursor. `decode` turns a row's base64 into bytes
   * (the page has atob; this file stays free of it). Rows outside the screen
   * or of the wrong length are ignored rather than trusted.
   */
  apply(full: boolean, rows: readonly TextRowUpdate[], cursor: TextCursor, decode: (base64: string) => Uint8Array): void {
    if (full) {
      this.cells.fill(0);
      this.markAll();
    }
    const rowBytes = TEXT_COLUMNS * 2;
    for (const update of rows) {
      if (!Number.isInteger(update.row) || update.row < 0 || update.row >= TEXT_ROWS) continue;
      const bytes = decode(update.cells);
      if (bytes.length !== rowBytes) continue;
      this.cells.set(bytes, update.row * rowBytes);
      this.dirty[update.row] = 1;
    }
    this.setCursor(cursor);
  }

  setCursor(cursor: TextCursor): void {
    const old = this.cursor;
    if (old.row === cursor.row && old.col === cursor.col && old.visible === cursor.visible) return;
    this.markRow(old.row);
    this.markRow(cursor.row);
    this.cursor = { row: cursor.row, col: cursor.col, visible: cursor.visible };
  }

  markRow(row: number): void {
    if (row >= 0 && row < TEXT_ROWS) this.dirty[row] = 1;
  }

  markAll(): void {
    this.dirty.fill(1);
  }

  /** Rows that look different when the blink phase changes: those with a blinking cell (and the cursor's, if `cursor`). */
  markBlinking(characters: boolean, cursor: boolean): void {
    if (characters) {
      for (let row = 0; row < TEXT_ROWS; row++) {
        for (let col = 0; col < TEXT_COLUMNS; col++) {
          if ((this.cells[(row * TEXT_COLUMNS + col) * 2 + 1] as number) & ATTR_BLINK) {
            this.dirty[row] = 1;
            break;
          }
        }
      }
    }
    if (cursor && this.cursor.visible) this.markRow(this.cursor.row);
  }

  /** The rows to draw, clearing the marks. */
  takeDirtyRows(): number[] {
    const rows: number[] = [];
    for (let row = 0; row < TEXT_ROWS; row++) if (this.dirty[row]) rows.push(row);
    this.dirty.fill(0);
    return rows;
  }
}

/** Packs the 16 palette colours as the 32-bit words of an RGBA byte buffer on this machine, whatever its byte order. */
export function packPalette(palette: readonly (readonly [number, number, number])[]): Uint32Array {
  const bytes = new Uint8Array(palette.length * 4);
  palette.forEach(([r, g, b], i) => bytes.set([r, g, b, 0xff], i * 4));
  return new Uint32Array(bytes.buffer);
}

/** Whether the blinking foregrounds and the cursor are drawn in the current phase. */
export interface BlinkPhase {
  characters: boolean;
  cursor: boolean;
}

/**
 * Draws one text row into `pixels`, a TEXT_PIXEL_WIDTH x TEXT_PIXEL_HEIGHT
 * buffer of packed RGBA words (an ImageData's buffer seen as Uint32Array).
 */
export function drawTextRow(pixels: Uint32Array, state: TextScreenState, row: number, font: Uint8Array, colours: Uint32Array, phase: BlinkPhase): void {
  const { cells, cursor } = state;
  const cursorHere = cursor.visible && phase.cursor && cursor.row === row ? cursor.col : -1;
  for (let col = 0; col < TEXT_COLUMNS; col++) {
    const code = cells[(row * TEXT_COLUMNS + col) * 2] as number;
    const attr = cells[(row * TEXT_COLUMNS + col) * 2 + 1] as number;
    const background = colours[(attr >> 4) & 0x07] as number;
    const foreground = colours[attr & 0x0f] as number;
    const hidden = (attr & ATTR_BLINK) !== 0 && !phase.characters;
    const ninth = isLineGraphics(code);
    const glyph = code * GLYPH_HEIGHT;
    for (let line = 0; line < GLYPH_HEIGHT; line++) {
      const bits = hidden ? 0 : (font[glyph + line] as number);
      // The cursor covers all nine columns; otherwise the ninth repeats the eighth or stays blank.
      const wide = col === cursorHere && line >= CURSOR_FIRST_SCANLINE ? 0x1ff : (bits << 1) | (ninth ? bits & 1 : 0);
      let at = (row * GLYPH_HEIGHT + line) * TEXT_PIXEL_WIDTH + col * CELL_WIDTH;
      for (let bit = CELL_WIDTH - 1; bit >= 0; bit--) pixels[at++] = (wide >> bit) & 1 ? foreground : background;
    }
  }
}
