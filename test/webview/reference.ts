// The tests' own renderer of a text screen: pixel by pixel, straight from
// the definition (cell, glyph bit, attribute, cursor), with none of the
// page's machinery (row buffers, packed colours, dirty rows). It shares only
// the facts with the page: the glyph table and the palette.

import { GLYPH_HEIGHT, GLYPH_WIDTH, buildCp437Font, isLineGraphics } from '../../src/extension/webview/font/font';
import { TEXT_PALETTE } from '../../src/extension/webview/palette';

export const CELL_WIDTH = 9;
export const COLUMNS = 80;
export const ROWS = 25;
export const TEXT_WIDTH = COLUMNS * CELL_WIDTH;
export const TEXT_HEIGHT = ROWS * GLYPH_HEIGHT;

export const FONT = buildCp437Font();

export interface ReferenceText {
  /** COLUMNS*ROWS cells as [character, attribute] byte pairs. */
  cells: Uint8Array;
  cursor: { row: number; col: number; visible: boolean };
  /** Whether blinking characters show their foreground, and whether the cursor is drawn, in this phase. */
  blinkShown: boolean;
  cursorShown: boolean;
}

function glyphBit(code: number, x: number, y: number): boolean {
  // The ninth column repeats the eighth for the line-drawing characters and is blank otherwise.
  const column = x < GLYPH_WIDTH ? x : isLineGraphics(code) ? GLYPH_WIDTH - 1 : -1;
  if (column < 0) return false;
  const bits = FONT[code * GLYPH_HEIGHT + y] as number;
  return (bits & (0x80 >> column)) !== 0;
}

/** The screen as TEXT_WIDTH x TEXT_HEIGHT RGBA. */
export function renderText(screen: ReferenceText): Uint8Array {
  const out = new Uint8Array(TEXT_WIDTH * TEXT_HEIGHT * 4);
  for (let y = 0; y < TEXT_HEIGHT; y++) {
    for (let x = 0; x < TEXT_WIDTH; x++) {
      const row = Math.floor(y / GLYPH_HEIGHT);
      const col = Math.floor(x / CELL_WIDTH);
      const code = screen.cells[(row * COLUMNS + col) * 2] as number;
      const attr = screen.cells[(row * COLUMNS + col) * 2 + 1] as number;
      const foreground = attr & 0x0f;
      // Bit 7 blinks the character; the background has only three bits (no bright backgrounds).
      const background = (attr >> 4) & 0x07;
      const blinking = (attr & 0x80) !== 0;
      let ink = glyphBit(code, x % CELL_WIDTH, y % GLYPH_HEIGHT) && (!blinking || screen.blinkShown);
      const c = screen.cursor;
      if (c.visible && screen.cursorShown && c.row === row && c.col === col && y % GLYPH_HEIGHT >= 14) ink = true;
      const rgb = TEXT_PALETTE[ink ? foreground : background] as readonly number[];
      out.set([rgb[0] as number, rgb[1] as number, rgb[2] as number, 255], (y * TEXT_WIDTH + x) * 4);
    }
  }
  return out;
}

/** Nearest-neighbour enlargement, for looking at glyphs. */
export function enlarge(width: number, height: number, rgba: Uint8Array, scale: number): Uint8Array {
  const out = new Uint8Array(width * scale * height * scale * 4);
  for (let y = 0; y < height * scale; y++) {
    for (let x = 0; x < width * scale; x++) {
      const from = (Math.floor(y / scale) * width + Math.floor(x / scale)) * 4;
      out.set(rgba.subarray(from, from + 4), (y * width * scale + x) * 4);
    }
  }
  return out;
}
