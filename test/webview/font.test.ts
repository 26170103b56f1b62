// vmexit's CP437 font (src/extension/webview/font): complete, every glyph
// its own, accents on their letters, and box-drawing lines meeting the cell
// edges where a neighbouring piece's lines arrive.

import { strict as assert } from 'node:assert';
import { CP437_TO_UNICODE, cp437Code } from '../../src/extension/webview/cp437';
import { GLYPH_HEIGHT, buildCp437Font, isLineGraphics } from '../../src/extension/webview/font/font';

const font = buildCp437Font();
const glyph = (ch: string): Uint8Array => {
  const code = cp437Code(ch);
  assert.ok(code !== undefined, `${ch} is in CP437`);
  return font.subarray(code * GLYPH_HEIGHT, (code + 1) * GLYPH_HEIGHT);
};
const ink = (g: Uint8Array, x: number, y: number): boolean => ((g[y] as number) & (0x80 >> x)) !== 0;

describe('CP437 font', () => {
  it('has 256 glyphs, blank exactly for NUL, space and no-break space, and no two alike', () => {
    assert.equal(font.length, 256 * GLYPH_HEIGHT);
    const blanks: number[] = [];
    const seen = new Map<string, number>();
    for (let code = 0; code < 256; code++) {
      const g = font.subarray(code * GLYPH_HEIGHT, (code + 1) * GLYPH_HEIGHT);
      if (g.every((b) => b === 0)) {
        blanks.push(code);
        continue;
      }
      const key = Buffer.from(g).toString('hex');
      assert.equal(seen.get(key), undefined, `${CP437_TO_UNICODE[code]} looks like ${CP437_TO_UNICODE[seen.get(key) ?? 0]}`);
      seen.set(key, code);
    }
    assert.deepEqual(blanks, [0x00, 0x20, 0xff]);
  });

  it('puts accents on their letters: the base letter stays, the mark is added above (below for the cedilla)', () => {
    const cases: [string, string, 'above' | 'below'][] = [
      ['é', 'e', 'above'], ['Ä', 'A', 'above'], ['Å', 'A', 'above'], ['ñ', 'n', 'above'], ['Ñ', 'N', 'above'],
      ['ü', 'u', 'above'], ['ô', 'o', 'above'], ['ÿ', 'y', 'above'], ['Ç', 'C', 'below'], ['ç', 'c', 'below'],
    ];
    for (const [accented, base, where] of cases) {
      const a = glyph(accented);
      const b = glyph(base);
      for (let y = 0; y < GLYPH_HEIGHT; y++) assert.equal((a[y] as number) & (b[y] as number), b[y], `${accented} keeps ${base}'s row ${y}`);
      const firstInk = (g: Uint8Array): number => g.findIndex((r) => r !== 0);
      const lastInk = (g: Uint8Array): number => GLYPH_HEIGHT - 1 - [...g].reverse().findIndex((r) => r !== 0);
      if (where === 'above') assert.ok(firstInk(a) < firstInk(b), `${accented} has a mark above ${base}`);
      else assert.ok(lastInk(a) > lastInk(b), `${accented} has a mark below ${base}`);
    }
    // The i's carry the accent instead of the dot: ï is ı with two dots, not i with them.
    assert.deepEqual([...glyph('ï').subarray(6)], [...glyph('i').subarray(6)]);
    assert.notEqual(glyph('ï')[4], glyph('i')[4]);
  });

  it('draws box pieces whose lines meet the cell edges where the neighbouring pieces\' lines do', () => {
    // From the Unicode names: which edges each piece reaches, and with one line or two.
    const pieces: Record<string, string> = {
      '─': 'r1 l1', '│': 'u1 d1', '┌': 'r1 d1', '┐': 'd1 l1', '└': 'u1 r1', '┘': 'u1 l1', '├': 'u1 r1 d1', '┤': 'u1 d1 l1',
      '┬': 'r1 d1 l1', '┴': 'u1 r1 l1', '┼': 'u1 r1 d1 l1', '═': 'r2 l2', '║': 'u2 d2', '╔': 'r2 d2', '╗': 'd2 l2',
      '╚': 'u2 r2', '╝': 'u2 l2', '╠': 'u2 r2 d2', '╣': 'u2 d2 l2', '╦': 'r2 d2 l2', '╩': 'u2 r2 l2', '╬': 'u2 r2 d2 l2',
      '╒': 'r2 d1', '╓': 'r1 d2', '╕': 'd1 l2', '╖': 'd2 l1', '╘': 'u1 r2', '╙': 'u2 r1', '╛': 'u1 l2', '╜': 'u2 l1',
      '╞': 'u1 r2 d1', '╟': 'u2 r1 d2', '╡': 'u1 d1 l2', '╢': 'u2 d2 l1', '╤': 'r2 d1 l2', '╥': 'r1 d2 l1',
      '╧': 'u1 r2 l2', '╨': 'u2 r1 l1', '╪': 'u1 r2 d1 l2', '╫': 'u2 r1 d2 l1',
    };
    // Where the single and double lines cross an edge (columns for up/down, rows for left/right).
    const across = { 0: [] as number[], 1: [4], 2: [2, 6] };
    const along = { 0: [] as number[], 1: [8], 2: [6, 10] };
    for (const [ch, spec] of Object.entries(pieces)) {
      const g = glyph(ch);
      const weight = (edge: string): 0 | 1 | 2 => Number(spec.match(new RegExp(`${edge}(\\d)`))?.[1] ?? 0) as 0 | 1 | 2;
      const columns = (y: number): number[] => [0, 1, 2, 3, 4, 5, 6, 7].filter((x) => ink(g, x, y));
      const rows = (x: number): number[] => Array.from({ length: GLYPH_HEIGHT }, (_, y) => y).filter((y) => ink(g, x, y));
      assert.deepEqual(columns(0), across[weight('u')], `${ch}: top edge`);
      assert.deepEqual(columns(GLYPH_HEIGHT - 1), across[weight('d')], `${ch}: bottom edge`);
      assert.deepEqual(rows(0), along[weight('l')], `${ch}: left edge`);
      assert.deepEqual(rows(7), along[weight('r')], `${ch}: right edge`);
      // Every piece with a right arm is in C0h-DFh, where VGA repeats the eighth column into the ninth, so the line reaches the next cell.
      if (weight('r') > 0) assert.ok(isLineGraphics(cp437Code(ch) ?? 0), `${ch}: ninth column`);
    }
  });
});
