// The VS Code extension's entry point (`dist/extension.js`): the debugger
// type `vmexit` (configuration provider, adapter factory), the VM Screen
// panel, the x86 Machine view, the status bar item, the memory documents
// and the commands. The extension talks to the guest only through DAP
// (ARCHITECTURE.md); the adapter runs as its own process by default.

import * as vscode from 'vscode';
import { VmexitAdapterFactory } from './adapterFactory';
import { registerCommands } from './commands';
import { VmexitConfigurationProvider } from './configurationProvider';
import { MachineView } from './machineView';
import { MemoryDocuments } from './memoryDocument';
import { ScreenPanel } from './screenPanel';
import { DEBUG_TYPE, SessionWatcher } from './sessionWatcher';
import { StatusBar } from './statusBar';

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('vmexit');
  const watcher = new SessionWatcher();
  const screen = new ScreenPanel(context.extensionUri, watcher);
  context.subscriptions.push(
    log,
    watcher,
    screen,
    new MachineView(watcher),
    new MemoryDocuments(watcher),
    new StatusBar(watcher),
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, new VmexitConfigurationProvider(log)),
    vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, new VmexitAdapterFactory(context.extensionPath)),
    ...registerCommands(watcher, screen),
  );
}

export function deactivate(): void {
  // Everything is in context.subscriptions.
}
