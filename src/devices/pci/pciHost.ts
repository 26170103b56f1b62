// The PCI host's configuration mechanism #1 (PCI Local Bus Specification
// 3.0, 3.2.2.3.2): a dword address register at CF8h (bit 31 enable, bus in
// bits 23-16, device 15-11, function 10-8, register 7-2) and a data window at
// CFCh-CFFh whose byte, word and dword accesses reach the addressed dword at
// the port's offset in it. One bus (bus 0), as on QEMU's `pc` board; an
// absent function or another bus reads as all ones (how firmware finds no
// device) and ignores writes.
//
// CF9h, inside the address register's dword, is the PIIX3's reset control
// register when accessed as a byte: writing bit 2 (RST_CPU) resets the
// machine (bit 1 asks for a hard reset; both reset everything here), which
// SeaBIOS and Linux use to reboot.

import type { Device, IoSize, PortHandler } from '../bus';
import type { PciFunction, PciFunctionState } from './pciFunction';

export const PCI_CONFIG_ADDRESS = 0xcf8;
export const PCI_CONFIG_DATA = 0xcfc;
export const PIIX_RESET_CONTROL = 0xcf9;

export interface PciHostState {
  address: number;
  resetControl: number;
  functions: Record<string, PciFunctionState>;
}

/** Bus 0 device/function number: device << 3 | function. */
export function devfn(device: number, fn: number): number {
  return (device << 3) | fn;
}

export class PciHost implements Device<PciHostState>, PortHandler {
  readonly name = 'pci';
  readonly ports = [0xcf8, 0xcf9, 0xcfa, 0xcfb, 0xcfc, 0xcfd, 0xcfe, 0xcff];
  private readonly functions = new Map<number, PciFunction>();
  private address = 0;
  private resetControl = 0;

  /** `requestReset` resets the machine (the reset control register's RST_CPU). */
  constructor(private readonly requestReset: () => void) {}

  /** Put `fn` at bus 0, `slot`: `device << 3 | function` (see devfn). */
  attach(slot: number, fn: PciFunction): void {
    if (this.functions.has(slot)) throw new Error(`PCI 00:${(slot >> 3).toString(16).padStart(2, '0')}.${slot & 7} is taken`);
    this.functions.set(slot, fn);
  }

  /** The functions on the bus in slot order, for the machine view and tests. */
  list(): { slot: number; fn: PciFunction }[] {
    return [...this.functions.entries()].sort((a, b) => a[0] - b[0]).map(([slot, fn]) => ({ slot, fn }));
  }

  /** The function the address register selects, or null (disabled, another bus, nothing there). */
  private selected(): PciFunction | null {
    const a = this.address;
    if ((a & 0x80000000) === 0 || ((a >>> 16) & 0xff) !== 0) return null;
    return this.functions.get((a >>> 8) & 0xff) ?? null;
  }

  ioRead(port: number, size: IoSize): number {
    const mask = size === 4 ? 0xffffffff : (1 << (8 * size)) - 1;
    if (port >= PCI_CONFIG_DATA) {
      const fn = this.selected();
      const offset = (this.address & 0xfc) + (port & 3);
      if (!fn || offset + size > ((this.address & 0xfc) + 4)) return mask;
      return fn.read(offset, size);
    }
    if (port === PIIX_RESET_CONTROL && size === 1) return this.resetControl;
    if (size === 4 && port === PCI_CONFIG_ADDRESS) return this.address >>> 0;
    return (this.address >>> (8 * (port & 3))) & mask;
  }

  ioWrite(port: number, size: IoSize, value: number): void {
    if (port >= PCI_CONFIG_DATA) {
      const fn = this.selected();
      const offset = (this.address & 0xfc) + (port & 3);
      if (fn && offset + size <= (this.address & 0xfc) + 4) fn.write(offset, size, value);
      return;
    }
    if (port === PIIX_RESET_CONTROL && size === 1) {
      if (value & 0x04) {
        this.resetControl = 0;
        this.requestReset();
      } else this.resetControl = value & 0x02;
      return;
    }
    // Only a dword write sets the address register (bits 1-0 and 30-24 are reserved, read as 0).
    if (size === 4 && port === PCI_CONFIG_ADDRESS) this.address = value & 0x80fffffc;
  }

  reset(): void {
    this.address = 0;
    this.resetControl = 0;
    for (const fn of this.functions.values()) fn.reset();
  }

  saveState(): PciHostState {
    const functions: Record<string, PciFunctionState> = {};
    for (const [slot, fn] of this.functions) functions[String(slot)] = fn.saveState();
    return { address: this.address, resetControl: this.resetControl, functions };
  }

  loadState(state: PciHostState): void {
    this.address = state.address;
    this.resetControl = state.resetControl;
    for (const [slot, fn] of this.functions) {
      const s = state.functions[String(slot)];
      if (s) fn.loadState(s);
    }
  }
}
