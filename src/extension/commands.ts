// The extension's commands: open memory at an address or expression (or at
// a variable's memory reference), reset the machine, send Ctrl+Alt+Del,
// save a screenshot of the screen as PNG, show the VM Screen, and toggle
// whether hardware interrupts may be taken while stepping.

import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { memoryUri } from './memoryDocument';
import type { ScreenPanel } from './screenPanel';
import type { SessionWatcher } from './sessionWatcher';

/** The argument VS Code passes to a `debug/variables/context` command. */
interface VariableContext {
  variable?: { name?: string; evaluateName?: string; memoryReference?: string };
}

function chord(codes: string[]): { code: string; down: boolean }[] {
  return [...codes.map((code) => ({ code, down: true })), ...[...codes].reverse().map((code) => ({ code, down: false }))];
}

export function registerCommands(watcher: SessionWatcher, screen: ScreenPanel): vscode.Disposable[] {
  const need = (): vscode.DebugSession | undefined => {
    const s = watcher.activeSession;
    if (!s) void vscode.window.showWarningMessage('vmexit: no vmexit debug session is active.');
    return s;
  };
  const stepInterrupts = new Map<string, boolean>();

  const openMemory = async (session: vscode.DebugSession, reference: string): Promise<void> => {
    const doc = await vscode.workspace.openTextDocument(memoryUri(session, reference));
    await vscode.window.showTextDocument(doc, { preview: false, viewColumn: vscode.ViewColumn.Active });
  };

  return [
    vscode.commands.registerCommand('vmexit.openMemory', async (address?: string) => {
      const session = need();
      if (!session) return;
      const reference =
        typeof address === 'string'
          ? address
          : await vscode.window.showInputBox({
              title: 'vmexit: Open Memory at…',
              prompt: 'An address or expression: 0x7c00 (linear), phys:0xb8000 (physical), 07c0:0000, es:di, a symbol, [bp+4]…',
              placeHolder: '0x7c00',
              validateInput: (v) => (v.trim() === '' ? 'Type an address or an expression' : undefined),
            });
      if (reference === undefined || reference.trim() === '') return;
      await openMemory(session, reference.trim());
    }),
    vscode.commands.registerCommand('vmexit.openMemoryOfVariable', async (context?: VariableContext) => {
      const session = need();
      const ref = context?.variable?.memoryReference;
      if (!session) return;
      if (!ref) {
        void vscode.window.showWarningMessage(`vmexit: ${context?.variable?.name ?? 'this variable'} has no memory to show.`);
        return;
      }
      await openMemory(session, ref);
    }),
    vscode.commands.registerCommand('vmexit.reset', async () => {
      if (!need()) return;
      await vscode.commands.executeCommand('workbench.action.debug.restart');
    }),
    vscode.commands.registerCommand('vmexit.ctrlAltDel', async () => {
      const session = need();
      if (!session) return;
      try {
        await session.customRequest('vmexit.keys', { events: chord(['ControlLeft', 'AltLeft', 'Delete']) });
      } catch (e) {
        void vscode.window.showErrorMessage(`vmexit: ${e instanceof Error ? e.message : String(e)}`);
      }
    }),
    vscode.commands.registerCommand('vmexit.showScreen', () => screen.open(false)),
    vscode.commands.registerCommand('vmexit.screenshot', async (target?: vscode.Uri) => {
      if (!need()) return;
      try {
        const png = await screen.screenshot();
        const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
        const uri =
          target ??
          (await vscode.window.showSaveDialog({
            title: 'Save the VM screen as PNG',
            filters: { 'PNG image': ['png'] },
            defaultUri: folder ? vscode.Uri.joinPath(folder, 'vm-screen.png') : undefined,
          }));
        if (!uri) return;
        if (uri.scheme === 'file') fs.writeFileSync(uri.fsPath, png);
        else await vscode.workspace.fs.writeFile(uri, png);
        void vscode.window.showInformationMessage(`vmexit: saved the screen to ${uri.scheme === 'file' ? uri.fsPath : uri.toString()}`);
      } catch (e) {
        void vscode.window.showErrorMessage(`vmexit: no screenshot: ${e instanceof Error ? e.message : String(e)}`);
      }
    }),
    vscode.commands.registerCommand('vmexit.toggleStepInterrupts', async () => {
      const session = need();
      if (!session) return;
      const enabled = !(stepInterrupts.get(session.id) ?? session.configuration.stepInterrupts === true);
      try {
        await session.customRequest('vmexit.setStepInterrupts', { enabled });
        stepInterrupts.set(session.id, enabled);
        void vscode.window.showInformationMessage(
          enabled ? 'vmexit: hardware interrupts may now be taken while stepping.' : 'vmexit: hardware interrupts are held off while stepping.',
        );
      } catch (e) {
        void vscode.window.showErrorMessage(`vmexit: ${e instanceof Error ? e.message : String(e)}`);
      }
    }),
  ];
}
