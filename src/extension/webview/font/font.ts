// vmexit's 8x16 code page 437 font, assembled from four sources:
//   - hand-drawn string art: printable ASCII (asciiArt.ts) and the symbols,
//     Greek and mathematics (symbolArt.ts);
//   - glyphs derived from those by mirroring, flipping or inverting;
//   - accented letters: a base letter plus a diacritic mark, found through
//     the letter's Unicode canonical decomposition (é = e + U+0301);
//   - the shades, blocks and box-drawing pieces (B0h-DFh), drawn by rule from
//     their structure: which arms leave the cell and whether each is a single
//     or a double line.
// Built once at start-up (a few thousand bytes of work); the page and the
// tests' reference renderer read the same table.
//
// The table: 256 glyphs x 16 rows, one byte per row, bit 7 the leftmost pixel.

import { CP437_TO_UNICODE } from '../cp437';
import { ASCII_ART } from './asciiArt';
import { SYMBOL_ART } from './symbolArt';

export const GLYPH_WIDTH = 8;
export const GLYPH_HEIGHT = 16;

type Glyph = Uint8Array;

function blank(): Glyph {
  return new Uint8Array(GLYPH_HEIGHT);
}

/** The glyphs of string-art blocks by character; malformed art is a programming error and throws. */
function parseArt(blocks: readonly (readonly [string, string])[]): Map<string, Glyph> {
  const out = new Map<string, Glyph>();
  for (const [chars, art] of blocks) {
    const names = [...chars];
    const lines = art.split('\n').map((l) => l.trim()).filter((l) => l !== '');
    if (lines.length !== GLYPH_HEIGHT) throw new Error(`font: block ${chars} has ${lines.length} rows, not ${GLYPH_HEIGHT}`);
    const glyphs = names.map(() => blank());
    lines.forEach((line, row) => {
      const cols = line.split(/\s+/);
      if (cols.length !== names.length) throw new Error(`font: block ${chars} row ${row} has ${cols.length} glyphs, not ${names.length}`);
      cols.forEach((bits, i) => {
        if (!/^[.#]{8}$/.test(bits)) throw new Error(`font: block ${chars} row ${row}: '${bits}' is not 8 of '.' and '#'`);
        (glyphs[i] as Glyph)[row] = parseInt(bits.replace(/\./g, '0').replace(/#/g, '1'), 2);
      });
    });
    names.forEach((name, i) => {
      if (out.has(name)) throw new Error(`font: ${name} is drawn twice`);
      out.set(name, glyphs[i] as Glyph);
    });
  }
  return out;
}

// ---- Derived glyphs -------------------------------------------------------------

function mirror(g: Glyph): Glyph {
  return g.map((b) => {
    let r = 0;
    for (let i = 0; i < 8; i++) if (b & (1 << i)) r |= 0x80 >> i;
    return r;
  });
}

function flipVertical(g: Glyph): Glyph {
  return g.slice().reverse();
}

function invert(g: Glyph): Glyph {
  return g.map((b) => ~b & 0xff);
}

/** Moved right by dx (negative: left) and down by dy pixels; what leaves the cell is lost. */
function shift(g: Glyph, dx: number, dy: number): Glyph {
  const out = blank();
  for (let row = 0; row < GLYPH_HEIGHT; row++) {
    const src = row - dy;
    if (src < 0 || src >= GLYPH_HEIGHT) continue;
    const b = g[src] as number;
    out[row] = (dx >= 0 ? b >> dx : b << -dx) & 0xff;
  }
  return out;
}

function withRows(g: Glyph, rows: Record<number, string>): Glyph {
  const out = g.slice();
  for (const [row, bits] of Object.entries(rows)) out[Number(row)] = (out[Number(row)] as number) | parseInt(bits.replace(/\./g, '0').replace(/#/g, '1'), 2);
  return out;
}

/** Glyphs that are another glyph transformed, so the pair cannot drift apart. */
function derived(get: (ch: string) => Glyph): [string, Glyph][] {
  const bar = '.######.';
  return [
    ['◘', invert(get('•'))],
    ['◙', invert(get('○'))],
    ['◄', mirror(get('►'))],
    ['↓', flipVertical(get('↑'))],
    ['←', mirror(get('→'))],
    ['▼', flipVertical(get('▲'))],
    ['↨', withRows(get('↕'), { 13: bar })],
    ['±', withRows(shift(get('+'), 0, -1), { 11: bar })],
    ['≤', mirror(get('≥'))],
    ['⌐', mirror(get('¬'))],
    // Inverted punctuation hangs from the x-height down into the descender.
    ['¡', shift(flipVertical(get('!')), 0, 2)],
    ['¿', shift(mirror(flipVertical(get('?'))), -1, 2)],
  ];
}

// ---- Accented letters --------------------------------------------------------------

/** Marks drawn above the letter (ending one blank row above its top) or, for the cedilla, below it. */
const MARKS: Readonly<Record<string, { rows: readonly string[]; below?: true }>> = {
  '\u0300': { rows: ['..##....', '...##...'] }, // grave
  '\u0301': { rows: ['....##..', '...##...'] }, // acute
  '\u0302': { rows: ['..###...', '.##.##..'] }, // circumflex
  '\u0303': { rows: ['.###.##.', '##.###..'] }, // tilde
  '\u0308': { rows: ['.##..##.'] }, // diaeresis
  '\u030a': { rows: ['..###...', '.##.##..', '..###...'] }, // ring above
  '\u0327': { rows: ['...##...', '....##..', '..###...'], below: true }, // cedilla
};

function inkRows(g: Glyph): { top: number; bottom: number } {
  let top = 0;
  while (top < GLYPH_HEIGHT && g[top] === 0) top++;
  let bottom = GLYPH_HEIGHT - 1;
  while (bottom > 0 && g[bottom] === 0) bottom--;
  return { top, bottom };
}

/** A precomposed letter as its base glyph plus the mark, or undefined when it does not decompose that way. */
function accented(ch: string, get: (ch: string) => Glyph | undefined): Glyph | undefined {
  const parts = [...ch.normalize('NFD')];
  if (parts.length !== 2) return undefined;
  const [letter, markChar] = parts as [string, string];
  const mark = MARKS[markChar];
  // An i takes its accent in place of the dot.
  const base = get(letter === 'i' ? 'ı' : letter);
  if (mark === undefined || base === undefined) return undefined;
  const { top, bottom } = inkRows(base);
  const first = mark.below ? bottom + 1 : Math.max(0, top - 1 - mark.rows.length);
  const rows: Record<number, string> = {};
  mark.rows.forEach((bits, i) => (rows[first + i] = bits));
  return withRows(base, rows);
}

// ---- Shades, blocks and box drawing ----------------------------------------------

/** Box pieces by their arms: up, right, down, left; 0 none, 1 single line, 2 double line. */
const BOX_ARMS: Readonly<Record<string, string>> = {
  '│': '1010', '┤': '1011', '╡': '1012', '╢': '2021', '╖': '0021', '╕': '0012', '╣': '2022', '║': '2020',
  '╗': '0022', '╝': '2002', '╜': '2001', '╛': '1002', '┐': '0011', '└': '1100', '┴': '1101', '┬': '0111',
  '├': '1110', '─': '0101', '┼': '1111', '╞': '1210', '╟': '2120', '╚': '2200', '╔': '0220', '╩': '2202',
  '╦': '0222', '╠': '2220', '═': '0202', '╬': '2222', '╧': '1202', '╨': '2101', '╤': '0212', '╥': '0121',
  '╙': '2100', '╘': '1200', '╒': '0210', '╓': '0120', '╫': '2121', '╪': '1212', '┘': '1001', '┌': '0110',
};

/**
 * Where the lines run: a single vertical line in column 4, the middle of
 * VGA's 9-pixel cell, doubles in columns 2 and 6; a single horizontal line
 * in row 8, doubles in rows 6 and 10. Lines are one pixel thick.
 */
const LINE_AT: Readonly<Record<'vertical' | 'horizontal', readonly (readonly number[])[]>> = {
  vertical: [[], [4], [2, 6]],
  horizontal: [[], [8], [6, 10]],
};

/**
 * One box-drawing glyph. Each line of an arm runs from the cell's edge
 * toward the middle and stops where it meets the crossing arms, so that
 * double lines turn corners and meet at T-junctions without crossing:
 *   - a single line runs through when the opposite arm exists; at a
 *     T-junction with the crossing line it stops at that line's near side,
 *     at a corner at its far side (╕: the vertical reaches the upper line);
 *   - a double line's two lines each look at the crossing arm on their own
 *     side: if it exists, they stop at its near line; if not, they run
 *     through when the opposite arm exists, or else turn at the far line of
 *     the crossing arm on the other side (the outer line of a corner).
 */
function boxGlyph(spec: string): Glyph {
  const [up, right, down, left] = [...spec].map(Number) as [number, number, number, number];
  const g = blank();
  const set = (x: number, y: number): void => {
    g[y] = (g[y] as number) | (0x80 >> x);
  };
  // Stops are found in the crossing axis' coordinates; `fromStart` is true for lines coming from row 0 or column 0.
  const stop = (weight: number, at: number, opposite: number, before: number, after: number, crossAxis: 'vertical' | 'horizontal', fromStart: boolean, end: number): number => {
    const nearest = (lines: readonly number[]): number => (fromStart ? Math.min(...lines) : Math.max(...lines));
    const farthest = (lines: readonly number[]): number => (fromStart ? Math.max(...lines) : Math.min(...lines));
    const linesOf = (w: number): readonly number[] => LINE_AT[crossAxis][w] as readonly number[];
    const middle = (LINE_AT[crossAxis === 'vertical' ? 'horizontal' : 'vertical'][1] as readonly number[])[0] as number;
    if (weight === 1) {
      if (opposite) return end;
      if (before && after) return nearest([...linesOf(before), ...linesOf(after)]);
      const crossing = before || after;
      return crossing ? farthest(linesOf(crossing)) : (LINE_AT[crossAxis][1] as readonly number[])[0] as number;
    }
    const ownSide = at < middle ? before : after;
    const otherSide = at < middle ? after : before;
    if (ownSide) return nearest(linesOf(ownSide));
    if (opposite) return end;
    return otherSide ? farthest(linesOf(otherSide)) : (LINE_AT[crossAxis][1] as readonly number[])[0] as number;
  };
  const arms = [
    { weight: up, opposite: down, before: left, after: right, along: 'vertical', fromStart: true },
    { weight: down, opposite: up, before: left, after: right, along: 'vertical', fromStart: false },
    { weight: left, opposite: right, before: up, after: down, along: 'horizontal', fromStart: true },
    { weight: right, opposite: left, before: up, after: down, along: 'horizontal', fromStart: false },
  ] as const;
  for (const arm of arms) {
    const vertical = arm.along === 'vertical';
    const length = vertical ? GLYPH_HEIGHT : GLYPH_WIDTH;
    for (const at of LINE_AT[arm.along][arm.weight] as readonly number[]) {
      const to = stop(arm.weight, at, arm.opposite, arm.before, arm.after, vertical ? 'horizontal' : 'vertical', arm.fromStart, arm.fromStart ? length - 1 : 0);
      const [from, last] = arm.fromStart ? [0, to] : [to, length - 1];
      for (let i = from; i <= last; i++) {
        if (vertical) set(at, i);
        else set(i, at);
      }
    }
  }
  return g;
}

function pattern(ink: (x: number, y: number) => boolean): Glyph {
  const g = blank();
  for (let y = 0; y < GLYPH_HEIGHT; y++) for (let x = 0; x < GLYPH_WIDTH; x++) if (ink(x, y)) g[y] = (g[y] as number) | (0x80 >> x);
  return g;
}

function shadesAndBlocks(): [string, Glyph][] {
  return [
    // Light, medium and dark shade: a quarter, half and three quarters of the pixels, in an even dither.
    ['░', pattern((x, y) => x % 4 === (y % 2) * 2)],
    ['▒', pattern((x, y) => (x + y) % 2 === 0)],
    ['▓', pattern((x, y) => x % 4 !== (y % 2) * 2 + 1)],
    ['█', pattern(() => true)],
    ['▄', pattern((_x, y) => y >= GLYPH_HEIGHT / 2)],
    ['▌', pattern((x) => x < GLYPH_WIDTH / 2)],
    ['▐', pattern((x) => x >= GLYPH_WIDTH / 2)],
    ['▀', pattern((_x, y) => y < GLYPH_HEIGHT / 2)],
  ];
}

// ---- The table ---------------------------------------------------------------------

/** The 256 CP437 glyphs, 16 bytes each (4096 bytes). Throws if a code point has no glyph. */
export function buildCp437Font(): Uint8Array {
  const glyphs = parseArt([...ASCII_ART, ...SYMBOL_ART]);
  const get = (ch: string): Glyph => {
    const g = glyphs.get(ch);
    if (g === undefined) throw new Error(`font: ${ch} is used before it is drawn`);
    return g;
  };
  for (const [ch, g] of [...derived(get), ...shadesAndBlocks()]) glyphs.set(ch, g);
  for (const [ch, arms] of Object.entries(BOX_ARMS)) glyphs.set(ch, boxGlyph(arms));
  glyphs.set('\u0000', blank());
  glyphs.set('\u00a0', blank());
  const font = new Uint8Array(256 * GLYPH_HEIGHT);
  const missing: string[] = [];
  [...CP437_TO_UNICODE].forEach((ch, code) => {
    const g = glyphs.get(ch) ?? accented(ch, (c) => glyphs.get(c));
    if (g === undefined) missing.push(`${code.toString(16).padStart(2, '0')}h ${ch}`);
    else font.set(g, code * GLYPH_HEIGHT);
  });
  if (missing.length > 0) throw new Error(`font: no glyph for ${missing.join(', ')}`);
  return font;
}

/** Whether VGA repeats a glyph's eighth column into the ninth: the line-drawing range C0h-DFh, so lines join. */
export function isLineGraphics(code: number): boolean {
  return code >= 0xc0 && code <= 0xdf;
}
