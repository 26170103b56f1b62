// VGA registers as text-mode and mode-13h software sees them, and views of
// the screen for the front ends.
//
// The frame buffers are plain guest RAM (the VMM maps 0xA0000-0xBFFFF as
// RAM): text at 0xB8000 (or 0xB0000 for the monochrome map), mode 13h pixels
// at 0xA0000. This device only keeps the registers: CRTC (cursor shape and
// position, start address), miscellaneous output, sequencer, graphics and
// attribute controllers, the DAC with its 256-entry palette, and input status
// 1, whose retrace bits follow the VirtualClock with the 70 Hz timing of the
// standard 720x400 text mode. Planar memory (modes 0Dh-12h and mode X) is not
// modelled; the BIOS sets `mode` to say which view the screen shows.

import type { Device, IoSize, PortHandler } from './bus';
import type { VirtualClock } from './clock';

export type VgaMode = 'text80x25' | 'graphics320x200x256';

export const TEXT_COLUMNS = 80;
export const TEXT_ROWS = 25;
export const MODE13H_WIDTH = 320;
export const MODE13H_HEIGHT = 200;

/** Code page 437 as Unicode: the glyphs a VGA's ROM font draws for each byte (NUL shows blank). */
const CP437 =
  ' ☺☻♥♦♣♠•◘○◙♂♀♪♫☼►◄↕‼¶§▬↨↑↓→←∟↔▲▼' +
  ' !"#$%&\'()*+,-./0123456789:;<=>?' +
  '@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_' +
  '`abcdefghijklmnopqrstuvwxyz{|}~⌂' +
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒ' +
  'áíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐' +
  '└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀' +
  'αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

/** Unicode for each of the 256 CP437 bytes. */
export const CP437_TO_UNICODE: readonly string[] = Array.from(CP437);

// Register values of BIOS mode 03h (80x25 colour text), from the IBM VGA reference.
const MODE3_CRTC = [
  0x5f, 0x4f, 0x50, 0x82, 0x55, 0x81, 0xbf, 0x1f, 0x00, 0x4f, 0x0d, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x9c, 0x8e, 0x8f,
  0x28, 0x1f, 0x96, 0xb9, 0xa3, 0xff,
];
const MODE3_SEQUENCER = [0x03, 0x00, 0x03, 0x00, 0x02];
const MODE3_GRAPHICS = [0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0e, 0x00, 0xff];
const MODE3_ATTRIBUTE = [
  0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x0c, 0x00, 0x0f,
  0x08, 0x00,
];
const MODE3_MISC_OUTPUT = 0x67;

/**
 * The VGA BIOS's default 256-colour palette (6-bit components): the 16 CGA
 * colours, 16 grey levels, then nine 24-hue colour wheels (three intensities
 * by three saturations), then 8 black entries.
 */
export function defaultVgaPalette(): Uint8Array {
  const palette = new Uint8Array(768);
  let n = 0;
  const put = (r: number, g: number, b: number): void => {
    palette[n++] = r;
    palette[n++] = g;
    palette[n++] = b;
  };
  for (let i = 0; i < 16; i++) {
    const intense = i & 8 ? 21 : 0;
    const r = (i & 4 ? 42 : 0) + intense;
    // Colour 6 is brown, not dark yellow: its green is halved.
    const g = i === 6 ? 21 : (i & 2 ? 42 : 0) + intense;
    const b = (i & 1 ? 42 : 0) + intense;
    put(r, g, b);
  }
  for (const grey of [0, 5, 8, 11, 14, 17, 20, 24, 28, 32, 36, 40, 45, 50, 56, 63]) put(grey, grey, grey);
  // Each wheel: [lowest, three steps, highest] component levels.
  const wheels = [
    [0, 16, 31, 47, 63],
    [31, 39, 47, 55, 63],
    [45, 49, 54, 58, 63],
    [0, 7, 14, 21, 28],
    [14, 17, 21, 24, 28],
    [20, 22, 24, 26, 28],
    [0, 4, 8, 12, 16],
    [8, 10, 12, 14, 16],
    [11, 12, 13, 15, 16],
  ];
  for (const levels of wheels) {
    const at = (k: number): number => levels[k] as number;
    // Blue -> magenta -> red -> yellow -> green -> cyan -> (blue), 4 steps per leg.
    for (let k = 0; k < 4; k++) put(at(k), at(0), at(4));
    for (let k = 4; k > 0; k--) put(at(4), at(0), at(k));
    for (let k = 0; k < 4; k++) put(at(4), at(k), at(0));
    for (let k = 4; k > 0; k--) put(at(k), at(4), at(0));
    for (let k = 0; k < 4; k++) put(at(0), at(4), at(k));
    for (let k = 4; k > 0; k--) put(at(0), at(k), at(4));
  }
  return palette; // the last 8 entries stay black
}

// 720x400 text timing: 28.322 MHz dot clock, 900 dots per line, 449 lines per frame (70 Hz).
const DOT_CLOCK_HZ = 28_322_000;
const LINE_NS = (900 * 1e9) / DOT_CLOCK_HZ;
const ACTIVE_LINE_NS = (720 * 1e9) / DOT_CLOCK_HZ;
const LINES_PER_FRAME = 449;
const ACTIVE_LINES = 400;
const VERTICAL_RETRACE_FIRST_LINE = 412;
const VERTICAL_RETRACE_LINES = 2;

const STATUS1_NOT_DISPLAYING = 0x01;
const STATUS1_VERTICAL_RETRACE = 0x08;

export interface VgaTextState {
  mode: VgaMode;
  miscOutput: number;
  featureControl: number;
  crtcIndex: number;
  crtc: number[];
  sequencerIndex: number;
  sequencer: number[];
  graphicsIndex: number;
  graphics: number[];
  attributeIndex: number;
  attribute: number[];
  /** false: the next 0x3C0 write is an index; true: data. */
  attributeDataNext: boolean;
  dac: number[];
  dacWriteIndex: number;
  dacReadIndex: number;
  /** Which of R, G, B the next 0x3C9 access is. */
  dacComponent: number;
  dacReading: boolean;
  pelMask: number;
}

export interface TextScreen {
  rows: string[];
  cells: Uint16Array;
  cursor: { row: number; col: number; visible: boolean };
  width: 80;
  height: 25;
}

export interface VgaTextView {
  mode: VgaMode;
  textBase: number;
  startAddress: number;
  cursor: { row: number; col: number; visible: boolean; location: number; startLine: number; endLine: number };
  miscOutput: number;
  crtc: number[];
  sequencer: number[];
  graphics: number[];
  attribute: number[];
  dac: { writeIndex: number; readIndex: number; pelMask: number };
}

function powerOnState(): VgaTextState {
  return {
    mode: 'text80x25',
    miscOutput: MODE3_MISC_OUTPUT,
    featureControl: 0,
    crtcIndex: 0,
    crtc: [...MODE3_CRTC],
    sequencerIndex: 0,
    sequencer: [...MODE3_SEQUENCER],
    graphicsIndex: 0,
    graphics: [...MODE3_GRAPHICS],
    attributeIndex: 0x20,
    attribute: [...MODE3_ATTRIBUTE],
    attributeDataNext: false,
    dac: Array.from(defaultVgaPalette()),
    dacWriteIndex: 0,
    dacReadIndex: 0,
    dacComponent: 0,
    dacReading: false,
    pelMask: 0xff,
  };
}

export class VgaText implements Device<VgaTextState>, PortHandler {
  readonly name = 'vga';
  readonly ports: readonly number[] = [
    0x3b4, 0x3b5, 0x3ba, 0x3c0, 0x3c1, 0x3c2, 0x3c3, 0x3c4, 0x3c5, 0x3c6, 0x3c7, 0x3c8, 0x3c9, 0x3ca, 0x3cc, 0x3ce,
    0x3cf, 0x3d4, 0x3d5, 0x3da,
  ];

  private state: VgaTextState = powerOnState();

  /** `ram` is a view of guest RAM from physical address 0 (at least up to 0xC0000). */
  constructor(
    private readonly clock: VirtualClock,
    private readonly ram: Uint8Array,
  ) {}

  /** Which screen the front ends should draw; set by the BIOS on a mode switch. */
  get mode(): VgaMode {
    return this.state.mode;
  }

  set mode(mode: VgaMode) {
    this.state.mode = mode;
  }

  reset(): void {
    this.state = powerOnState();
  }

  // ---- ports ----

  /** CRTC and input status 1 answer at 0x3Dx in colour mode and 0x3Bx in mono mode (misc output bit 0). */
  private crtcBase(): number {
    return this.state.miscOutput & 1 ? 0x3d0 : 0x3b0;
  }

  ioRead(port: number, size: IoSize): number {
    let value = 0;
    // A wider IN reads consecutive ports, low byte first.
    for (let i = 0; i < size; i++) value |= this.readByte(port + i) << (8 * i);
    return value >>> 0;
  }

  ioWrite(port: number, size: IoSize, value: number): void {
    // `out dx, ax` to an index port writes the index and then the data port.
    for (let i = 0; i < size; i++) this.writeByte(port + i, (value >>> (8 * i)) & 0xff);
  }

  private readByte(port: number): number {
    const s = this.state;
    if ((port & 0xfff0) === 0x3b0 || (port & 0xfff0) === 0x3d0) {
      if ((port & 0xfff0) !== this.crtcBase()) return 0xff;
      switch (port & 0x0f) {
        case 0x4:
          return s.crtcIndex;
        case 0x5:
          return s.crtc[s.crtcIndex] ?? 0;
        case 0xa:
          s.attributeDataNext = false;
          return this.inputStatus1();
        default:
          return 0xff;
      }
    }
    switch (port) {
      case 0x3c0:
        return s.attributeIndex;
      case 0x3c1:
        return s.attribute[s.attributeIndex & 0x1f] ?? 0;
      case 0x3c2:
        return 0x10; // input status 0: monitor sense says a colour display is attached
      case 0x3c3:
        return 0x01;
      case 0x3c4:
        return s.sequencerIndex;
      case 0x3c5:
        return s.sequencer[s.sequencerIndex] ?? 0;
      case 0x3c6:
        return s.pelMask;
      case 0x3c7:
        return s.dacReading ? 0x03 : 0x00;
      case 0x3c8:
        return s.dacWriteIndex;
      case 0x3c9: {
        const value = s.dac[s.dacReadIndex * 3 + s.dacComponent] ?? 0;
        if (++s.dacComponent === 3) {
          s.dacComponent = 0;
          s.dacReadIndex = (s.dacReadIndex + 1) & 0xff;
        }
        return value;
      }
      case 0x3ca:
        return s.featureControl;
      case 0x3cc:
        return s.miscOutput;
      case 0x3ce:
        return s.graphicsIndex;
      case 0x3cf:
        return s.graphics[s.graphicsIndex] ?? 0;
      default:
        return 0xff;
    }
  }

  private writeByte(port: number, value: number): void {
    const s = this.state;
    if ((port & 0xfff0) === 0x3b0 || (port & 0xfff0) === 0x3d0) {
      if ((port & 0xfff0) !== this.crtcBase()) return;
      switch (port & 0x0f) {
        case 0x4:
          s.crtcIndex = value;
          return;
        case 0x5:
          this.writeCrtc(s.crtcIndex, value);
          return;
        case 0xa:
          s.featureControl = value;
          return;
        default:
          return;
      }
    }
    switch (port) {
      case 0x3c0:
        if (!s.attributeDataNext) {
          s.attributeIndex = value & 0x3f;
        } else if ((s.attributeIndex & 0x1f) < s.attribute.length) {
          s.attribute[s.attributeIndex & 0x1f] = value;
        }
        s.attributeDataNext = !s.attributeDataNext;
        return;
      case 0x3c2:
        s.miscOutput = value;
        return;
      case 0x3c4:
        s.sequencerIndex = value & 0x07;
        return;
      case 0x3c5:
        if (s.sequencerIndex < s.sequencer.length) s.sequencer[s.sequencerIndex] = value;
        return;
      case 0x3c6:
        s.pelMask = value;
        return;
      case 0x3c7:
        s.dacReadIndex = value;
        s.dacComponent = 0;
        s.dacReading = true;
        return;
      case 0x3c8:
        s.dacWriteIndex = value;
        s.dacComponent = 0;
        s.dacReading = false;
        return;
      case 0x3c9:
        s.dac[s.dacWriteIndex * 3 + s.dacComponent] = value & 0x3f;
        if (++s.dacComponent === 3) {
          s.dacComponent = 0;
          s.dacWriteIndex = (s.dacWriteIndex + 1) & 0xff;
        }
        return;
      case 0x3ce:
        s.graphicsIndex = value & 0x0f;
        return;
      case 0x3cf:
        if (s.graphicsIndex < s.graphics.length) s.graphics[s.graphicsIndex] = value;
        return;
      default:
        return;
    }
  }

  private writeCrtc(index: number, value: number): void {
    const s = this.state;
    if (index >= s.crtc.length) return;
    // CRTC register 0x11 bit 7 write-protects registers 0-7 (except the line compare bit of 7).
    if ((s.crtc[0x11] ?? 0) & 0x80 && index <= 7) {
      if (index === 7) s.crtc[7] = ((s.crtc[7] ?? 0) & ~0x10) | (value & 0x10);
      return;
    }
    s.crtc[index] = value;
  }

  /** Input status 1: retrace bits from the beam position at the current guest time. */
  private inputStatus1(): number {
    const inFrame = this.clock.now() % (LINE_NS * LINES_PER_FRAME);
    const line = Math.floor(inFrame / LINE_NS);
    const inLine = inFrame - line * LINE_NS;
    let status = 0;
    if (line >= ACTIVE_LINES || inLine >= ACTIVE_LINE_NS) status |= STATUS1_NOT_DISPLAYING;
    if (line >= VERTICAL_RETRACE_FIRST_LINE && line < VERTICAL_RETRACE_FIRST_LINE + VERTICAL_RETRACE_LINES) {
      status |= STATUS1_VERTICAL_RETRACE;
    }
    return status;
  }

  // ---- screen views ----

  /** Physical address of the text buffer: graphics controller misc register bits 3-2 pick the memory map. */
  private textBase(): number {
    const map = ((this.state.graphics[6] ?? 0) >> 2) & 3;
    return [0xa0000, 0xa0000, 0xb0000, 0xb8000][map] as number;
  }

  private startAddress(): number {
    const c = this.state.crtc;
    return ((c[0x0c] ?? 0) << 8) | (c[0x0d] ?? 0);
  }

  private cursor(): VgaTextView['cursor'] {
    const c = this.state.crtc;
    const location = ((c[0x0e] ?? 0) << 8) | (c[0x0f] ?? 0);
    const stride = this.rowStride();
    const relative = location - this.startAddress();
    const row = Math.floor(relative / stride);
    const col = relative - row * stride;
    const startLine = (c[0x0a] ?? 0) & 0x1f;
    const endLine = (c[0x0b] ?? 0) & 0x1f;
    const onScreen = relative >= 0 && row < TEXT_ROWS && col < TEXT_COLUMNS;
    // Bit 5 of the cursor start register turns the cursor off; so does start > end.
    const visible = onScreen && ((c[0x0a] ?? 0) & 0x20) === 0 && startLine <= endLine;
    return { row, col, visible, location, startLine, endLine };
  }

  /** Characters from one row to the next: the CRTC offset register counts words. */
  private rowStride(): number {
    const offset = this.state.crtc[0x13] ?? 0;
    return offset === 0 ? TEXT_COLUMNS : offset * 2;
  }

  /** The 80x25 text screen: characters as Unicode rows, char+attribute words, and the cursor. */
  textScreen(): TextScreen {
    const base = this.textBase();
    // The text window wraps within 32 KiB.
    const windowMask = 0x7fff;
    const start = this.startAddress() * 2;
    const stride = this.rowStride();
    const cells = new Uint16Array(TEXT_COLUMNS * TEXT_ROWS);
    const rows: string[] = [];
    for (let row = 0; row < TEXT_ROWS; row++) {
      let text = '';
      for (let col = 0; col < TEXT_COLUMNS; col++) {
        const offset = (start + (row * stride + col) * 2) & windowMask;
        const ch = this.ram[base + offset] ?? 0;
        const attr = this.ram[base + ((offset + 1) & windowMask)] ?? 0;
        cells[row * TEXT_COLUMNS + col] = ch | (attr << 8);
        text += CP437_TO_UNICODE[ch];
      }
      rows.push(text);
    }
    const { row, col, visible } = this.cursor();
    return { rows, cells, cursor: { row, col, visible }, width: TEXT_COLUMNS, height: TEXT_ROWS };
  }

  /** The palette entry `index` as 8-bit RGB. */
  paletteRgb(index: number): [number, number, number] {
    const dac = this.state.dac;
    const scale = (v: number): number => (v << 2) | (v >> 4);
    return [scale(dac[index * 3] ?? 0), scale(dac[index * 3 + 1] ?? 0), scale(dac[index * 3 + 2] ?? 0)];
  }

  /** Mode 13h: 320x200 RGBA from the bytes at 0xA0000 through the DAC (and PEL mask). */
  framebuffer13h(): Uint8Array {
    const pixels = MODE13H_WIDTH * MODE13H_HEIGHT;
    const rgba = new Uint8Array(pixels * 4);
    const lookup = new Uint8Array(256 * 3);
    for (let i = 0; i < 256; i++) lookup.set(this.paletteRgb(i), i * 3);
    const mask = this.state.pelMask;
    for (let p = 0; p < pixels; p++) {
      const index = ((this.ram[0xa0000 + p] ?? 0) & mask) * 3;
      rgba[p * 4] = lookup[index] as number;
      rgba[p * 4 + 1] = lookup[index + 1] as number;
      rgba[p * 4 + 2] = lookup[index + 2] as number;
      rgba[p * 4 + 3] = 0xff;
    }
    return rgba;
  }

  // ---- state ----

  saveState(): VgaTextState {
    return JSON.parse(JSON.stringify(this.state)) as VgaTextState;
  }

  loadState(state: VgaTextState): void {
    this.state = JSON.parse(JSON.stringify(state)) as VgaTextState;
  }

  describe(): VgaTextView {
    const s = this.state;
    return {
      mode: s.mode,
      textBase: this.textBase(),
      startAddress: this.startAddress(),
      cursor: this.cursor(),
      miscOutput: s.miscOutput,
      crtc: [...s.crtc],
      sequencer: [...s.sequencer],
      graphics: [...s.graphics],
      attribute: [...s.attribute],
      dac: { writeIndex: s.dacWriteIndex, readIndex: s.dacReadIndex, pelMask: s.pelMask },
    };
  }
}
