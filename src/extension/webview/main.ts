// The "VM Screen" panel's page: a status line, the guest's screen (text
// mode or mode 13h) and the serial console, talking to the extension host
// through postMessage (protocol.ts). Its state (the text screen, the
// terminal's recent output, the session line) survives the panel being
// hidden and shown again through the webview state API.

import { Terminal } from '@xterm/xterm';
import { ScreenDisplay, decodeBase64 } from './display';
import type { HostMessage, SessionState, TextCursor, WebviewMessage } from './protocol';
import { nonceStyleElements } from './styleNonce';
import { TEXT_ROWS } from './textScreen';

/** What the page keeps across a hide/show of the panel. */
interface SavedState {
  cells: string;
  cursor: TextCursor;
  session: { state: SessionState; name?: string; detail?: string } | null;
  serial: string;
}

interface VsCodeApi {
  postMessage(message: WebviewMessage): void;
  getState(): SavedState | undefined;
  setState(state: SavedState): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

/** How much serial output the saved state keeps for the terminal (characters). */
const SAVED_SERIAL_CHARS = 32 * 1024;
const SAVE_DELAY_MS = 500;


function element<T extends HTMLElement>(id: string, type: new () => T): T {
  const e = document.getElementById(id);
  if (!(e instanceof type)) throw new Error(`The page has no #${id}`);
  return e;
}

function encodeBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

function cssVariable(name: string, fallback: string): string {
  const value = getComputedStyle(document.body).getPropertyValue(name).trim();
  return value === '' ? fallback : value;
}

class ScreenPage {
  private readonly vscode = acquireVsCodeApi();
  private readonly status = element('status', HTMLElement);
  private readonly canvas = element('screen', HTMLCanvasElement);
  private readonly display: ScreenDisplay;
  private readonly terminal: Terminal;
  private session: SavedState['session'] = null;
  private serialTail = '';
  private saveTimer: number | undefined;
  private framebufferInFlight = false;
  private framebufferWanted = false;
  /** Keys pressed on the screen and not yet released (by code). */
  private readonly heldKeys = new Set<string>();

  constructor() {
    const reducedMotion = window.matchMedia('(prefers-reduced-motion: reduce)').matches;
    this.display = new ScreenDisplay(this.canvas, element('screen-area', HTMLElement), reducedMotion);
    this.terminal = new Terminal({
      cols: 80,
      rows: 12,
      // Guests often end serial lines with a bare "\n".
      convertEol: true,
      scrollback: 5000,
      fontFamily: cssVariable('--vscode-editor-font-family', 'monospace'),
      theme: {
        background: cssVariable('--vscode-terminal-background', cssVariable('--vscode-editor-background', '#1e1e1e')),
        foreground: cssVariable('--vscode-terminal-foreground', cssVariable('--vscode-foreground', '#cccccc')),
      },
    });
    this.terminal.open(element('serial', HTMLElement));
    this.terminal.onData((text) => this.post({ type: 'input', target: 'serial', text }));
    this.canvas.addEventListener('keydown', (e) => this.onScreenKey(e, true));
    this.canvas.addEventListener('keyup', (e) => this.onScreenKey(e, false));
    this.canvas.addEventListener('blur', () => this.releaseHeldKeys());
    this.canvas.addEventListener('mousedown', () => this.canvas.focus());
    window.addEventListener('message', (e: MessageEvent<HostMessage>) => this.onMessage(e.data));
    this.restore(this.vscode.getState());
    this.post({ type: 'ready' });
  }

  private post(message: WebviewMessage): void {
    this.vscode.postMessage(message);
  }

  private onMessage(message: HostMessage): void {
    switch (message.type) {
      case 'screen':
        if (this.display.applyScreen(message.body)) this.requestFramebuffer();
        break;
      case 'framebuffer':
        this.framebufferInFlight = false;
        this.display.applyFramebuffer(message.body);
        // A change announced while the request was out is not in this frame: ask again.
        if (this.framebufferWanted) this.requestFramebuffer();
        break;
      case 'serial':
        this.terminal.write(message.text);
        this.serialTail = (this.serialTail + message.text).slice(-SAVED_SERIAL_CHARS);
        break;
      case 'session':
        this.setSession({ state: message.state, name: message.name, detail: message.detail });
        break;
      case 'reset':
        this.display.clear();
        this.terminal.reset();
        this.serialTail = '';
        this.framebufferInFlight = false;
        this.framebufferWanted = false;
        this.setSession({ state: 'starting', name: message.name });
        break;
      case 'takeScreenshot':
        this.post({ type: 'screenshot', id: message.id, dataUrl: this.display.screenshot() });
        return;
      case 'setBlink':
        this.display.setBlink(message.mode);
        return;
    }
    this.saveSoon();
  }

  /** One framebuffer request at a time; changes meanwhile are remembered and asked for when it arrives. */
  private requestFramebuffer(): void {
    if (this.framebufferInFlight) {
      this.framebufferWanted = true;
      return;
    }
    this.framebufferInFlight = true;
    this.framebufferWanted = false;
    this.post({ type: 'requestFramebuffer' });
  }

  private setSession(session: NonNullable<SavedState['session']>): void {
    this.session = session;
    const words: Record<SessionState, string> = { starting: 'starting', running: 'running', stopped: 'paused', ended: 'ended' };
    const name = session.name ? `${session.name}: ` : '';
    const detail = session.detail ? ` (${session.detail})` : '';
    this.status.textContent = `${name}${words[session.state]}${detail}`;
    this.status.setAttribute('data-state', session.state);
    this.terminal.options.disableStdin = session.state === 'ended';
  }

  /**
   * Keys pressed while the screen has focus go to the guest's keyboard as
   * presses and releases by `KeyboardEvent.code`, as a VM viewer does: the
   * browser and VS Code don't act on them (click outside the screen for VS
   * Code's shortcuts). Meta (Windows/Command) chords are left to the host.
   * Held keys are released when the screen loses focus, so no key stays
   * down in the guest.
   */
  private onScreenKey(e: KeyboardEvent, down: boolean): void {
    if (e.metaKey || e.isComposing || e.code === '') return;
    e.preventDefault();
    if (down) this.heldKeys.add(e.code);
    else if (!this.heldKeys.delete(e.code)) return; // its press went elsewhere
    this.post({ type: 'keys', events: [{ code: e.code, down }] });
  }

  private releaseHeldKeys(): void {
    if (this.heldKeys.size === 0) return;
    const events = [...this.heldKeys].reverse().map((code) => ({ code, down: false }));
    this.heldKeys.clear();
    this.post({ type: 'keys', events });
  }

  private saveSoon(): void {
    if (this.saveTimer !== undefined) return;
    this.saveTimer = window.setTimeout(() => {
      this.saveTimer = undefined;
      this.vscode.setState({ cells: encodeBase64(this.display.text.cells), cursor: this.display.text.cursor, session: this.session, serial: this.serialTail });
    }, SAVE_DELAY_MS);
  }

  private restore(saved: SavedState | undefined): void {
    if (saved === undefined || typeof saved.cells !== 'string') return;
    const bytes = decodeBase64(saved.cells);
    if (bytes.length !== this.display.text.cells.length) return;
    const rowBytes = bytes.length / TEXT_ROWS;
    const rows = Array.from({ length: TEXT_ROWS }, (_, row) => ({ row, text: '', cells: encodeBase64(bytes.subarray(row * rowBytes, (row + 1) * rowBytes)) }));
    this.display.applyScreen({ mode: 'text', width: 80, height: TEXT_ROWS, full: true, rows, cursor: saved.cursor });
    if (saved.session) this.setSession(saved.session);
    this.serialTail = saved.serial;
    this.terminal.write(saved.serial);
  }
}

// Before xterm creates its <style> elements: give them this script's nonce (styleNonce.ts).
const script = document.currentScript;
nonceStyleElements(script instanceof HTMLScriptElement ? script.nonce ?? '' : '');
new ScreenPage();
