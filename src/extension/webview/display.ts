// The guest's screen on the page's canvas. The canvas holds the screen at
// its native resolution (720x400 in text mode, 320x200 in mode 13h) and CSS
// enlarges it by a whole number (image-rendering: pixelated), so pixels stay
// square and sharp and a screenshot is the guest's own resolution.
//
// Cost: messages only change the model and mark rows; one
// requestAnimationFrame callback draws what is marked, so a flood of events
// costs at most one draw per frame, and only changed text rows are redrawn
// (one putImageData per row).

import { GLYPH_HEIGHT, buildCp437Font } from './font/font';
import { TEXT_PALETTE } from './palette';
import type { BlinkMode, FramebufferBody, ScreenEventBody } from './protocol';
import { drawTextRow, packPalette, TEXT_PIXEL_HEIGHT, TEXT_PIXEL_WIDTH, TextScreenState } from './textScreen';
import type { BlinkPhase } from './textScreen';

/**
 * Blink timing: a VGA toggles the cursor every 8 frames and blinking
 * characters every 16; counted at 60 frames a second that is a cursor
 * half-period of 133 ms and a character blink of about 1.9 Hz.
 */
const CURSOR_HALF_PERIOD_MS = 8000 / 60;

export function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export class ScreenDisplay {
  private readonly ctx: CanvasRenderingContext2D;
  private readonly font = buildCp437Font();
  private readonly colours = packPalette(TEXT_PALETTE);
  readonly text = new TextScreenState();
  private textImage: ImageData;
  private textPixels: Uint32Array;
  private graphicsImage: ImageData | null = null;
  private mode: 'text' | 'graphics' = 'text';
  private drawPending = false;
  private graphicsDirty = false;
  private blinkMode: BlinkMode;
  private phase: BlinkPhase = { characters: true, cursor: true };
  private blinkTimer: number | undefined;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly area: HTMLElement,
    reducedMotion: boolean,
  ) {
    const ctx = canvas.getContext('2d', { alpha: false });
    if (ctx === null) throw new Error('The screen needs a 2D canvas');
    this.ctx = ctx;
    this.textImage = ctx.createImageData(TEXT_PIXEL_WIDTH, TEXT_PIXEL_HEIGHT);
    this.textPixels = new Uint32Array(this.textImage.data.buffer);
    // Steady rather than blinking for people who asked their system for less motion.
    this.blinkMode = reducedMotion ? 'shown' : 'running';
    this.setCanvasSize(TEXT_PIXEL_WIDTH, TEXT_PIXEL_HEIGHT);
    this.text.markAll();
    this.schedule();
    this.updateBlinkTimer();
    new ResizeObserver(() => this.fit()).observe(area);
  }

  get currentMode(): 'text' | 'graphics' {
    return this.mode;
  }

  /** A `vmexit.screen` event. Returns true when the page should ask for the framebuffer. */
  applyScreen(body: ScreenEventBody): boolean {
    if (body.mode === 'graphics') return true;
    if (this.mode !== 'text') {
      this.mode = 'text';
      this.setCanvasSize(TEXT_PIXEL_WIDTH, TEXT_PIXEL_HEIGHT);
      this.text.markAll();
    }
    this.text.apply(body.full, body.rows, body.cursor, decodeBase64);
    this.updateBlinkTimer();
    this.schedule();
    return false;
  }

  applyFramebuffer(body: FramebufferBody): void {
    const { width, height } = body;
    const rgba = decodeBase64(body.rgba);
    if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0 || rgba.length !== width * height * 4) return;
    if (this.graphicsImage === null || this.graphicsImage.width !== width || this.graphicsImage.height !== height) {
      this.graphicsImage = this.ctx.createImageData(width, height);
    }
    this.graphicsImage.data.set(rgba);
    if (this.mode !== 'graphics' || this.canvas.width !== width || this.canvas.height !== height) {
      this.mode = 'graphics';
      this.setCanvasSize(width, height);
    }
    this.graphicsDirty = true;
    this.updateBlinkTimer();
    this.schedule();
  }

  /** Back to a blank text screen (a new session). */
  clear(): void {
    this.text.cells.fill(0);
    this.text.cursor = { row: 0, col: 0, visible: false };
    this.graphicsImage = null;
    this.mode = 'text';
    this.setCanvasSize(TEXT_PIXEL_WIDTH, TEXT_PIXEL_HEIGHT);
    this.text.markAll();
    this.schedule();
  }

  setBlink(mode: BlinkMode): void {
    this.blinkMode = mode;
    this.setPhase(mode === 'hidden' ? { characters: false, cursor: false } : { characters: true, cursor: true });
    this.updateBlinkTimer();
  }

  /** The screen as a PNG data URL at its native resolution, with everything drawn first. */
  screenshot(): string {
    this.draw();
    return this.canvas.toDataURL('image/png');
  }

  private schedule(): void {
    if (this.drawPending) return;
    this.drawPending = true;
    requestAnimationFrame(() => this.draw());
  }

  private draw(): void {
    this.drawPending = false;
    if (this.mode === 'graphics') {
      if (this.graphicsDirty && this.graphicsImage !== null) this.ctx.putImageData(this.graphicsImage, 0, 0);
      this.graphicsDirty = false;
      return;
    }
    for (const row of this.text.takeDirtyRows()) {
      drawTextRow(this.textPixels, this.text, row, this.font, this.colours, this.phase);
      this.ctx.putImageData(this.textImage, 0, 0, 0, row * GLYPH_HEIGHT, TEXT_PIXEL_WIDTH, GLYPH_HEIGHT);
    }
  }

  private setPhase(phase: BlinkPhase): void {
    const characters = phase.characters !== this.phase.characters;
    const cursor = phase.cursor !== this.phase.cursor;
    if (!characters && !cursor) return;
    this.phase = phase;
    this.text.markBlinking(characters, cursor);
    this.schedule();
  }

  /** The blink clock runs only while it can change something: running mode, text on screen. */
  private updateBlinkTimer(): void {
    const wanted = this.blinkMode === 'running' && this.mode === 'text';
    if (wanted && this.blinkTimer === undefined) {
      this.blinkTimer = window.setInterval(() => {
        const tick = Math.floor(performance.now() / CURSOR_HALF_PERIOD_MS);
        this.setPhase({ cursor: tick % 2 === 0, characters: Math.floor(tick / 2) % 2 === 0 });
      }, CURSOR_HALF_PERIOD_MS / 2);
    } else if (!wanted && this.blinkTimer !== undefined) {
      window.clearInterval(this.blinkTimer);
      this.blinkTimer = undefined;
    }
  }

  private setCanvasSize(width: number, height: number): void {
    // Resizing a canvas clears it; everything is drawn again.
    this.canvas.width = width;
    this.canvas.height = height;
    this.graphicsDirty = true;
    this.text.markAll();
    this.fit();
  }

  /** Enlarge by the largest whole number that fits the area (or shrink to fit when even 1x does not). */
  private fit(): void {
    const { clientWidth, clientHeight } = this.area;
    const fits = Math.min(clientWidth / this.canvas.width, clientHeight / this.canvas.height);
    const scale = fits >= 1 ? Math.floor(fits) : fits > 0 ? fits : 1;
    this.canvas.style.width = `${Math.floor(this.canvas.width * scale)}px`;
    this.canvas.style.height = `${Math.floor(this.canvas.height * scale)}px`;
  }
}
