// The "x86 Machine" view in the Run and Debug sidebar: per vCPU its mode,
// CS:IP, the hidden segment caches and the descriptor tables, then the
// interrupt controllers and timers. It asks the adapter for the whole tree
// (`vmexit.machine`) once per stop and shows "running" while the guest runs,
// so what it shows is never older than the last stop.

import * as vscode from 'vscode';
import type { SessionWatcher } from './sessionWatcher';

interface MachineNode {
  name: string;
  value: string;
  children?: MachineNode[];
}

interface MachineVcpu {
  name: string;
  mode: string;
  location: string;
  nodes: MachineNode[];
}

type MachineBody = { state: 'running' | 'ended' } | { state: 'stopped'; vcpus: MachineVcpu[]; devices: MachineNode[] };

function isMachineBody(b: unknown): b is MachineBody {
  const s = (b as { state?: unknown } | undefined)?.state;
  if (s === 'running' || s === 'ended') return true;
  return s === 'stopped' && Array.isArray((b as { vcpus?: unknown }).vcpus) && Array.isArray((b as { devices?: unknown }).devices);
}

export class MachineItem extends vscode.TreeItem {
  constructor(
    /** The path from the root ("vCPU 0/Segments/cs"): a stable id keeps expanded nodes expanded across stops. */
    readonly path: string,
    label: string,
    description: string,
    readonly children: MachineNode[] | undefined,
    expanded = false,
  ) {
    super(label, children && children.length > 0 ? (expanded ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed) : vscode.TreeItemCollapsibleState.None);
    this.description = description;
    this.tooltip = `${label}: ${description}`;
    this.id = path;
  }
}

export class MachineView implements vscode.TreeDataProvider<MachineItem>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<MachineItem | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private roots: MachineItem[] = [];
  private readonly subscription: vscode.Disposable;
  private readonly view: vscode.TreeView<MachineItem>;
  /** Bumped per refresh: an older answer arriving late is dropped. */
  private generation = 0;

  constructor(watcher: SessionWatcher) {
    this.view = vscode.window.createTreeView('vmexit.machine', { treeDataProvider: this, showCollapseAll: true });
    this.subscription = watcher.onDidChange((c) => {
      if (watcher.activeSession && c.session !== watcher.activeSession) return;
      void this.refresh(c.session, c.state);
    });
  }

  private async refresh(session: vscode.DebugSession, state: string): Promise<void> {
    const generation = ++this.generation;
    if (state !== 'stopped') {
      this.show(state === 'ended' ? [] : [new MachineItem('state', 'vmexit', state === 'running' ? 'running (the view fills in at the next stop)' : state, undefined)]);
      this.view.message = state === 'ended' ? 'No vmexit session.' : undefined;
      return;
    }
    try {
      const body: unknown = await session.customRequest('vmexit.machine');
      if (generation !== this.generation) return;
      if (!isMachineBody(body)) throw new Error('the adapter sent no machine tree');
      if (body.state !== 'stopped') {
        this.show([new MachineItem('state', 'vmexit', body.state, undefined)]);
        return;
      }
      this.view.message = undefined;
      const roots = body.vcpus.map((v) => {
        const item = new MachineItem(v.name, v.name, `${v.mode} · ${v.location}`, v.nodes, true);
        item.iconPath = new vscode.ThemeIcon('circuit-board');
        return item;
      });
      if (body.devices.length > 0) {
        const devices = new MachineItem('devices', 'Interrupt controllers and timers', '', body.devices, true);
        devices.iconPath = new vscode.ThemeIcon('pulse');
        roots.push(devices);
      }
      this.show(roots);
    } catch (e) {
      if (generation !== this.generation) return;
      this.show([new MachineItem('state', 'vmexit', `no machine state: ${e instanceof Error ? e.message : String(e)}`, undefined)]);
    }
  }

  private show(roots: MachineItem[]): void {
    this.roots = roots;
    this.changed.fire(undefined);
  }

  getTreeItem(item: MachineItem): MachineItem {
    return item;
  }

  getChildren(item?: MachineItem): MachineItem[] {
    if (!item) return this.roots;
    return (item.children ?? []).map((n, i) => new MachineItem(`${item.path}/${i}:${n.name}`, n.name, n.value, n.children));
  }

  dispose(): void {
    this.subscription.dispose();
    this.view.dispose();
    this.changed.dispose();
  }
}
