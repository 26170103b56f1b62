// The `vmexit.machine` request: the whole machine as one plain tree for the
// extension's "x86 Machine" view, built from the same nodes the Variables
// view shows (registerView.ts, devicesView.ts), so both agree. The tree is
// expanded eagerly down to MAX_DEPTH with at most MAX_NODES nodes: the view
// asks once per stop, and a deeper or larger part (a 256-entry IDT) is
// cut with a note rather than sent whole. DAP-free.

import { deviceNodes } from './devicesView';
import { hex, segmentRegisters, StateNode, systemRegisters } from './registerView';
import type { VmexitRuntime } from './runtime';
import { modeName } from './stopReasons';

export interface MachineNode {
  name: string;
  value: string;
  /** Children, when the node has any (absent on leaves). */
  children?: MachineNode[];
}

export interface MachineVcpu {
  name: string;
  mode: string;
  /** Where the vCPU is, e.g. "0000:7C3A (linear 0x00007C3A)". */
  location: string;
  nodes: MachineNode[];
}

export type MachineBody =
  | { state: 'running' | 'ended' }
  | { state: 'stopped'; vcpus: MachineVcpu[]; devices: MachineNode[] };

const MAX_DEPTH = 4;
const MAX_NODES = 6000;

class Budget {
  left = MAX_NODES;
}

function serialize(nodes: StateNode[], depth: number, budget: Budget): MachineNode[] {
  const out: MachineNode[] = [];
  for (const n of nodes) {
    if (budget.left <= 0) {
      out.push({ name: '…', value: `${nodes.length - out.length} more not shown (see the Variables view)` });
      break;
    }
    budget.left--;
    const m: MachineNode = { name: n.name, value: n.value };
    if (n.children) {
      m.children = depth < MAX_DEPTH ? serialize(n.children(), depth + 1, budget) : [{ name: '…', value: 'see the Variables view' }];
    }
    out.push(m);
  }
  return out;
}

/** CS:IP as a real-mode user reads it (with the linear address), CS:EIP otherwise. */
export function locationText(rt: VmexitRuntime): string {
  const regs = rt.regs();
  const cs = rt.sregs().cs;
  const linear = hex(rt.pc(), 8);
  if (rt.realAddressing()) {
    return `${cs.selector.toString(16).toUpperCase().padStart(4, '0')}:${(regs.eip & 0xffff).toString(16).toUpperCase().padStart(4, '0')} (linear ${linear})`;
  }
  return `${cs.selector.toString(16).toUpperCase().padStart(4, '0')}:${hex(regs.eip, 8)} (linear ${linear})`;
}

export function machineTree(rt: VmexitRuntime): MachineBody {
  if (rt.state === 'running') return { state: 'running' };
  if (rt.state === 'ended') return { state: 'ended' };
  const budget = new Budget();
  const focus = rt.focus;
  const vcpus = rt.machine.vm.vcpus.map((v): MachineVcpu => {
    rt.focusOn(v.index);
    const mode = modeName(rt.mode());
    return {
      name: `vCPU ${v.index}`,
      mode,
      location: locationText(rt),
      nodes: [
        { name: 'Mode', value: mode },
        { name: 'CS:IP', value: locationText(rt) },
        { name: 'Segments', value: 'selectors and hidden descriptor caches', children: serialize(segmentRegisters(rt), 1, budget) },
        { name: 'System', value: 'control registers, descriptor tables', children: serialize(systemRegisters(rt), 1, budget) },
      ],
    };
  });
  rt.focusOn(focus);
  return { state: 'stopped', vcpus, devices: serialize(deviceNodes(rt), 0, budget) };
}
