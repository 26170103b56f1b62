// Guest memory as a read-only hex dump document (`vmexit-memory:` URIs),
// opened by "Open Memory at…" and "Open Memory Here" on a variable. VS Code's
// own memory view needs the Hex Editor extension, which many installs (and
// code-server's marketplace) do not have; this one always works. The dump
// comes from DAP `readMemory`, so addresses mean what they mean everywhere
// in vmexit: linear (through the guest's segmentation and paging), `phys:`
// for physical, `seg:off`, symbols and expressions. Unreadable bytes show
// as `??`. Open dumps are read again at every stop.

import * as vscode from 'vscode';
import { formatDump } from './hexDump';
import type { SessionWatcher } from './sessionWatcher';

export const MEMORY_SCHEME = 'vmexit-memory';
export const DEFAULT_DUMP_BYTES = 1024;
const MAX_DUMP_BYTES = 65536;

interface ReadMemoryBody {
  address: string;
  data?: string;
  unreadableBytes?: number;
}

/** The URI of a dump of `count` bytes at `reference` in `session`. */
export function memoryUri(session: vscode.DebugSession, reference: string, count = DEFAULT_DUMP_BYTES): vscode.Uri {
  const label = reference.replace(/[^A-Za-z0-9_.:+-]/g, '_').slice(0, 60) || 'memory';
  const query = new URLSearchParams({ session: session.id, ref: reference, count: String(count) }).toString();
  return vscode.Uri.from({ scheme: MEMORY_SCHEME, path: `/${label}.hexdump`, query });
}

export class MemoryDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly watcher: SessionWatcher) {
    this.disposables.push(
      this.changed,
      vscode.workspace.registerTextDocumentContentProvider(MEMORY_SCHEME, this),
      watcher.onDidChange((c) => {
        if (c.state !== 'stopped') return;
        for (const doc of vscode.workspace.textDocuments) {
          if (doc.uri.scheme === MEMORY_SCHEME && new URLSearchParams(doc.uri.query).get('session') === c.session.id) this.changed.fire(doc.uri);
        }
      }),
    );
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const q = new URLSearchParams(uri.query);
    const reference = q.get('ref') ?? '';
    const count = Math.min(MAX_DUMP_BYTES, Math.max(1, Number(q.get('count')) || DEFAULT_DUMP_BYTES));
    const session = findSession(q.get('session'), this.watcher);
    const header = `; vmexit memory at ${reference} (${count} bytes). Read again at every stop; ?? = unreadable.\n`;
    if (!session) return `${header}; the debug session has ended.\n`;
    try {
      const body = (await session.customRequest('readMemory', { memoryReference: reference, count })) as ReadMemoryBody;
      const start = Number(body.address);
      const data = body.data ? Buffer.from(body.data, 'base64') : Buffer.alloc(0);
      const bytes: (number | null)[] = Array.from(data);
      while (bytes.length < count) bytes.push(null);
      return header + formatDump(start, bytes);
    } catch (e) {
      return `${header}; ${e instanceof Error ? e.message : String(e)}\n`;
    }
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

function findSession(id: string | null, watcher: SessionWatcher): vscode.DebugSession | undefined {
  const active = watcher.activeSession;
  if (active && active.id === id) return active;
  return active && id === null ? active : undefined;
}
