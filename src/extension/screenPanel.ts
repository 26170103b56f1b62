// The "VM Screen" panel, host side: one webview panel that shows the guest
// screen of the active vmexit session and its serial console. It forwards
// the adapter's `vmexit.screen` and `vmexit.serial` events to the page
// (batched: serial text at most every SERIAL_BATCH_MS, framebuffers one
// request at a time), sends what the user types back as `vmexit.input` /
// `vmexit.keys`, and takes screenshots. The page itself is in webview/.

import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { screenPanelHtml } from './webview/html';
import type { HostMessage, ScreenEventBody, WebviewMessage } from './webview/protocol';
import type { SessionWatcher } from './sessionWatcher';
import { DEBUG_TYPE } from './sessionWatcher';

const SERIAL_BATCH_MS = 30;
const SCREENSHOT_TIMEOUT_MS = 5000;

export class ScreenPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private session: vscode.DebugSession | undefined;
  private ready = false;
  /** Messages for a page that has not said `ready` yet. */
  private queue: HostMessage[] = [];
  private serialText = '';
  private serialTimer: NodeJS.Timeout | undefined;
  private framebufferInFlight = false;
  private framebufferAgain = false;
  private nextScreenshot = 1;
  private readonly screenshots = new Map<number, (dataUrl: string) => void>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly watcher: SessionWatcher,
  ) {
    this.disposables.push(
      vscode.debug.onDidReceiveDebugSessionCustomEvent((e) => this.onCustomEvent(e)),
      watcher.onDidChange((c) => {
        if (c.state === 'starting') this.attach(c.session);
        if (c.session !== this.session) return;
        this.post({ type: 'session', state: c.state, name: c.session.name, detail: c.detail });
        // A stop shows the screen as it is now, not as the last throttled event left it.
        if (c.state === 'stopped') void this.fetchScreen();
      }),
    );
  }

  /** A new session takes over the panel (opened when it is not open). */
  private attach(session: vscode.DebugSession): void {
    this.session = session;
    this.serialText = '';
    this.open(true);
    this.post({ type: 'reset', name: session.name });
    this.post({ type: 'session', state: 'starting', name: session.name });
  }

  /** Show the panel; `preserveFocus` keeps the editor focused (a session start must not steal it). */
  open(preserveFocus = false): void {
    if (this.panel) {
      this.panel.reveal(undefined, preserveFocus);
      return;
    }
    const dist = vscode.Uri.joinPath(this.extensionUri, 'dist');
    const panel = vscode.window.createWebviewPanel('vmexit.screen', 'VM Screen', { viewColumn: vscode.ViewColumn.Beside, preserveFocus }, {
      enableScripts: true,
      retainContextWhenHidden: true,
      localResourceRoots: [dist],
    });
    const webview = panel.webview;
    const nonce = randomBytes(18).toString('base64');
    webview.html = screenPanelHtml({
      cspSource: webview.cspSource,
      nonce,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.js')).toString(),
      xtermCssUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'xterm.css')).toString(),
      screenCssUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'screen.css')).toString(),
    });
    webview.onDidReceiveMessage((m: WebviewMessage) => this.onPageMessage(m), undefined, this.disposables);
    panel.onDidDispose(() => {
      this.panel = undefined;
      this.ready = false;
      this.queue = [];
    });
    this.panel = panel;
    this.ready = false;
  }

  private post(message: HostMessage): void {
    if (!this.panel) return;
    if (!this.ready) {
      this.queue.push(message);
      return;
    }
    void this.panel.webview.postMessage(message);
  }

  private onCustomEvent(e: vscode.DebugSessionCustomEvent): void {
    if (e.session.type !== DEBUG_TYPE || e.session !== this.session) return;
    if (e.event === 'vmexit.screen') {
      const body = e.body as ScreenEventBody;
      if (body.mode === 'graphics') void this.fetchFramebuffer();
      else this.post({ type: 'screen', body });
    } else if (e.event === 'vmexit.serial') {
      this.serialText += String((e.body as { text?: unknown }).text ?? '');
      this.serialTimer ??= setTimeout(() => this.flushSerial(), SERIAL_BATCH_MS);
    }
  }

  private flushSerial(): void {
    this.serialTimer = undefined;
    if (this.serialText === '') return;
    this.post({ type: 'serial', text: this.serialText });
    this.serialText = '';
  }

  /** The whole screen now (after a stop, or for a page that just loaded). */
  private async fetchScreen(): Promise<void> {
    const session = this.session;
    if (!session) return;
    try {
      const text = (await session.customRequest('vmexit.screen')) as { mode: string; rows: string[]; cells: string[]; cursor: { row: number; col: number; visible: boolean } };
      if (text.mode === 'graphics') {
        await this.fetchFramebuffer();
        return;
      }
      // The full-screen form of the event body, so the page has one way in.
      this.post({
        type: 'screen',
        body: {
          mode: 'text',
          width: 80,
          height: text.rows.length,
          full: true,
          rows: text.rows.map((row, i) => ({ row: i, text: row, cells: text.cells[i] })),
          cursor: text.cursor,
        },
      });
    } catch {
      // The session ended meanwhile.
    }
  }

  /** One framebuffer request at a time; a change during it asks once more. */
  private async fetchFramebuffer(): Promise<void> {
    const session = this.session;
    if (!session) return;
    if (this.framebufferInFlight) {
      this.framebufferAgain = true;
      return;
    }
    this.framebufferInFlight = true;
    try {
      do {
        this.framebufferAgain = false;
        const fb = (await session.customRequest('vmexit.framebuffer')) as { width: number; height: number; rgba: string };
        this.post({ type: 'framebuffer', body: { width: fb.width, height: fb.height, rgba: fb.rgba } });
      } while (this.framebufferAgain && session === this.session);
    } catch {
      // Back in text mode, or the session ended.
    } finally {
      this.framebufferInFlight = false;
    }
  }

  private onPageMessage(m: WebviewMessage): void {
    switch (m.type) {
      case 'ready': {
        this.ready = true;
        const queued = this.queue;
        this.queue = [];
        for (const q of queued) void this.panel?.webview.postMessage(q);
        if (this.session) {
          this.post({ type: 'session', state: this.watcher.stateOf(this.session), name: this.session.name });
          void this.fetchScreen();
        }
        return;
      }
      case 'input':
        void this.session?.customRequest('vmexit.input', { text: m.text, target: m.target }).then(undefined, () => undefined);
        return;
      case 'keys':
        void this.session?.customRequest('vmexit.keys', { events: m.events }).then(undefined, () => undefined);
        return;
      case 'requestFramebuffer':
        void this.fetchFramebuffer();
        return;
      case 'screenshot': {
        const done = this.screenshots.get(m.id);
        this.screenshots.delete(m.id);
        done?.(m.dataUrl);
        return;
      }
    }
  }

  /** The screen as PNG bytes (from the page's canvas at its native resolution). */
  async screenshot(): Promise<Uint8Array> {
    if (!this.panel) throw new Error('the VM Screen panel is not open');
    const id = this.nextScreenshot++;
    const dataUrl = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.screenshots.delete(id);
        reject(new Error('the VM Screen panel did not answer'));
      }, SCREENSHOT_TIMEOUT_MS);
      this.screenshots.set(id, (url) => {
        clearTimeout(timer);
        resolve(url);
      });
      this.post({ type: 'takeScreenshot', id });
    });
    const m = /^data:image\/png;base64,(.*)$/.exec(dataUrl);
    if (!m) throw new Error('the VM Screen panel sent no PNG');
    return Buffer.from(m[1], 'base64');
  }

  dispose(): void {
    if (this.serialTimer) clearTimeout(this.serialTimer);
    for (const d of this.disposables) d.dispose();
    this.panel?.dispose();
  }
}
