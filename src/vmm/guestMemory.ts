// Guest physical memory: one ArrayBuffer of RAM and a memory map of ROM and
// MMIO regions over the 4 GiB physical space. The CPU reads the page-kind
// table and the RAM array directly; everything else comes through here.

import { PAGE_COUNT, PAGE_SHIFT, PageKind, PhysicalMemory } from '../cpu/bus';
import { IoSize, MmioHandler } from '../devices/bus';

interface RomRegion {
  start: number;
  /** Exclusive end. */
  end: number;
  image: Uint8Array;
  /** True when the image lives in `ram` at `start` (a ROM below the top of RAM). */
  inRam: boolean;
}

interface MmioRegion {
  start: number;
  end: number;
  handler: MmioHandler;
}

/** A physical range watched for data accesses (a debugger's watchpoint). */
export interface PhysicalWatch {
  /** The watchpoint this range belongs to (one linear watchpoint may map to several physical ranges). */
  index: number;
  start: number;
  /** Exclusive end. */
  end: number;
  read: boolean;
  write: boolean;
}

export interface WatchHit {
  /** The `index` of the watched range that was hit. */
  index: number;
  address: number;
  size: number;
  access: 'read' | 'write';
  oldValue: number;
  newValue: number;
}

/** An access to a physical address nothing claims; the VMM turns it into an `mmio` exit or all-ones. */
export type UnclaimedMmio = (address: number, size: IoSize, direction: 'in' | 'out', data: number) => number;

export class GuestMemory implements PhysicalMemory {
  readonly ram: Uint8Array;
  readonly pageKind = new Uint8Array(PAGE_COUNT);
  private readonly roms: RomRegion[] = [];
  private readonly mmio: MmioRegion[] = [];
  /** Pages of RAM whose writes someone watches (page index -> listeners). */
  private readonly watchers = new Map<number, ((address: number, size: number) => void)[]>();
  unclaimed: UnclaimedMmio = () => 0xffffffff;
  private watches: PhysicalWatch[] = [];
  /** Page kinds as they were before watches changed them. */
  private readonly kindsBeforeWatch = new Map<number, number>();
  onWatchHit: (hit: WatchHit) => void = () => {};

  constructor(ramBytes: number) {
    if (ramBytes < 1 << 20 || ramBytes % (1 << PAGE_SHIFT) !== 0) {
      throw new Error(`guest RAM must be at least 1 MiB and a multiple of 4 KiB (got ${ramBytes} bytes)`);
    }
    this.ram = new Uint8Array(ramBytes);
    this.pageKind.fill(PageKind.Slow);
    this.pageKind.fill(PageKind.Ram, 0, ramBytes >>> PAGE_SHIFT);
  }

  get ramSize(): number {
    return this.ram.length;
  }

  /**
   * Map a ROM image at `start`. Below the top of RAM the image is copied into
   * RAM and the pages become read-only (fast reads); above it (the BIOS alias
   * under 4 GiB) reads go through the slow path.
   */
  mapRom(start: number, image: Uint8Array): void {
    const end = start + image.length;
    const inRam = end <= this.ram.length;
    this.roms.push({ start, end, image, inRam });
    if (inRam) this.ram.set(image, start);
    for (let page = start >>> PAGE_SHIFT; page < Math.ceil(end / 4096); page++) {
      this.pageKind[page] = inRam ? PageKind.ReadFast : PageKind.Slow;
    }
  }

  mapMmio(start: number, length: number, handler: MmioHandler): void {
    this.mmio.push({ start, end: start + length, handler });
    for (let page = start >>> PAGE_SHIFT; page < Math.ceil((start + length) / 4096); page++) {
      this.pageKind[page] = PageKind.Slow;
    }
  }

  /** Be told of every CPU write to RAM pages in [start, start+length). Reads stay on the fast path. */
  watchWrites(start: number, length: number, listener: (address: number, size: number) => void): void {
    for (let page = start >>> PAGE_SHIFT; page < Math.ceil((start + length) / 4096); page++) {
      if (this.pageKind[page] === PageKind.Ram) this.pageKind[page] = PageKind.ReadFast;
      const list = this.watchers.get(page) ?? [];
      list.push(listener);
      this.watchers.set(page, list);
    }
  }

  /**
   * Watch physical ranges for reads and writes. Watched pages leave the CPU's
   * fast path (reads too, for read watches); all other pages keep it, so a
   * watchpoint costs only where it is.
   */
  setWatches(watches: readonly PhysicalWatch[]): void {
    for (const [page, kind] of this.kindsBeforeWatch) this.pageKind[page] = kind;
    this.kindsBeforeWatch.clear();
    this.watches = watches.map((w) => ({ ...w }));
    for (const w of this.watches) {
      for (let page = w.start >>> PAGE_SHIFT; page <= (w.end - 1) >>> PAGE_SHIFT; page++) {
        const kind = this.pageKind[page];
        if (!this.kindsBeforeWatch.has(page)) this.kindsBeforeWatch.set(page, kind);
        if (w.read) this.pageKind[page] = PageKind.Slow;
        else if (kind === PageKind.Ram) this.pageKind[page] = PageKind.ReadFast;
      }
    }
  }

  private checkWatches(address: number, size: number, access: 'read' | 'write', oldValue: number, newValue: number): void {
    for (let i = 0; i < this.watches.length; i++) {
      const w = this.watches[i];
      if (address < w.end && address + size > w.start && (access === 'read' ? w.read : w.write)) {
        this.onWatchHit({ index: w.index, address, size, access, oldValue, newValue });
        return;
      }
    }
  }

  private ramValue(address: number, size: number): number {
    let v = 0;
    for (let i = 0; i < size; i++) v |= this.ram[address + i] << (8 * i);
    return v >>> 0;
  }

  private findRom(address: number): RomRegion | undefined {
    for (const r of this.roms) if (address >= r.start && address < r.end) return r;
    return undefined;
  }

  private findMmio(address: number): MmioRegion | undefined {
    for (const r of this.mmio) if (address >= r.start && address < r.end) return r;
    return undefined;
  }

  readSlow(address: number, size: IoSize, fetch = false): number {
    if (this.watches.length > 0 && !fetch && address + size <= this.ram.length) {
      const v = this.ramValue(address, size);
      this.checkWatches(address, size, 'read', v, v);
    }
    const m = this.findMmio(address);
    if (m) return m.handler.mmioRead(address, size);
    const rom = this.findRom(address);
    if (rom) {
      let v = 0;
      for (let i = 0; i < size; i++) v |= rom.image[address - rom.start + i] << (8 * i);
      return v >>> 0;
    }
    if (address + size <= this.ram.length) {
      let v = 0;
      for (let i = 0; i < size; i++) v |= this.ram[address + i] << (8 * i);
      return v >>> 0;
    }
    const mask = size === 4 ? 0xffffffff : (1 << (8 * size)) - 1;
    return (this.unclaimed(address, size, 'in', 0) & mask) >>> 0;
  }

  writeSlow(address: number, size: IoSize, value: number): void {
    const m = this.findMmio(address);
    if (m) {
      m.handler.mmioWrite(address, size, value);
      return;
    }
    if (this.findRom(address)) return; // writes to ROM are dropped
    if (address + size <= this.ram.length) {
      const old = this.watches.length > 0 ? this.ramValue(address, size) : 0;
      for (let i = 0; i < size; i++) this.ram[address + i] = value >>> (8 * i);
      const list = this.watchers.get(address >>> PAGE_SHIFT);
      if (list) for (const w of list) w(address, size);
      if (this.watches.length > 0) this.checkWatches(address, size, 'write', old, this.ramValue(address, size));
      return;
    }
    this.unclaimed(address, size, 'out', value);
  }

  /** Copy bytes into guest RAM (loaders, the debugger). ROM and MMIO are not written; returns false if any byte was not RAM. */
  writePhysical(address: number, data: Uint8Array): boolean {
    let ok = true;
    for (let i = 0; i < data.length; i++) {
      const a = address + i;
      if (a < this.ram.length && this.pageKind[a >>> PAGE_SHIFT] !== PageKind.Slow && !this.findRom(a)) {
        this.ram[a] = data[i];
        const list = this.watchers.get(a >>> PAGE_SHIFT);
        if (list) for (const w of list) w(a, 1);
      } else ok = false;
    }
    return ok;
  }

  /** Read physical bytes without side effects: RAM and ROM; null where nothing is mapped or MMIO (unreadable). */
  readPhysical(address: number, length: number): (number | null)[] {
    const out: (number | null)[] = [];
    for (let i = 0; i < length; i++) {
      const a = address + i;
      if (a >= 0x100000000) out.push(null);
      else if (this.findMmio(a)) out.push(null);
      else {
        const rom = this.findRom(a);
        if (rom) out.push(rom.image[a - rom.start]);
        else if (a < this.ram.length) out.push(this.ram[a]);
        else out.push(null);
      }
    }
    return out;
  }
}
