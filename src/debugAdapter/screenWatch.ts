// The `vmexit.screen` event for the screen panel: while the guest runs, at
// most one event per SCREEN_INTERVAL_MS, and only when the screen changed;
// a stop sends what changed at once. DAP-free: the adapter sends the bodies.
//
// Bodies (the panel keeps the screen and applies them):
//   text mode   { mode: 'text', width: 80, height: 25, full,
//                 rows: [{ row, text, cells }], cursor: { row, col, visible } }
//               `rows` lists only the rows that changed since the last event
//               (every row when `full`: the first event, or after a mode
//               switch); `text` is Unicode (CP437 glyphs), `cells` the row's
//               160 bytes of character+attribute pairs in base64. The cursor
//               is always included; a cursor move alone sends an event.
//   mode 13h    { mode: 'graphics', width: 320, height: 200, changed: true }
//               the pixels or the palette changed; fetch them with the
//               `vmexit.framebuffer` request (RGBA, base64).
//
// Cost when nothing changes: one compare of the 2000 text cells, or of the
// 64000 mode-13h bytes and the 768-byte palette, per interval; nothing on
// the guest's path.

import { mode13hPixels, TextScreen, vgaMode, vgaPalette, vgaTextScreen } from '../vmm/inspect';
import type { PcMachine } from '../vmm/pc';

export const SCREEN_INTERVAL_MS = 100;

export interface TextRowChange {
  row: number;
  text: string;
  cells: string;
}

export type ScreenEventBody =
  | { mode: 'text'; width: number; height: number; full: boolean; rows: TextRowChange[]; cursor: TextScreen['cursor'] }
  | { mode: 'graphics'; width: number; height: number; changed: true };

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  const n = a.length >>> 2;
  if ((a.byteOffset & 3) === 0 && (b.byteOffset & 3) === 0) {
    const wa = new Uint32Array(a.buffer, a.byteOffset, n);
    const wb = new Uint32Array(b.buffer, b.byteOffset, n);
    for (let i = 0; i < n; i++) if (wa[i] !== wb[i]) return false;
  } else {
    for (let i = 0; i < n * 4; i++) if (a[i] !== b[i]) return false;
  }
  for (let i = n * 4; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Compares the screen with what the last event described. */
export class ScreenDiff {
  private mode: 'text' | 'graphics' | null = null;
  private cells: Uint16Array | null = null;
  private cursor = '';
  private pixels: Uint8Array | null = null;
  private palette: Uint8Array | null = null;

  /** Forget the last screen: the next poll sends everything. */
  reset(): void {
    this.mode = null;
    this.cells = null;
    this.pixels = null;
    this.palette = null;
    this.cursor = '';
  }

  /** What changed since the last call, or null when nothing did. */
  poll(machine: PcMachine): ScreenEventBody | null {
    return vgaMode(machine) === 'text80x25' ? this.text(machine) : this.graphics(machine);
  }

  private text(machine: PcMachine): ScreenEventBody | null {
    const screen = vgaTextScreen(machine);
    const full = this.mode !== 'text' || this.cells === null;
    const rows: TextRowChange[] = [];
    const width = screen.width;
    for (let row = 0; row < screen.height; row++) {
      let changed = full;
      for (let col = 0; !changed && col < width; col++) {
        if (this.cells?.[row * width + col] !== screen.cells[row * width + col]) changed = true;
      }
      if (!changed) continue;
      const slice = screen.cells.slice(row * width, (row + 1) * width);
      rows.push({ row, text: screen.rows[row], cells: Buffer.from(slice.buffer, slice.byteOffset, slice.byteLength).toString('base64') });
    }
    const cursor = JSON.stringify(screen.cursor);
    if (!full && rows.length === 0 && cursor === this.cursor) return null;
    this.mode = 'text';
    this.cells = screen.cells;
    this.cursor = cursor;
    this.pixels = null;
    this.palette = null;
    return { mode: 'text', width, height: screen.height, full, rows, cursor: screen.cursor };
  }

  private graphics(machine: PcMachine): ScreenEventBody | null {
    const pixels = mode13hPixels(machine);
    const palette = vgaPalette(machine);
    const same = this.mode === 'graphics' && this.pixels !== null && this.palette !== null && sameBytes(this.pixels, pixels) && sameBytes(this.palette, palette);
    if (same) return null;
    this.mode = 'graphics';
    this.pixels = pixels.slice();
    this.palette = palette;
    this.cells = null;
    return { mode: 'graphics', width: 320, height: 200, changed: true };
  }
}

/** Polls a machine every SCREEN_INTERVAL_MS while asked to, sending what changed. */
export class ScreenWatch {
  private readonly diff = new ScreenDiff();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly machine: () => PcMachine | null,
    private readonly send: (body: ScreenEventBody) => void,
  ) {}

  /** Send what changed now (a stop, a memory write). */
  flush(): void {
    const m = this.machine();
    if (!m) return;
    const body = this.diff.poll(m);
    if (body) this.send(body);
  }

  /** Poll every interval while `running()` says the guest runs. */
  start(running: () => boolean): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (running()) this.flush();
    }, SCREEN_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** A new machine (restart): the next event is a full one. */
  reset(): void {
    this.diff.reset();
  }
}
