// variablesReference bookkeeping for one stop: each expandable node (a scope,
// a register with bits, a descriptor table, a device) gets one reference,
// stable for as long as the guest stays stopped (asking again for the same
// node returns the same number), and its children are computed once. All of
// it is dropped when the guest resumes or stops anew; values alone are
// dropped after an edit, so the view shows what the edit did.

import type { StateNode } from './registerView';

interface Entry {
  key: string;
  /** The vCPU whose state the nodes show (set and computed with that vCPU focused). */
  vcpu: number;
  compute: () => StateNode[];
  nodes: StateNode[] | null;
}

export class VariableStore {
  private byKey = new Map<string, number>();
  private byRef = new Map<number, Entry>();
  /** References are never reused, so a stale one from an earlier stop finds nothing. */
  private next = 1;

  /** The reference of a scope (a root) of vCPU `vcpu`, made on first use in this stop. */
  scope(name: string, vcpu: number, compute: () => StateNode[]): number {
    return this.reference(`${vcpu}:${name}`, vcpu, compute);
  }

  /**
   * The reference of child `name` of the node list behind `parent`, made on
   * first use in this stop. Its children are found again through the parent
   * (by name) whenever values are recomputed, so they are never stale.
   */
  child(parent: number, name: string): number {
    const p = this.byRef.get(parent);
    const key = `${p?.key ?? '?'}/${name}`;
    return this.reference(key, p?.vcpu ?? 0, () => {
      const list = this.children(parent)?.nodes ?? [];
      return list.find((n) => n.name === name)?.children?.() ?? [];
    });
  }

  private reference(key: string, vcpu: number, compute: () => StateNode[]): number {
    const known = this.byKey.get(key);
    if (known !== undefined) return known;
    const ref = this.next++;
    this.byKey.set(key, ref);
    this.byRef.set(ref, { key, vcpu, compute, nodes: null });
    return ref;
  }

  /** The vCPU a reference's nodes belong to; undefined for an unknown or stale reference. */
  vcpuOf(ref: number): number | undefined {
    return this.byRef.get(ref)?.vcpu;
  }

  /** The children behind a reference, and the key to name them by; undefined for an unknown or stale reference. */
  children(ref: number): { key: string; nodes: StateNode[] } | undefined {
    const e = this.byRef.get(ref);
    if (!e) return undefined;
    e.nodes ??= e.compute();
    return { key: e.key, nodes: e.nodes };
  }

  /** After an edit: keep the references, recompute the values. */
  invalidateValues(): void {
    for (const e of this.byRef.values()) e.nodes = null;
  }

  /** On resume or a new stop: every reference goes. */
  reset(): void {
    this.byKey.clear();
    this.byRef.clear();
  }

  /** How many references this stop has handed out (for tests of the bookkeeping). */
  get size(): number {
    return this.byRef.size;
  }
}
