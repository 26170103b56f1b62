// How VS Code reaches the debug adapter. By default it runs as its own Node
// process (dist/debugAdapter.js over stdio), so a guest that keeps the CPU
// busy never blocks the extension host; the extension host's own runtime
// runs it (Electron as Node, or code-server's Node), so no `node` on PATH is
// needed. `"vmexit.adapter": "inline"` runs it inside the extension host
// instead, for tests and for debugging the adapter itself.

import * as path from 'node:path';
import * as vscode from 'vscode';
import { VmexitDebugSession } from '../debugAdapter/adapter';

export class VmexitAdapterFactory implements vscode.DebugAdapterDescriptorFactory {
  constructor(private readonly extensionPath: string) {}

  createDebugAdapterDescriptor(): vscode.DebugAdapterDescriptor {
    const mode = vscode.workspace.getConfiguration('vmexit').get<string>('adapter', 'process');
    if (mode === 'inline') return new vscode.DebugAdapterInlineImplementation(new VmexitDebugSession());
    return new vscode.DebugAdapterExecutable(process.execPath, [path.join(this.extensionPath, 'dist', 'debugAdapter.js')], {
      env: { ELECTRON_RUN_AS_NODE: '1' },
    });
  }
}
