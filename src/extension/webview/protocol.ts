// The messages between the "VM Screen" panel's two halves: the extension
// host side (ScreenPanel, src/extension/screenPanel.ts), which talks DAP to
// the debug adapter, and the webview page (main.ts), which draws the screen
// and runs the serial terminal. Both import this file, so it holds plain
// types only (no DOM, no vscode, no Node).
//
// The screen bodies are the adapter's own (see src/debugAdapter/screenWatch.ts
// and customRequests.ts), forwarded untouched: the page applies them, the
// host does not need to understand them. They are declared again here
// rather than imported because the page may import nothing outside its
// folder but @xterm/xterm.

/** The VGA text cursor (the adapter's `cursor`). */
export interface TextCursor {
  row: number;
  col: number;
  visible: boolean;
}

/** One changed row of the text screen. */
export interface TextRowUpdate {
  row: number;
  /** The row as Unicode (CP437 glyphs); the page draws from `cells`. */
  text: string;
  /** The row's character+attribute byte pairs (160 bytes for 80 columns), base64. */
  cells: string;
}

/** The body of the adapter's `vmexit.screen` event. */
export type ScreenEventBody =
  | {
      mode: 'text';
      width: number;
      height: number;
      /** Every row is in `rows` (first event, or a mode switch): the page forgets the old screen. */
      full: boolean;
      /** Only the rows that changed, unless `full`. */
      rows: TextRowUpdate[];
      cursor: TextCursor;
    }
  | {
      mode: 'graphics';
      width: number;
      height: number;
      /** The pixels or the palette changed; the page answers with `requestFramebuffer`. */
      changed: true;
    };

/** The body of the adapter's `vmexit.framebuffer` response (mode 13h through the DAC). */
export interface FramebufferBody {
  width: number;
  height: number;
  /** width*height RGBA pixels, base64. */
  rgba: string;
}

/** What the debug session is doing, for the panel's header line. */
export type SessionState = 'starting' | 'running' | 'stopped' | 'ended';

/**
 * How blinking text and the cursor behave. `running` follows the VGA's
 * timing; `shown` and `hidden` freeze the phase (blinking characters and the
 * cursor steadily drawn, or steadily not): for a still screenshot, for people
 * who find blinking distracting, and for tests that compare pixels.
 */
export type BlinkMode = 'running' | 'shown' | 'hidden';

/** Host → webview. */
export type HostMessage =
  /** A `vmexit.screen` event body, as the adapter sent it. */
  | { type: 'screen'; body: ScreenEventBody }
  /** A `vmexit.framebuffer` response body (after `requestFramebuffer`, or unasked). */
  | { type: 'framebuffer'; body: FramebufferBody }
  /** Serial output from the guest (a `vmexit.serial` event's `text`), for the terminal. */
  | { type: 'serial'; text: string }
  /** The session changed state; `detail` is a short free text (the stop reason, the exit status). */
  | { type: 'session'; state: SessionState; name?: string; detail?: string }
  /** A new debug session uses the panel: clear the screen and the terminal. */
  | { type: 'reset'; name?: string }
  /** Answer with a `screenshot` message carrying the same `id`. */
  | { type: 'takeScreenshot'; id: number }
  | { type: 'setBlink'; mode: BlinkMode };

/** One key going down or up. */
export interface KeyEvent {
  code: string;
  down: boolean;
}

/** Where typed text goes: the adapter's `vmexit.input` targets. */
export type InputTarget = 'serial' | 'keyboard';

/** Webview → host. */
export type WebviewMessage =
  /** The page has loaded and listens; the host sends the current state (a full screen, the session state). */
  | { type: 'ready' }
  /**
   * Text typed by the user, for `vmexit.input { text, target }`.
   * `serial`: what the terminal produced (xterm's encoding: Enter is "\r",
   * Backspace "\x7f", arrows as ANSI escape sequences).
   * `keyboard`: text typed on the guest's PS/2 keyboard (US layout).
   * The screen itself sends key presses (`keys`) instead.
   */
  | { type: 'input'; target: InputTarget; text: string }
  /**
   * Keys pressed and released while the screen has focus, for
   * `vmexit.keys { events }`: `code` is the `KeyboardEvent.code` (the key's
   * place on the keyboard, whatever the host's layout), so arrows,
   * function keys, modifiers and chords reach the guest as on a PC.
   */
  | { type: 'keys'; events: KeyEvent[] }
  /** The guest's mode 13h screen changed: send a `framebuffer` (one request in flight at a time). */
  | { type: 'requestFramebuffer' }
  /** The answer to `takeScreenshot`: the screen at its native resolution as a PNG data URL. */
  | { type: 'screenshot'; id: number; dataUrl: string };
