// Breakpoints as the runtime keeps them: by linear or physical address (a
// physical one hits through whichever linear address maps there), in groups that
// the client replaces wholesale (the breakpoints of one source file, the
// function breakpoints, the instruction breakpoints), each with its optional
// condition, hit condition and log message, and a hit count. No DAP types.

import type { Watchpoint } from '../vmm/debug';

export type BreakpointGroup = string;

/** What decides whether a hit stops the guest: a condition, a hit count, a log message. */
export interface HitRules {
  condition?: string;
  hitCondition?: string;
  logMessage?: string;
  /** Hits so far (those whose condition held). */
  hits: number;
}

/** A data breakpoint: the watchpoint armed in the VMM and its hit rules. */
export interface DataBreakpoint extends HitRules {
  id: number;
  watch: Watchpoint;
}

export type DataBreakpointRequest = Omit<DataBreakpoint, 'id' | 'hits'>;

export type BreakpointSpace = 'linear' | 'physical';

export interface BreakpointRequest {
  address: number;
  space: BreakpointSpace;
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
  private byPhysical = new Map<number, Breakpoint[]>();

  /** Replace a group; returns the new breakpoints in request order. */
  replace(group: BreakpointGroup, requests: readonly BreakpointRequest[]): Breakpoint[] {
    const old = this.groups.get(group) ?? [];
    const made = requests.map((r) => {
      // Keep the hit count of a breakpoint that stays where it was with the same settings.
      const same = old.find((o) => o.address === r.address && o.space === r.space && o.condition === r.condition && o.hitCondition === r.hitCondition);
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
    this.byPhysical = new Map();
    for (const list of this.groups.values()) {
      for (const b of list) {
        const index = b.space === 'physical' ? this.byPhysical : this.byLinear;
        const at = index.get(b.address >>> 0);
        if (at) at.push(b);
        else index.set(b.address >>> 0, [b]);
      }
    }
  }

  /** The breakpoints of an instruction at `linear`, which maps to `physical` (null: it does not translate). */
  at(linear: number, physical: number | null): readonly Breakpoint[] {
    const byLinear = this.byLinear.get(linear >>> 0) ?? [];
    const byPhysical = physical === null ? undefined : this.byPhysical.get(physical >>> 0);
    return byPhysical ? [...byLinear, ...byPhysical] : byLinear;
  }

  has(linear: number, physical: number | null): boolean {
    return this.at(linear, physical).length > 0;
  }

  /** Every armed address of a space, once each. */
  addresses(space: BreakpointSpace): number[] {
    return [...(space === 'physical' ? this.byPhysical : this.byLinear).keys()];
  }

  resetHitCounts(): void {
    for (const list of this.groups.values()) for (const b of list) b.hits = 0;
  }
}
