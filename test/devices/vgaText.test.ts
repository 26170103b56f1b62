import { strict as assert } from 'node:assert';
import { CP437_TO_UNICODE, VgaText, defaultVgaPalette } from '../../src/devices/vgaText';
import { FakeMachine } from './helpers';

describe('VgaText', () => {
  let machine: FakeMachine;
  let ram: Uint8Array;
  let vga: VgaText;

  function poke(text: string, row: number, col: number, attr = 0x07): void {
    for (let i = 0; i < text.length; i++) {
      const at = 0xb8000 + (row * 80 + col + i) * 2;
      ram[at] = text.charCodeAt(i);
      ram[at + 1] = attr;
    }
  }

  function setCursor(location: number): void {
    vga.ioWrite(0x3d4, 1, 0x0e);
    vga.ioWrite(0x3d5, 1, location >> 8);
    vga.ioWrite(0x3d4, 1, 0x0f);
    vga.ioWrite(0x3d5, 1, location & 0xff);
  }

  beforeEach(() => {
    machine = new FakeMachine();
    ram = new Uint8Array(0x100000);
    vga = new VgaText(machine.clock, ram);
  });

  it('maps all 256 code page 437 bytes', () => {
    assert.equal(CP437_TO_UNICODE.length, 256);
    assert.equal(CP437_TO_UNICODE[0x41], 'A');
    assert.equal(CP437_TO_UNICODE[0x01], '☺');
    assert.equal(CP437_TO_UNICODE[0xc9], '╔');
    assert.equal(CP437_TO_UNICODE[0xdb], '█');
    assert.equal(CP437_TO_UNICODE[0xe1], 'ß');
    assert.equal(CP437_TO_UNICODE[0x7f], '⌂');
  });

  it('reads the text screen from RAM at 0xB8000', () => {
    poke('Hello, world', 0, 0, 0x1f);
    poke('\xc9\xcd\xbb', 24, 77);
    const screen = vga.textScreen();
    assert.equal(screen.rows.length, 25);
    assert.equal(screen.rows[0]?.slice(0, 12), 'Hello, world');
    assert.equal(screen.rows[0]?.length, 80);
    assert.equal(screen.rows[24]?.slice(77), '╔═╗');
    assert.equal(screen.cells[0], 0x1f48);
    assert.equal(screen.cells[24 * 80 + 79], 0x07bb);
  });

  it('places the cursor from CRTC 0x0E/0x0F, also written as a word to the index port', () => {
    setCursor(3 * 80 + 5);
    assert.deepEqual(vga.textScreen().cursor, { row: 3, col: 5, visible: true });
    vga.ioWrite(0x3d4, 2, 0x0e | (0x07 << 8));
    vga.ioWrite(0x3d4, 2, 0x0f | (0xcf << 8));
    assert.deepEqual(vga.textScreen().cursor, { row: 24, col: 79, visible: true });
    vga.ioWrite(0x3d4, 2, 0x0a | (0x20 << 8)); // cursor off
    assert.equal(vga.textScreen().cursor.visible, false);
    vga.ioWrite(0x3d4, 1, 0x0a);
    assert.equal(vga.ioRead(0x3d5, 1), 0x20);
  });

  it('scrolls with the start address', () => {
    poke('second row', 1, 0);
    vga.ioWrite(0x3d4, 2, 0x0c | (0x00 << 8));
    vga.ioWrite(0x3d4, 2, 0x0d | (80 << 8));
    setCursor(80 + 2);
    const screen = vga.textScreen();
    assert.equal(screen.rows[0]?.slice(0, 10), 'second row');
    assert.deepEqual(screen.cursor, { row: 0, col: 2, visible: true });
  });

  it('answers CRTC at 0x3Bx instead of 0x3Dx when misc output selects mono addressing', () => {
    assert.equal(vga.ioRead(0x3cc, 1), 0x67);
    vga.ioWrite(0x3c2, 1, 0x66);
    vga.ioWrite(0x3d4, 1, 0x0e);
    assert.equal(vga.ioRead(0x3d5, 1), 0xff);
    vga.ioWrite(0x3b4, 1, 0x0e);
    vga.ioWrite(0x3b5, 1, 0x01);
    assert.equal(vga.ioRead(0x3b5, 1), 0x01);
  });

  it('write-protects CRTC 0-7 when 0x11 bit 7 is set', () => {
    vga.ioWrite(0x3d4, 1, 0x11);
    vga.ioWrite(0x3d5, 1, 0x8e);
    vga.ioWrite(0x3d4, 1, 0x01);
    vga.ioWrite(0x3d5, 1, 0x27);
    assert.equal(vga.ioRead(0x3d5, 1), 0x4f);
    vga.ioWrite(0x3d4, 1, 0x11);
    vga.ioWrite(0x3d5, 1, 0x0e);
    vga.ioWrite(0x3d4, 1, 0x01);
    vga.ioWrite(0x3d5, 1, 0x27);
    assert.equal(vga.ioRead(0x3d5, 1), 0x27);
  });

  it('shows vertical retrace 70 times per guest second in input status 1', () => {
    let retraces = 0;
    let inRetrace = false;
    let displayDisabledSeen = false;
    for (let t = 0; t < 1e9; t += 20_000) {
      machine.instructions = t / 10;
      const status = vga.ioRead(0x3da, 1);
      if (status & 1) displayDisabledSeen = true;
      const now = (status & 8) !== 0;
      if (now && !inRetrace) retraces++;
      inRetrace = now;
      if (now) assert.equal(status & 1, 1, 'retrace is not display time');
    }
    assert.ok(displayDisabledSeen);
    assert.equal(retraces, 70);
  });

  it('resets the attribute flip-flop on an input status 1 read', () => {
    vga.ioWrite(0x3c0, 1, 0x10); // index: mode control
    vga.ioRead(0x3da, 1); // back to index state
    vga.ioWrite(0x3c0, 1, 0x31); // index 0x11 with PAS
    vga.ioWrite(0x3c0, 1, 0x05); // data: overscan colour
    assert.equal(vga.ioRead(0x3c0, 1), 0x31);
    assert.equal(vga.ioRead(0x3c1, 1), 0x05);
    vga.ioWrite(0x3c0, 1, 0x30);
    assert.equal(vga.ioRead(0x3c1, 1), 0x0c, 'mode control untouched');
  });

  it('has the standard default palette and reads and writes the DAC', () => {
    const palette = defaultVgaPalette();
    assert.deepEqual([...palette.subarray(6 * 3, 6 * 3 + 3)], [42, 21, 0]);
    assert.deepEqual([...palette.subarray(31 * 3, 31 * 3 + 3)], [63, 63, 63]);
    assert.deepEqual([...palette.subarray(44 * 3, 44 * 3 + 3)], [63, 63, 0]);
    assert.deepEqual([...palette.subarray(104 * 3, 104 * 3 + 3)], [0, 0, 28]);
    assert.deepEqual([...palette.subarray(248 * 3)], new Array(24).fill(0));
    vga.ioWrite(0x3c7, 1, 0x01);
    assert.equal(vga.ioRead(0x3c7, 1), 0x03);
    assert.deepEqual([0, 0, 0, 0, 0, 0].map(() => vga.ioRead(0x3c9, 1)), [0, 0, 42, 0, 42, 0]);
    vga.ioWrite(0x3c8, 1, 0x05);
    for (const v of [63, 0, 0, 0x7f, 1, 2]) vga.ioWrite(0x3c9, 1, v);
    assert.equal(vga.ioRead(0x3c8, 1), 0x07);
    assert.deepEqual(vga.paletteRgb(5), [255, 0, 0]);
    assert.deepEqual(vga.paletteRgb(6), [255, 4, 8]);
  });

  it('renders mode 13h through the DAC', () => {
    vga.mode = 'graphics320x200x256';
    ram[0xa0000] = 0x0f;
    ram[0xa0000 + 319] = 0x01;
    ram[0xa0000 + 320 * 200 - 1] = 0x20;
    const fb = vga.framebuffer13h();
    assert.equal(fb.length, 320 * 200 * 4);
    assert.deepEqual([...fb.subarray(0, 4)], [255, 255, 255, 255]);
    assert.deepEqual([...fb.subarray(319 * 4, 320 * 4)], [0, 0, 170, 255]);
    assert.deepEqual([...fb.subarray(fb.length - 4)], [0, 0, 255, 255]);
    assert.deepEqual([...fb.subarray(4, 8)], [0, 0, 0, 255]);
  });

  it('round-trips its state', () => {
    vga.mode = 'graphics320x200x256';
    setCursor(1234);
    vga.ioWrite(0x3c8, 1, 0x10);
    vga.ioWrite(0x3c9, 1, 0x11);
    const copy = new VgaText(machine.clock, ram);
    copy.loadState(JSON.parse(JSON.stringify(vga.saveState())));
    assert.deepEqual(copy.describe(), vga.describe());
    copy.ioWrite(0x3c9, 1, 0x22);
    copy.ioWrite(0x3c9, 1, 0x33);
    assert.deepEqual(copy.paletteRgb(0x10), [0x11 * 4 + 1, 0x22 * 4 + 2, 0x33 * 4 + 3]);
  });
});
