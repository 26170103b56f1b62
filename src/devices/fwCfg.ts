// QEMU's firmware configuration device, fw_cfg, as the x86 `pc` board has it
// (QEMU docs/specs/fw_cfg.rst): the firmware writes a 16-bit item key to the
// selector port 510h and reads the item's bytes one by one from the data
// port 511h (reading past the end gives zeros; selecting restarts at offset
// 0), or hands the device a DMA descriptor: its physical address, big-endian,
// written to 514h (high dword) and 518h (low dword, which starts the
// transfer). The descriptor is { control, length, address } in big-endian
// (control bits: 1 error, 2 read, 4 skip, 8 select with the key in bits
// 31-16, 10h write); the device clears control when done, or leaves the
// error bit. Reading 514h-51Bh gives the DMA signature "QEMU CFG".
//
// The items are those Debian's SeaBIOS 1.16 reads on the `pc` board, with
// the values QEMU gives for a machine without NUMA, ACPI tables from the
// host or SMBIOS fields: the "QEMU" signature, the interface ID (traditional
// and DMA), UUID, RAM size, CPU counts, boot menu off, the NUMA item (no
// nodes), the legacy ACPI/SMBIOS/e820 lists (empty), IRQ0 override, and the
// file directory (key 19h: a big-endian count, then 64-byte entries of
// size, key, reserved and a 56-byte name) with `etc/e820` (the RAM map:
// little-endian { u64 address, u64 length, u32 type }) and `etc/boot-cpus`.
// Writes through the data port or DMA are ignored (no item is writable).

import type { Device, GuestRam, IoSize, PortHandler } from './bus';

export const FW_CFG_SELECTOR = 0x510;
export const FW_CFG_DATA = 0x511;
export const FW_CFG_DMA_HIGH = 0x514;
export const FW_CFG_DMA_LOW = 0x518;

export const FW_CFG_SIGNATURE = 0x00;
export const FW_CFG_ID = 0x01;
export const FW_CFG_UUID = 0x02;
export const FW_CFG_RAM_SIZE = 0x03;
export const FW_CFG_NB_CPUS = 0x05;
export const FW_CFG_NUMA = 0x0d;
export const FW_CFG_BOOT_MENU = 0x0e;
export const FW_CFG_MAX_CPUS = 0x0f;
export const FW_CFG_FILE_DIR = 0x19;
export const FW_CFG_FILE_FIRST = 0x20;
export const FW_CFG_ACPI_TABLES = 0x8000;
export const FW_CFG_SMBIOS_ENTRIES = 0x8001;
export const FW_CFG_IRQ0_OVERRIDE = 0x8002;
export const FW_CFG_E820_TABLE = 0x8003;

const DMA_ERROR = 0x01;
const DMA_READ = 0x02;
const DMA_SKIP = 0x04;
const DMA_SELECT = 0x08;
const DMA_WRITE = 0x10;
/** "QEMU CFG", read from the DMA address ports. */
const DMA_SIGNATURE = Buffer.from('QEMU CFG', 'latin1');

export const E820_RAM = 1;
export const E820_RESERVED = 2;

export interface FwCfgMachine {
  /** RAM below 4 GiB, bytes. */
  memoryBytes: number;
  cpus: number;
}

export interface FwCfgState {
  selector: number;
  offset: number;
  dmaHigh: number;
}

function le(value: number, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let v = BigInt(value);
  for (let i = 0; i < bytes; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export class FwCfg implements Device<FwCfgState>, PortHandler {
  readonly name = 'fw_cfg';
  readonly ports = [FW_CFG_SELECTOR, FW_CFG_DATA, 0x514, 0x515, 0x516, 0x517, 0x518, 0x519, 0x51a, 0x51b];
  private readonly items = new Map<number, Uint8Array>();
  private readonly files: { name: string; key: number }[] = [];
  private selector = 0;
  private offset = 0;
  private dmaHigh = 0;

  constructor(
    machine: FwCfgMachine,
    private readonly memory: GuestRam,
  ) {
    this.items.set(FW_CFG_SIGNATURE, Buffer.from('QEMU', 'latin1'));
    this.items.set(FW_CFG_ID, le(0x3, 4)); // traditional interface and DMA
    this.items.set(FW_CFG_UUID, new Uint8Array(16));
    this.items.set(FW_CFG_RAM_SIZE, le(machine.memoryBytes, 8));
    this.items.set(FW_CFG_NB_CPUS, le(machine.cpus, 2));
    this.items.set(FW_CFG_MAX_CPUS, le(machine.cpus, 2));
    this.items.set(FW_CFG_BOOT_MENU, le(0, 2));
    // No NUMA nodes: the node count, then a node per possible CPU (all node 0).
    this.items.set(FW_CFG_NUMA, new Uint8Array(8 + 8 * machine.cpus));
    this.items.set(FW_CFG_ACPI_TABLES, le(0, 2));
    this.items.set(FW_CFG_SMBIOS_ENTRIES, le(0, 2));
    this.items.set(FW_CFG_IRQ0_OVERRIDE, le(1, 1));
    this.items.set(FW_CFG_E820_TABLE, le(0, 4));
    const e820 = new Uint8Array(20);
    e820.set(le(0, 8), 0);
    e820.set(le(machine.memoryBytes, 8), 8);
    e820.set(le(E820_RAM, 4), 16);
    this.addFile('etc/e820', e820);
    this.addFile('etc/boot-cpus', le(machine.cpus, 2));
  }

  /** A named item in the file directory (keys from 20h in order of addition; the directory lists names sorted, as QEMU does). */
  addFile(name: string, data: Uint8Array): void {
    if (name.length > 55) throw new Error(`fw_cfg file name too long: ${name}`);
    const key = FW_CFG_FILE_FIRST + this.files.length;
    this.files.push({ name, key });
    this.items.set(key, data);
    const sorted = [...this.files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const dir = new Uint8Array(4 + 64 * sorted.length);
    const view = new DataView(dir.buffer);
    view.setUint32(0, sorted.length);
    sorted.forEach((f, i) => {
      const at = 4 + 64 * i;
      view.setUint32(at, (this.items.get(f.key) as Uint8Array).length);
      view.setUint16(at + 4, f.key);
      dir.set(Buffer.from(f.name, 'latin1'), at + 8);
    });
    this.items.set(FW_CFG_FILE_DIR, dir);
  }

  /** The bytes of item `key` (undefined when there is none), for tests and the machine view. */
  item(key: number): Uint8Array | undefined {
    return this.items.get(key);
  }

  private select(key: number): void {
    this.selector = key & 0xffff;
    this.offset = 0;
  }

  /** The current item's next byte (0 past its end or for a key without an item). */
  private nextByte(): number {
    const data = this.items.get(this.selector & 0xbfff);
    if (!data || this.offset >= data.length) return 0;
    return data[this.offset++];
  }

  ioRead(port: number, size: IoSize): number {
    if (port === FW_CFG_DATA) {
      let v = 0;
      for (let i = 0; i < size; i++) v |= this.nextByte() << (8 * i);
      return v >>> 0;
    }
    if (port >= FW_CFG_DMA_HIGH) {
      // Big-endian signature bytes at the port's offset.
      let v = 0;
      for (let i = 0; i < size; i++) v |= (DMA_SIGNATURE[port - FW_CFG_DMA_HIGH + i] ?? 0) << (8 * i);
      return v >>> 0;
    }
    // The selector port reads nothing back (QEMU returns 0).
    return 0;
  }

  ioWrite(port: number, size: IoSize, value: number): void {
    if (port === FW_CFG_SELECTOR && size >= 2) this.select(value & 0xffff);
    else if (port === FW_CFG_DMA_HIGH && size === 4) this.dmaHigh = swap32(value);
    else if (port === FW_CFG_DMA_LOW && size === 4) {
      const address = swap32(value);
      const high = this.dmaHigh;
      this.dmaHigh = 0;
      if (high === 0) this.dma(address);
    }
  }

  /** Run the DMA descriptor at physical `address` and write its control word back. */
  private dma(address: number): void {
    const raw = this.memory.readPhysical(address, 16);
    if (raw.some((b) => b === null)) return;
    const d = new DataView(Uint8Array.from(raw as number[]).buffer);
    let control = d.getUint32(0);
    const length = d.getUint32(4);
    const target = d.getUint32(12);
    if (control & DMA_SELECT) this.select(control >>> 16);
    let error = false;
    if (control & DMA_WRITE) error = true;
    else if (control & DMA_READ) {
      const bytes = new Uint8Array(length);
      for (let i = 0; i < length; i++) bytes[i] = this.nextByte();
      if (d.getUint32(8) !== 0 || !this.memory.writePhysical(target, bytes)) error = true;
    } else if (control & DMA_SKIP) for (let i = 0; i < length; i++) this.nextByte();
    control = error ? DMA_ERROR : 0;
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, control);
    this.memory.writePhysical(address, out);
  }

  reset(): void {
    this.selector = 0;
    this.offset = 0;
    this.dmaHigh = 0;
  }

  saveState(): FwCfgState {
    return { selector: this.selector, offset: this.offset, dmaHigh: this.dmaHigh };
  }

  loadState(state: FwCfgState): void {
    this.selector = state.selector;
    this.offset = state.offset;
    this.dmaHigh = state.dmaHigh;
  }
}

function swap32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}
