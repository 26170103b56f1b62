// The APIC bus (on P6 and later, the system bus messages that stand in for
// it): how interrupt messages from the IOAPIC and IPIs from one local APIC
// reach the local APICs they name, and how an EOI of a level-triggered
// interrupt reaches the IOAPIC. Destination decoding follows SDM vol. 3
// §11.6.2 (physical and logical destination modes, flat and cluster models,
// broadcast) and §11.6.1 (ICR shorthands).

/** Delivery modes of the ICR and of IOAPIC redirection entries (SDM vol. 3 §11.6.1). */
export const enum DeliveryMode {
  Fixed = 0,
  LowestPriority = 1,
  Smi = 2,
  Nmi = 4,
  Init = 5,
  Startup = 6,
  ExtInt = 7,
}

/** ICR destination shorthand (bits 18-19). */
export const enum Shorthand {
  None = 0,
  Self = 1,
  AllIncludingSelf = 2,
  AllExcludingSelf = 3,
}

/** One interrupt message on the bus. */
export interface ApicMessage {
  vector: number;
  mode: DeliveryMode;
  /** Logical destination mode (ICR/redirection entry bit 11); physical otherwise. */
  logical: boolean;
  /** The 8-bit destination field. */
  destination: number;
  /** Level-triggered (sets the TMR bit, so the EOI is broadcast back to the IOAPIC). */
  level: boolean;
}

/** What the bus needs of a local APIC to route to it. */
export interface ApicBusMember {
  /** Accepts messages at all (hardware-enabled through IA32_APIC_BASE). */
  readonly present: boolean;
  /** The APIC ID register's 8-bit ID. */
  readonly apicId: number;
  /** Logical destination register, bits 31:24. */
  readonly logicalId: number;
  /** Destination format model: true for flat (DFR 0xFFFFFFFF), false for cluster (DFR model 0000). */
  readonly flatModel: boolean;
  /** Task priority register (for lowest-priority arbitration). */
  readonly taskPriority: number;
  receive(message: ApicMessage): void;
}

export class ApicBus {
  readonly members: ApicBusMember[] = [];
  /** Told of the EOI of a level-triggered vector (the IOAPIC clears its remote IRR). */
  onLevelEoi: (vector: number) => void = () => {};

  attach(member: ApicBusMember): void {
    this.members.push(member);
  }

  /** Does `member` match the destination of a message (SDM vol. 3 §11.6.2)? */
  private matches(member: ApicBusMember, logical: boolean, destination: number): boolean {
    if (!logical) return destination === 0xff || member.apicId === destination;
    if (destination === 0xff) return true;
    if (member.flatModel) return (member.logicalId & destination) !== 0;
    // Cluster model: the high nibble names the cluster, the low nibble up to four members.
    return (member.logicalId & 0xf0) === (destination & 0xf0) && (member.logicalId & destination & 0x0f) !== 0;
  }

  /** The members a message addressed by destination reaches, in bus (vCPU) order. */
  private targets(logical: boolean, destination: number): ApicBusMember[] {
    return this.members.filter((m) => m.present && this.matches(m, logical, destination));
  }

  /** Deliver a message addressed by its destination field (IOAPIC messages, IPIs without shorthand). */
  deliver(message: ApicMessage): void {
    const targets = this.targets(message.logical, message.destination);
    this.deliverTo(targets, message);
  }

  /** Deliver an IPI from `source` with a destination shorthand other than None. */
  deliverShorthand(source: ApicBusMember, shorthand: Shorthand, message: ApicMessage): void {
    let targets: ApicBusMember[];
    if (shorthand === Shorthand.Self) targets = [source];
    else if (shorthand === Shorthand.AllIncludingSelf) targets = this.members.filter((m) => m.present);
    else targets = this.members.filter((m) => m.present && m !== source);
    this.deliverTo(targets, message);
  }

  /**
   * Lowest priority goes to one target: the one with the lowest task
   * priority class, the first in bus order among equals (the SDM leaves the
   * arbitration among equals to the chipset; a fixed rule keeps runs
   * deterministic).
   */
  private deliverTo(targets: ApicBusMember[], message: ApicMessage): void {
    if (message.mode === DeliveryMode.LowestPriority) {
      let chosen: ApicBusMember | null = null;
      for (const t of targets) if (chosen === null || (t.taskPriority & 0xf0) < (chosen.taskPriority & 0xf0)) chosen = t;
      if (chosen) chosen.receive(message);
      return;
    }
    for (const t of targets) t.receive(message);
  }
}
