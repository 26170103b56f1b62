// The status bar item: "vmexit" once the extension is active (tests wait for
// it as the sign that the extension host is up), and while a session runs,
// the guest's state and speed in millions of instructions per second,
// sampled once a second from the adapter's `vmexit.stats`.

import * as vscode from 'vscode';
import type { GuestState, SessionWatcher } from './sessionWatcher';

const SAMPLE_MS = 1000;

interface Stats {
  state: string;
  instructions: number;
  guestNs: number;
}

function isStats(body: unknown): body is Stats {
  const b = body as Partial<Stats> | undefined;
  return typeof b?.instructions === 'number' && typeof b.guestNs === 'number' && typeof b.state === 'string';
}

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('vmexit.status', vscode.StatusBarAlignment.Left, 10);
  private timer: NodeJS.Timeout | undefined;
  private last: { at: number; instructions: number } | undefined;
  private mips: number | undefined;
  private state: GuestState | 'idle' = 'idle';
  private detail: string | undefined;
  private readonly subscription: vscode.Disposable;

  constructor(watcher: SessionWatcher) {
    this.item.name = 'vmexit';
    this.item.command = 'vmexit.showScreen';
    this.subscription = watcher.onDidChange((c) => {
      if (c.session !== watcher.activeSession && watcher.activeSession !== undefined) return;
      this.state = c.state;
      this.detail = c.detail;
      if (c.state === 'running') this.startSampling(c.session);
      else this.stopSampling();
      this.render();
    });
    this.render();
    this.item.show();
  }

  private startSampling(session: vscode.DebugSession): void {
    if (this.timer) return;
    this.last = undefined;
    this.mips = undefined;
    const sample = async (): Promise<void> => {
      try {
        const body: unknown = await session.customRequest('vmexit.stats');
        if (!isStats(body)) return;
        const now = performance.now();
        if (this.last && now > this.last.at) this.mips = (body.instructions - this.last.instructions) / ((now - this.last.at) * 1000);
        this.last = { at: now, instructions: body.instructions };
        this.render();
      } catch {
        // The session ended between two samples; the watcher reports that.
      }
    };
    void sample();
    this.timer = setInterval(() => void sample(), SAMPLE_MS);
  }

  private stopSampling(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private render(): void {
    switch (this.state) {
      case 'idle':
        this.item.text = '$(vm) vmexit';
        this.item.tooltip = 'vmexit: no guest running. Open a boot sector source (.asm) or an image and press F5.';
        return;
      case 'starting':
        this.item.text = '$(vm) vmexit: starting';
        this.item.tooltip = 'vmexit: the guest is starting';
        return;
      case 'running': {
        const speed = this.mips === undefined ? '' : ` ${this.mips >= 10 ? this.mips.toFixed(0) : this.mips.toFixed(1)} MIPS`;
        this.item.text = `$(vm-running) vmexit: running${speed}`;
        this.item.tooltip = 'vmexit: the guest is running (guest instructions per wall-clock second). Click for the VM Screen.';
        return;
      }
      case 'stopped':
        this.item.text = '$(debug-pause) vmexit: stopped';
        this.item.tooltip = `vmexit: the guest is stopped${this.detail ? ` (${this.detail})` : ''}`;
        return;
      case 'ended':
        this.item.text = '$(vm) vmexit: ended';
        this.item.tooltip = `vmexit: the guest has ended${this.detail ? ` (${this.detail})` : ''}`;
        return;
    }
  }

  dispose(): void {
    this.stopSampling();
    this.subscription.dispose();
    this.item.dispose();
  }
}
