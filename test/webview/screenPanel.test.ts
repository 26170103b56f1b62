// The "VM Screen" page in a real browser (Debian's chromium, headless,
// through playwright-core): the real screenPanelHtml page under its CSP, the
// built dist/webview.js and the style sheets, served from 127.0.0.1, with a
// stand-in for the VS Code host (page/shim.ts). The canvas is read back and
// compared pixel by pixel with images the test draws itself (reference.ts);
// on a mismatch both images go to test-output/webview/ as PNG files.

import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { screenPanelHtml } from '../../src/extension/webview/html';
import { cp437Code } from '../../src/extension/webview/cp437';
import { encodePng } from './png';
import { COLUMNS, ROWS, TEXT_HEIGHT, TEXT_WIDTH, renderText } from './reference';
import type { ReferenceText } from './reference';

const root = resolve(__dirname, '../..');
const CHROMIUM = '/usr/bin/chromium';
const OUTPUT = join(root, 'test-output/webview');

interface Hooks {
  __posted: { type: string; [key: string]: unknown }[];
  __puts: { dirtyY?: number; dirtyHeight?: number }[];
  __violations: string[];
  __host(message: unknown): void;
  __frames(count: number): Promise<void>;
  __canvasPixels(): { width: number; height: number; cssWidth: string; cssHeight: string; rgba: string };
  __terminalRows(): string[];
}


function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** The files the page loads, checked before a browser starts so a missing piece says what to do. */
function pageFiles(): Record<string, { path: string; type: string }> {
  const files = {
    '/webview.js': { path: join(root, 'dist/webview.js'), type: 'text/javascript' },
    '/xterm.css': { path: join(root, 'dist/xterm.css'), type: 'text/css' },
    '/screen.css': { path: join(root, 'src/extension/webview/screen.css'), type: 'text/css' },
  };
  for (const { path } of Object.values(files)) {
    if (!existsSync(path)) throw new Error(`${path} is missing: run \`node scripts/build.mjs\` first`);
  }
  if (newestMtime(join(root, 'src/extension/webview')) > statSync(files['/webview.js'].path).mtimeMs) {
    throw new Error('dist/webview.js is older than src/extension/webview: run `node scripts/build.mjs` first');
  }
  return files;
}

function cellsOf(rows: string[], attrs: (row: number, col: number) => number): Uint8Array {
  const cells = new Uint8Array(COLUMNS * ROWS * 2);
  rows.forEach((text, row) => {
    [...text].forEach((ch, col) => {
      cells[(row * COLUMNS + col) * 2] = cp437Code(ch) ?? 0x3f;
      cells[(row * COLUMNS + col) * 2 + 1] = attrs(row, col);
    });
  });
  return cells;
}

function rowUpdate(cells: Uint8Array, row: number): { row: number; text: string; cells: string } {
  const bytes = cells.subarray(row * COLUMNS * 2, (row + 1) * COLUMNS * 2);
  return { row, text: '', cells: Buffer.from(bytes).toString('base64') };
}

function textEvent(cells: Uint8Array, rows: number[], cursor: ReferenceText['cursor'], full: boolean): unknown {
  return { type: 'screen', body: { mode: 'text', width: 80, height: 25, full, rows: rows.map((r) => rowUpdate(cells, r)), cursor } };
}

const ALL_ROWS = Array.from({ length: ROWS }, (_, i) => i);

/**
 * A screen with every glyph and a spread of attributes: rows 0-15 hold the
 * 256 codes five times over, each copy in other colours (blinking ones
 * among them); the rest is text in several colours.
 */
function knownScreen(): Uint8Array {
  const cells = new Uint8Array(COLUMNS * ROWS * 2);
  const attrs = [0x07, 0x1f, 0x4e, 0x8a, 0xf0, 0x2c, 0x70, 0x9e];
  for (let row = 0; row < 16; row++) {
    for (let col = 0; col < COLUMNS; col++) {
      cells[(row * COLUMNS + col) * 2] = row * 16 + (col % 16);
      cells[(row * COLUMNS + col) * 2 + 1] = attrs[(Math.floor(col / 16) + row) % attrs.length] as number;
    }
  }
  const lines = ['C:\\> vmexit ┌──╥──┐ ╔══╤══╗', 'Grüße, señor! ½ ¼ ±≥≤ αβΓπΣσ', 'blinking text here', '▓▒░ █▄▌▐▀ ■ ∙·√ⁿ²'];
  const text = cellsOf(lines, (row, col) => [0x0f, 0x1e, 0x8c, 0x3b][row % 4]! ^ (col & 0x40));
  cells.set(text.subarray(0, lines.length * COLUMNS * 2), 18 * COLUMNS * 2);
  return cells;
}

interface Shot {
  width: number;
  height: number;
  cssWidth: string;
  cssHeight: string;
  rgba: Uint8Array;
}

async function shoot(page: Page): Promise<Shot> {
  await page.evaluate(() => (globalThis as unknown as Hooks).__frames(2));
  const s = await page.evaluate(() => (globalThis as unknown as Hooks).__canvasPixels());
  return { ...s, rgba: new Uint8Array(Buffer.from(s.rgba, 'base64')) };
}

/** Asserts two RGBA images are equal, writing both (and where they differ) as PNGs when they are not. */
function assertSameImage(name: string, actual: Shot, width: number, height: number, expected: Uint8Array): void {
  assert.equal(`${actual.width}x${actual.height}`, `${width}x${height}`, `${name}: canvas size`);
  let mismatches = 0;
  let first = '';
  const diff = new Uint8Array(expected.length);
  for (let p = 0; p < width * height; p++) {
    const i = p * 4;
    const same = actual.rgba[i] === expected[i] && actual.rgba[i + 1] === expected[i + 1] && actual.rgba[i + 2] === expected[i + 2] && actual.rgba[i + 3] === expected[i + 3];
    diff.set(same ? [0, 0, 0, 255] : [255, 0, 255, 255], i);
    if (same) continue;
    if (mismatches === 0) first = `first at (${p % width}, ${Math.floor(p / width)}): got ${[...actual.rgba.subarray(i, i + 4)]}, want ${[...expected.subarray(i, i + 4)]}`;
    mismatches++;
  }
  if (mismatches === 0) return;
  mkdirSync(OUTPUT, { recursive: true });
  writeFileSync(join(OUTPUT, `${name}-actual.png`), encodePng(width, height, actual.rgba));
  writeFileSync(join(OUTPUT, `${name}-expected.png`), encodePng(width, height, expected));
  writeFileSync(join(OUTPUT, `${name}-diff.png`), encodePng(width, height, diff));
  assert.fail(`${name}: ${mismatches} pixels differ, ${first}; images in ${OUTPUT}/${name}-{actual,expected,diff}.png`);
}

/** Which 16-pixel text rows differ between two screens. */
function changedRows(a: Uint8Array, b: Uint8Array): number[] {
  const rows: number[] = [];
  const rowBytes = TEXT_WIDTH * 16 * 4;
  for (let row = 0; row < ROWS; row++) {
    if (!Buffer.from(a.subarray(row * rowBytes, (row + 1) * rowBytes)).equals(b.subarray(row * rowBytes, (row + 1) * rowBytes))) rows.push(row);
  }
  return rows;
}

describe('VM Screen webview in headless chromium', function () {
  this.timeout(30000);
  let browser: Browser | undefined;
  let page: Page;
  let closeServer: () => void = () => undefined;
  const errors: string[] = [];

  const host = (message: unknown): Promise<void> => page.evaluate((m) => (globalThis as unknown as Hooks).__host(m), message);
  const posted = (): Promise<Hooks['__posted']> => page.evaluate(() => (globalThis as unknown as Hooks).__posted);

  before(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Debian's chromium is not installed (${CHROMIUM} is missing); \`npm test\` installs it, or run \`apt-get install -y chromium\``);
    }
    const files = pageFiles();
    const shim = await build({ entryPoints: [join(__dirname, 'page/shim.ts')], bundle: true, write: false, format: 'iife', platform: 'browser', logLevel: 'silent' });
    const nonce = 'dGVzdC1ub25jZS0xMjM0';
    const server = createServer((req, res) => {
      const origin = `http://${req.headers.host ?? ''}`;
      if (req.url === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(screenPanelHtml({ cspSource: origin, nonce, scriptUri: `${origin}/webview.js`, xtermCssUri: `${origin}/xterm.css`, screenCssUri: `${origin}/screen.css` }));
        return;
      }
      const file = files[req.url ?? ''];
      if (file === undefined) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': file.type });
      res.end(readFileSync(file.path));
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    closeServer = () => server.close();
    const { port } = server.address() as AddressInfo;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      // A failed load is reported with its URL below.
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(`console: ${m.text()}`);
    });
    page.on('response', (r) => {
      // Browsers ask for a favicon on their own; a webview does not.
      if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) errors.push(`HTTP ${r.status()} for ${r.url()}`);
    });
    await page.addInitScript({ content: shim.outputFiles[0]!.text });
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(() => (globalThis as unknown as Hooks).__posted.length > 0);
  });

  after(async () => {
    await browser?.close();
    closeServer();
  });

  afterEach(async () => {
    const violations = await page.evaluate(() => (globalThis as unknown as Hooks).__violations);
    assert.deepEqual([...errors, ...violations], [], 'the page ran without errors or CSP violations');
  });

  it('says it is ready and shows the session state', async () => {
    assert.deepEqual((await posted())[0], { type: 'ready' });
    await host({ type: 'session', state: 'stopped', name: 'boot.img', detail: 'breakpoint' });
    assert.equal(await page.textContent('#status'), 'boot.img: paused (breakpoint)');
    assert.equal(await page.getAttribute('#status', 'data-state'), 'stopped');
  });

  it('draws a text screen with all 256 glyphs, attributes, blinking and the cursor as the reference does', async () => {
    const cells = knownScreen();
    const cursor = { row: 19, col: 3, visible: true };
    await host({ type: 'setBlink', mode: 'shown' });
    await host(textEvent(cells, ALL_ROWS, cursor, true));
    assertSameImage('text-shown', await shoot(page), TEXT_WIDTH, TEXT_HEIGHT, renderText({ cells, cursor, blinkShown: true, cursorShown: true }));
    await host({ type: 'setBlink', mode: 'hidden' });
    const hidden = await shoot(page);
    assertSameImage('text-hidden', hidden, TEXT_WIDTH, TEXT_HEIGHT, renderText({ cells, cursor, blinkShown: false, cursorShown: false }));
    // The canvas is enlarged by a whole number.
    assert.equal(parseInt(hidden.cssWidth, 10) % TEXT_WIDTH, 0, `CSS width ${hidden.cssWidth}`);
  });

  it('redraws only the rows that changed, once per frame however many events arrive', async () => {
    const cells = knownScreen();
    const cursor = { row: 19, col: 3, visible: true };
    await host({ type: 'setBlink', mode: 'shown' });
    await host(textEvent(cells, ALL_ROWS, cursor, true));
    const before = await shoot(page);
    await page.evaluate(() => ((globalThis as unknown as Hooks).__puts.length = 0));

    const changed = cells.slice();
    changed.set(cellsOf(['', '', '', '', '', '', '', 'Row seven, changed.'], () => 0x4f).subarray(7 * COLUMNS * 2, 8 * COLUMNS * 2), 7 * COLUMNS * 2);
    await host(textEvent(changed, [7], cursor, false));
    const after = await shoot(page);
    assert.deepEqual(changedRows(before.rgba, after.rgba), [7]);
    assertSameImage('text-row', after, TEXT_WIDTH, TEXT_HEIGHT, renderText({ cells: changed, cursor, blinkShown: true, cursorShown: true }));
    assert.deepEqual(await page.evaluate(() => (globalThis as unknown as Hooks).__puts), [{ dirtyY: 7 * 16, dirtyHeight: 16 }]);

    // Fifty events for row 12 inside one task: one draw of that row, showing the last.
    await page.evaluate(() => ((globalThis as unknown as Hooks).__puts.length = 0));
    const flood = changed.slice();
    const events = Array.from({ length: 50 }, (_, i) => {
      flood.set(cellsOf(Array(13).fill('').concat([`update ${i}`]), () => 0x1e).subarray(12 * COLUMNS * 2, 13 * COLUMNS * 2), 12 * COLUMNS * 2);
      return textEvent(flood, [12], cursor, false);
    });
    await page.evaluate((list) => list.forEach((m) => (globalThis as unknown as Hooks).__host(m)), events);
    const flooded = await shoot(page);
    assert.deepEqual(await page.evaluate(() => (globalThis as unknown as Hooks).__puts), [{ dirtyY: 12 * 16, dirtyHeight: 16 }]);
    assertSameImage('text-flood', flooded, TEXT_WIDTH, TEXT_HEIGHT, renderText({ cells: flood, cursor, blinkShown: true, cursorShown: true }));

    // A cursor move redraws the row it left and the row it went to.
    await page.evaluate(() => ((globalThis as unknown as Hooks).__puts.length = 0));
    const moved = { row: 3, col: 70, visible: true };
    await host(textEvent(flood, [], moved, false));
    const afterMove = await shoot(page);
    assert.deepEqual(changedRows(flooded.rgba, afterMove.rgba), [3, 19]);
    assert.deepEqual((await page.evaluate(() => (globalThis as unknown as Hooks).__puts)).map((p) => p.dirtyY), [3 * 16, 19 * 16]);
  });

  it('asks for the mode 13h framebuffer on a change and shows it pixel for pixel', async () => {
    const requests = async (): Promise<number> => (await posted()).filter((m) => m.type === 'requestFramebuffer').length;
    const before = await requests();
    await host({ type: 'screen', body: { mode: 'graphics', width: 320, height: 200, changed: true } });
    await host({ type: 'screen', body: { mode: 'graphics', width: 320, height: 200, changed: true } });
    assert.equal(await requests(), before + 1, 'one request in flight at a time');

    const rgba = new Uint8Array(320 * 200 * 4);
    for (let y = 0; y < 200; y++) {
      for (let x = 0; x < 320; x++) rgba.set([(x * 4) & 0xff, y, (x ^ y) & 0xff, 255], (y * 320 + x) * 4);
    }
    await host({ type: 'framebuffer', body: { width: 320, height: 200, rgba: Buffer.from(rgba).toString('base64') } });
    assert.equal(await requests(), before + 2, 'the change that came in meanwhile is asked for');
    const shot = await shoot(page);
    assertSameImage('mode13h', shot, 320, 200, rgba);
    assert.equal(parseInt(shot.cssWidth, 10) % 320, 0, `CSS width ${shot.cssWidth}`);
    assert.ok(parseInt(shot.cssWidth, 10) >= 640, `mode 13h is enlarged at least twice (${shot.cssWidth})`);

    // Back to text mode: a full event redraws the text screen at 720x400.
    const cells = knownScreen();
    const cursor = { row: 0, col: 0, visible: false };
    await host(textEvent(cells, ALL_ROWS, cursor, true));
    assertSameImage('text-after-graphics', await shoot(page), TEXT_WIDTH, TEXT_HEIGHT, renderText({ cells, cursor, blinkShown: true, cursorShown: true }));
  });

  it('sends keys typed on the screen to the keyboard and text typed in the terminal to the serial port', async () => {
    const inputs = async (target: string): Promise<string[]> =>
      (await posted()).filter((m) => m.type === 'input' && m.target === target).map((m) => String(m.text));
    const keys = async (): Promise<string[]> =>
      (await posted())
        .filter((m) => m.type === 'keys')
        .flatMap((m) => (m.events as { code: string; down: boolean }[]).map((e) => `${e.down ? '+' : '-'}${e.code}`));
    await page.click('#screen');
    await page.keyboard.type('b1');
    for (const key of ['Shift+KeyA', 'Enter', 'ArrowLeft', 'F1', 'Control+c']) await page.keyboard.press(key);
    assert.deepEqual(await keys(), [
      '+KeyB', '-KeyB', '+Digit1', '-Digit1', '+ShiftLeft', '+KeyA', '-KeyA', '-ShiftLeft',
      '+Enter', '-Enter', '+ArrowLeft', '-ArrowLeft', '+F1', '-F1', '+ControlLeft', '+KeyC', '-KeyC', '-ControlLeft',
    ]);
    // A key held when the screen loses focus is released in the guest.
    await page.keyboard.down('AltLeft');
    await page.evaluate(() => (globalThis as unknown as { document: { getElementById(id: string): { blur(): void } | null } }).document.getElementById('screen')?.blur());
    await page.keyboard.up('AltLeft');
    assert.deepEqual((await keys()).slice(-2), ['+AltLeft', '-AltLeft']);
    assert.deepEqual(await inputs('keyboard'), [], 'the screen sends key presses, not text');

    await page.click('#serial .xterm');

    await page.keyboard.type('hi');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => (globalThis as unknown as Hooks).__posted.some((m) => m.type === 'input' && m.target === 'serial' && String(m.text).includes('\r')));
    assert.equal((await inputs('serial')).join(''), 'hi\r');
  });

  it('writes serial output into the terminal', async () => {
    await host({ type: 'serial', text: 'Hello from COM1\nsecond line' });
    await page.waitForFunction(() => (globalThis as unknown as Hooks).__terminalRows().join('\n').includes('second line'));
    const rows = await page.evaluate(() => (globalThis as unknown as Hooks).__terminalRows());
    assert.deepEqual(rows.slice(0, 2), ['Hello from COM1', 'second line']);
  });

  it('answers takeScreenshot with a PNG of the screen', async () => {
    await host({ type: 'takeScreenshot', id: 7 });
    const shot = (await posted()).find((m) => m.type === 'screenshot');
    assert.equal(shot?.id, 7);
    const png = Buffer.from(String(shot?.dataUrl).replace(/^data:image\/png;base64,/, ''), 'base64');
    assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
    assert.equal(png.readUInt32BE(16), TEXT_WIDTH, 'PNG width');
    assert.equal(png.readUInt32BE(20), TEXT_HEIGHT, 'PNG height');
  });
});
