// Follows vmexit debug sessions for the panel, the views and the status
// bar: which session is active, and whether its guest runs, stopped or
// ended. The state comes from the DAP messages themselves (a debug adapter
// tracker sees `stopped`, `continued`, `exited` and `terminated` events and
// the responses to continue/step requests), so the extension never guesses.

import * as vscode from 'vscode';

export const DEBUG_TYPE = 'vmexit';

export type GuestState = 'starting' | 'running' | 'stopped' | 'ended';

export interface SessionChange {
  session: vscode.DebugSession;
  state: GuestState;
  /** A short text: the stop reason, the exit status. */
  detail?: string;
}

interface DapMessage {
  type?: string;
  event?: string;
  command?: string;
  success?: boolean;
  body?: Record<string, unknown>;
}

/** Requests after whose success the guest runs (again); a `stopped` event may follow at once. */
const RESUMING = new Set(['configurationDone', 'continue', 'next', 'stepIn', 'stepOut', 'stepBack', 'reverseContinue', 'restart']);

export class SessionWatcher implements vscode.Disposable {
  private readonly states = new Map<string, GuestState>();
  private readonly changed = new vscode.EventEmitter<SessionChange>();
  private readonly disposables: vscode.Disposable[] = [];
  /** Fired on every state change of a vmexit session. */
  readonly onDidChange = this.changed.event;

  constructor() {
    this.disposables.push(
      this.changed,
      vscode.debug.registerDebugAdapterTrackerFactory(DEBUG_TYPE, {
        createDebugAdapterTracker: (session) => ({
          onWillStartSession: () => this.set(session, 'starting'),
          onDidSendMessage: (m: DapMessage) => this.fromAdapter(session, m),
          onExit: () => this.set(session, 'ended'),
        }),
      }),
      vscode.debug.onDidTerminateDebugSession((s) => {
        if (s.type !== DEBUG_TYPE) return;
        this.set(s, 'ended');
        this.states.delete(s.id);
      }),
    );
  }

  /** The state of a session (ended for one this watcher never saw). */
  stateOf(session: vscode.DebugSession): GuestState {
    return this.states.get(session.id) ?? 'ended';
  }

  /** The active debug session when it is a vmexit one. */
  get activeSession(): vscode.DebugSession | undefined {
    const s = vscode.debug.activeDebugSession;
    return s && s.type === DEBUG_TYPE ? s : undefined;
  }

  private fromAdapter(session: vscode.DebugSession, m: DapMessage): void {
    if (m.type === 'event') {
      switch (m.event) {
        case 'stopped': {
          const description = typeof m.body?.description === 'string' ? m.body.description : undefined;
          const reason = typeof m.body?.reason === 'string' ? m.body.reason : undefined;
          this.set(session, 'stopped', description ?? reason);
          return;
        }
        case 'continued':
          this.set(session, 'running');
          return;
        case 'exited':
          this.set(session, 'ended', `exit status ${String(m.body?.exitCode)}`);
          return;
        case 'terminated':
          this.set(session, 'ended');
          return;
      }
    } else if (m.type === 'response' && m.success && m.command && RESUMING.has(m.command)) {
      this.set(session, 'running');
    }
  }

  private set(session: vscode.DebugSession, state: GuestState, detail?: string): void {
    const before = this.states.get(session.id);
    if (before === 'ended' && state !== 'starting') return;
    this.states.set(session.id, state);
    this.changed.fire({ session, state, detail });
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
