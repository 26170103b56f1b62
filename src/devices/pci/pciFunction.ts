// One PCI function's 256-byte configuration space (PCI Local Bus
// Specification 3.0, chapter 6): the type 0 header, what software may write
// (a write mask per byte, as QEMU's model of the same devices has: the
// command bits, cache line size, latency timer, interrupt line, the BARs'
// address bits, and the whole device-specific area 40h-FFh), and BAR sizing
// (a BAR reads back its size mask after all ones are written, because its
// low bits are not writable).

export const PCI_VENDOR_ID = 0x00;
export const PCI_DEVICE_ID = 0x02;
export const PCI_COMMAND = 0x04;
export const PCI_STATUS = 0x06;
export const PCI_REVISION = 0x08;
export const PCI_PROG_IF = 0x09;
export const PCI_CLASS = 0x0a; // sub-class at 0Ah, base class at 0Bh
export const PCI_HEADER_TYPE = 0x0e;
export const PCI_BAR0 = 0x10;
export const PCI_SUBSYSTEM_VENDOR_ID = 0x2c;
export const PCI_SUBSYSTEM_ID = 0x2e;
export const PCI_INTERRUPT_LINE = 0x3c;
export const PCI_INTERRUPT_PIN = 0x3d;

/** Multi-function bit of the header type (on function 0 of a device with several functions). */
export const HEADER_MULTIFUNCTION = 0x80;

/** QEMU gives every device it models Red Hat's subsystem IDs; SeaBIOS checks them on 00:00.0 to know it runs on QEMU. */
export const QEMU_SUBSYSTEM_VENDOR = 0x1af4;
export const QEMU_SUBSYSTEM = 0x1100;

/** Command bits software may change: I/O, memory, bus master, special cycles, MWI, VGA snoop, parity, SERR#, fast back-to-back, INTx disable. */
const COMMAND_WRITABLE = 0x07ff & ~0x0080; // bit 7 (stepping) is hard-wired to 0

export interface PciIdentity {
  vendor: number;
  device: number;
  revision: number;
  /** Base class << 16 | sub-class << 8 | programming interface. */
  classCode: number;
  headerType: number;
  /** Interrupt pin 1-4 (INTA#-INTD#), 0 for none. */
  interruptPin?: number;
}

export interface PciFunctionState {
  config: number[];
}

export class PciFunction {
  readonly config = new Uint8Array(256);
  /** Per byte: the bits a configuration write may change. */
  protected readonly writeMask = new Uint8Array(256);
  /** The configuration space as it is at reset (reset() copies it back). */
  private resetConfig = new Uint8Array(256);

  constructor(
    readonly name: string,
    identity: PciIdentity,
  ) {
    const c = this.config;
    this.set16(PCI_VENDOR_ID, identity.vendor);
    this.set16(PCI_DEVICE_ID, identity.device);
    c[PCI_REVISION] = identity.revision;
    c[PCI_PROG_IF] = identity.classCode & 0xff;
    c[PCI_CLASS] = (identity.classCode >> 8) & 0xff;
    c[PCI_CLASS + 1] = (identity.classCode >> 16) & 0xff;
    c[PCI_HEADER_TYPE] = identity.headerType;
    this.set16(PCI_SUBSYSTEM_VENDOR_ID, QEMU_SUBSYSTEM_VENDOR);
    this.set16(PCI_SUBSYSTEM_ID, QEMU_SUBSYSTEM);
    c[PCI_INTERRUPT_PIN] = identity.interruptPin ?? 0;
    const m = this.writeMask;
    m[PCI_COMMAND] = COMMAND_WRITABLE & 0xff;
    m[PCI_COMMAND + 1] = COMMAND_WRITABLE >> 8;
    m[0x0c] = 0xff; // cache line size
    m[0x0d] = 0xff; // latency timer
    m[PCI_INTERRUPT_LINE] = 0xff;
    m.fill(0xff, 0x40, 0x100); // device-specific registers
  }

  /** An I/O BAR of `size` bytes (a power of two, at least 4) at BAR `index`: its address bits are writable, bit 0 says I/O. */
  protected ioBar(index: number, size: number): void {
    const offset = PCI_BAR0 + 4 * index;
    this.set32(offset, 0x1);
    // The address bits above the size are writable in all 32 bits, as QEMU has them (x86 decodes 16).
    const mask = ~(size - 1) & ~0x3;
    for (let i = 0; i < 4; i++) this.writeMask[offset + i] = (mask >>> (8 * i)) & 0xff;
  }

  /** Take the configuration as it is now as the reset state (after the constructor of a subclass). */
  protected sealResetState(): void {
    this.resetConfig = this.config.slice();
  }

  protected set16(offset: number, value: number): void {
    this.config[offset] = value & 0xff;
    this.config[offset + 1] = (value >> 8) & 0xff;
  }

  protected set32(offset: number, value: number): void {
    this.set16(offset, value & 0xffff);
    this.set16(offset + 2, value >>> 16);
  }

  /** `size` bytes (1, 2 or 4) at `offset`, little-endian (the mechanism keeps accesses inside one dword). */
  read(offset: number, size: number): number {
    let v = 0;
    for (let i = 0; i < size; i++) v |= this.config[offset + i] << (8 * i);
    return v >>> 0;
  }

  /** A configuration write: only the writable bits change; then `written` sees the range. */
  write(offset: number, size: number, value: number): void {
    for (let i = 0; i < size; i++) {
      const m = this.writeMask[offset + i];
      const b = (value >>> (8 * i)) & 0xff;
      this.config[offset + i] = (this.config[offset + i] & ~m) | (b & m);
    }
    this.written(offset, size);
  }

  /** Called after a write to [offset, offset + size): registers with side effects act here. */
  protected written(_offset: number, _size: number): void {}

  reset(): void {
    this.config.set(this.resetConfig);
    this.written(0, 256);
  }

  saveState(): PciFunctionState {
    return { config: Array.from(this.config) };
  }

  loadState(state: PciFunctionState): void {
    this.config.set(state.config);
  }
}

/** True when [offset, offset + size) and [start, start + length) overlap. */
export function overlaps(offset: number, size: number, start: number, length: number): boolean {
  return offset < start + length && start < offset + size;
}
