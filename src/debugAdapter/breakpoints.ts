// Breakpoints as the runtime keeps them: by linear address, in groups that
// the client replaces wholesale (the breakpoints of one source file, the
// function breakpoints, the instruction breakpoints), each with its optional
// condition, hit condition and log message, and a hit count. No DAP types.

export type BreakpointGroup = string;

export interface BreakpointRequest {
  linear: number;
  condition?: string;
  hitCondition?: string;
  logMessage?: string;
}

export interface Breakpoint extends BreakpointRequest {
  id: number;
  group: BreakpointGroup;
  hits: number;
}

export class BreakpointTable {
  private nextId = 1;
  private readonly groups = new Map<BreakpointGroup, Breakpoint[]>();
  private byLinear = new Map<number, Breakpoint[]>();

  /** Replace a group; returns the new breakpoints in request order. */
  replace(group: BreakpointGroup, requests: readonly BreakpointRequest[]): Breakpoint[] {
    const old = this.groups.get(group) ?? [];
    const made = requests.map((r) => {
      // Keep the hit count of a breakpoint that stays where it was with the same settings.
      const same = old.find((o) => o.linear === r.linear && o.condition === r.condition && o.hitCondition === r.hitCondition);
      return { ...r, id: same?.id ?? this.nextId++, group, hits: same?.hits ?? 0 };
    });
    if (made.length === 0) this.groups.delete(group);
    else this.groups.set(group, made);
    this.reindex();
    return made;
  }

  /** Allocate an id for something shown as a breakpoint but not armed (an unverified one). */
  allocateId(): number {
    return this.nextId++;
  }

  private reindex(): void {
    this.byLinear = new Map();
    for (const list of this.groups.values()) {
      for (const b of list) {
        const at = this.byLinear.get(b.linear >>> 0);
        if (at) at.push(b);
        else this.byLinear.set(b.linear >>> 0, [b]);
      }
    }
  }

  at(linear: number): readonly Breakpoint[] {
    return this.byLinear.get(linear >>> 0) ?? [];
  }

  has(linear: number): boolean {
    return this.byLinear.has(linear >>> 0);
  }

  /** Every armed linear address, once each. */
  addresses(): number[] {
    return [...this.byLinear.keys()];
  }

  resetHitCounts(): void {
    for (const list of this.groups.values()) for (const b of list) b.hits = 0;
  }
}
