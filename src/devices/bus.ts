// What a device model sees of the machine: port and MMIO handlers it
// registers, interrupt lines it drives, and the virtual clock it schedules on.

export type IoSize = 1 | 2 | 4;

/** A device's handler for a range of I/O ports. Reads return the value zero-extended to `size` bytes. */
export interface PortHandler {
  ioRead(port: number, size: IoSize): number;
  ioWrite(port: number, size: IoSize, value: number): void;
}

/** A device's handler for an MMIO range (never called across a 4 KiB page). */
export interface MmioHandler {
  mmioRead(address: number, size: IoSize): number;
  mmioWrite(address: number, size: IoSize, value: number): void;
}

/**
 * One interrupt request line into an interrupt controller. ISA devices are
 * edge-triggered on the 8259: raise then lower for one request, or hold it
 * high while the condition lasts (the UART does).
 */
export interface IrqLine {
  setLevel(high: boolean): void;
}

/** Every device and the CPU save and restore their state as plain serialisable objects. */
export interface Stateful<S> {
  saveState(): S;
  loadState(state: S): void;
}

/** A device: a name for messages and state, a reset, and its state. */
export interface Device<S = unknown> extends Stateful<S> {
  readonly name: string;
  /** Power-on / hard reset state. */
  reset(): void;
}

/** Guest physical memory as loaders and firmware services see it (no CPU translation, no side effects on reads). */
export interface GuestRam {
  /** Bytes at physical `address`; null where nothing readable is mapped. */
  readPhysical(address: number, length: number): (number | null)[];
  /** Copy into RAM; returns false if any byte fell outside RAM (ROM, MMIO, unmapped: those bytes are dropped). */
  writePhysical(address: number, data: Uint8Array): boolean;
  readonly ramSize: number;
}

/** How one page of upper memory (C0000h-FFFFFh) decodes: reads and writes each to DRAM or to the PCI bus (ROM, or nothing). */
export interface ShadowMode {
  readDram: boolean;
  writeDram: boolean;
}

/** The memory map's upper-memory decoding, as a chipset's shadow registers (the i440FX's PAM) drive it. */
export interface ShadowControl {
  setShadow(address: number, length: number, mode: ShadowMode): void;
  /** The DRAM behind upper memory and the per-page decoding (bit 0 read DRAM, bit 1 write DRAM), for snapshots; null when not enabled. */
  saveShadow(): { dram: Uint8Array; bits: number[] } | null;
  loadShadow(state: { dram: Uint8Array; bits: readonly number[] }): void;
}
