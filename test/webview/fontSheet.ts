// Draws the whole CP437 font as a PNG for a person to look at:
//   npx tsx test/webview/fontSheet.ts [out.png]   (default test-output/webview/font.png)
// The 256 glyphs in a 16x16 grid (row = high nibble), light grey on black,
// each cell followed by a blank one, through the tests' reference renderer
// at 3x.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { encodePng } from './png';
import { COLUMNS, TEXT_WIDTH, enlarge, renderText } from './reference';

const out = process.argv[2] ?? 'test-output/webview/font.png';
const cells = new Uint8Array(COLUMNS * 25 * 2);
for (let code = 0; code < 256; code++) {
  const at = ((1 + (code >> 4)) * COLUMNS + 2 + (code & 15) * 2) * 2;
  cells[at] = code;
  cells[at + 1] = 0x07;
}
const screen = renderText({ cells, cursor: { row: 0, col: 0, visible: false }, blinkShown: true, cursorShown: false });
// Only the grid and a margin: 36 columns by 18 rows of the screen.
const width = 36 * 9;
const height = 18 * 16;
const grid = new Uint8Array(width * height * 4);
for (let y = 0; y < height; y++) grid.set(screen.subarray(y * TEXT_WIDTH * 4, (y * TEXT_WIDTH + width) * 4), y * width * 4);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, encodePng(width * 3, height * 3, enlarge(width, height, grid, 3)));
console.log(`wrote ${out}`);
