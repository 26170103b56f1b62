// What the service modules share: the host, guest memory helpers, the ROM
// layout, and port I/O shorthands.

import type { BiosHost } from './host';
import { PhysMem } from './call';
import type { RomLayout } from './rom';

export class BiosEnv {
  readonly mem: PhysMem;

  constructor(
    readonly host: BiosHost,
    readonly layout: RomLayout,
  ) {
    this.mem = new PhysMem(host.memory);
  }

  inb(port: number): number {
    return this.host.ports.portIn(port, 1) & 0xff;
  }

  outb(port: number, value: number): void {
    this.host.ports.portOut(port, 1, value & 0xff);
  }

  /** A CMOS RAM byte through ports 70h/71h (NMI left enabled). */
  cmosRead(index: number): number {
    this.outb(0x70, index & 0x7f);
    return this.inb(0x71);
  }

  cmosWrite(index: number, value: number): void {
    this.outb(0x70, index & 0x7f);
    this.outb(0x71, value);
  }

  bda8(off: number): number { return this.mem.rd8(0x400 + off); }
  bda16(off: number): number { return this.mem.rd16(0x400 + off); }
  bda32(off: number): number { return this.mem.rd32(0x400 + off); }
  setBda8(off: number, v: number): void { this.mem.wr8(0x400 + off, v); }
  setBda16(off: number, v: number): void { this.mem.wr16(0x400 + off, v); }
  setBda32(off: number, v: number): void { this.mem.wr32(0x400 + off, v); }
}
