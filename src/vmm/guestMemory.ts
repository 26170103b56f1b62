// Guest physical memory: one ArrayBuffer of RAM and a memory map of ROM and
// MMIO regions over the 4 GiB physical space. The CPU reads the page-kind
// table and the RAM array directly; everything else comes through here.
//
// Upper memory (C0000h-FFFFFh) can be "shadowed" as the i440FX's PAM
// registers decode it: per 4 KiB page, reads come from DRAM or from the PCI
// bus (the ROM images mapped there), and writes go to DRAM or nowhere,
// independently. `ram` always holds what a read returns, so the CPU's fast
// path is unchanged; the DRAM of a page whose reads go to the bus waits in
// `shadowDram` and is swapped in when reads switch to DRAM.

import { PAGE_COUNT, PAGE_SHIFT, PageKind, PhysicalMemory } from '../cpu/bus';
import { IoSize, MmioHandler, ShadowControl, ShadowMode } from '../devices/bus';

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

/** Upper memory decoded by the shadow (PAM) registers: C0000h-FFFFFh. */
export const SHADOW_START = 0xc0000;
export const SHADOW_END = 0x100000;
const SHADOW_PAGES = (SHADOW_END - SHADOW_START) >>> PAGE_SHIFT;

export class GuestMemory implements PhysicalMemory, ShadowControl {
  readonly ram: Uint8Array;
  readonly pageKind = new Uint8Array(PAGE_COUNT);
  private readonly roms: RomRegion[] = [];
  private readonly mmio: MmioRegion[] = [];
  /** Pages of RAM whose writes someone watches (page index -> listeners). */
  private readonly watchers = new Map<number, ((address: number, size: number) => void)[]>();
  unclaimed: UnclaimedMmio = () => 0xffffffff;
  private watches: PhysicalWatch[] = [];
  /** Null until the board enables shadowing; then the DRAM behind C0000h-FFFFFh while its reads go to the bus. */
  private shadowDram: Uint8Array | null = null;
  /** Per upper-memory page: bit 0 reads from DRAM, bit 1 writes to DRAM. */
  private readonly shadowBits = new Uint8Array(SHADOW_PAGES);
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

  /**
   * Let upper memory's decoding be switched page by page (setShadow): from
   * now on C0000h-FFFFFh starts as the PCI bus decodes it at reset, reads
   * from the ROMs mapped there (unmapped bytes read all ones) and writes
   * dropped, with DRAM behind it that the firmware can open.
   */
  enableShadow(): void {
    if (this.shadowDram) return;
    this.shadowDram = new Uint8Array(SHADOW_END - SHADOW_START);
    this.shadowBits.fill(0);
    for (let page = 0; page < SHADOW_PAGES; page++) this.loadBusView(page);
  }

  get shadowEnabled(): boolean {
    return this.shadowDram !== null;
  }

  /** Decode page `SHADOW_START + page * 4K` as `mode`, moving contents between `ram` and the DRAM store as reads switch. */
  setShadow(address: number, length: number, mode: ShadowMode): void {
    const dram = this.shadowDram;
    if (!dram) throw new Error('shadow memory is not enabled on this board');
    for (let a = address; a < address + length; a += 1 << PAGE_SHIFT) {
      const page = (a - SHADOW_START) >>> PAGE_SHIFT;
      if (page < 0 || page >= SHADOW_PAGES) throw new RangeError(`0x${a.toString(16)} is not in upper memory`);
      const wasDram = (this.shadowBits[page] & 1) !== 0;
      const offset = page << PAGE_SHIFT;
      if (wasDram && !mode.readDram) {
        dram.set(this.ram.subarray(SHADOW_START + offset, SHADOW_START + offset + 4096), offset);
        this.loadBusView(page);
      } else if (!wasDram && mode.readDram) {
        this.ram.set(dram.subarray(offset, offset + 4096), SHADOW_START + offset);
      }
      this.shadowBits[page] = (mode.readDram ? 1 : 0) | (mode.writeDram ? 2 : 0);
      this.setShadowKind(page);
    }
  }

  /** The decoding of upper-memory page `page` (0 = C0000h). */
  shadowMode(page: number): ShadowMode {
    const bits = this.shadowBits[page];
    return { readDram: (bits & 1) !== 0, writeDram: (bits & 2) !== 0 };
  }

  /** The DRAM behind upper memory (as it is now, wherever it lives), for snapshots. */
  saveShadow(): { dram: Uint8Array; bits: number[] } | null {
    const dram = this.shadowDram;
    if (!dram) return null;
    const out = dram.slice();
    for (let page = 0; page < SHADOW_PAGES; page++) {
      if (this.shadowBits[page] & 1) out.set(this.ram.subarray(SHADOW_START + (page << PAGE_SHIFT), SHADOW_START + ((page + 1) << PAGE_SHIFT)), page << PAGE_SHIFT);
    }
    return { dram: out, bits: Array.from(this.shadowBits) };
  }

  /** Restore what saveShadow gave, after `ram` was restored (it holds the read view already). */
  loadShadow(state: { dram: Uint8Array; bits: readonly number[] }): void {
    const dram = this.shadowDram;
    if (!dram) throw new Error('shadow memory is not enabled on this board');
    dram.set(state.dram);
    for (let page = 0; page < SHADOW_PAGES; page++) {
      this.shadowBits[page] = state.bits[page] & 3;
      this.setShadowKind(page);
    }
  }

  /** Copy the PCI bus's bytes of an upper-memory page (ROMs, else all ones) into `ram`. */
  private loadBusView(page: number): void {
    const start = SHADOW_START + (page << PAGE_SHIFT);
    this.ram.fill(0xff, start, start + 4096);
    for (const r of this.roms) {
      const lo = Math.max(r.start, start);
      const hi = Math.min(r.end, start + 4096);
      if (lo < hi) this.ram.set(r.image.subarray(lo - r.start, hi - r.start), lo);
    }
  }

  /** Read-write DRAM is plain RAM; anything else reads fast and writes through writeSlow. */
  private setShadowKind(page: number): void {
    const index = (SHADOW_START >>> PAGE_SHIFT) + page;
    const kind = this.shadowBits[page] === 3 && !this.watchers.has(index) ? PageKind.Ram : PageKind.ReadFast;
    if (this.kindsBeforeWatch.has(index)) {
      this.kindsBeforeWatch.set(index, kind);
      if (this.pageKind[index] !== PageKind.Slow) this.pageKind[index] = PageKind.ReadFast;
    } else this.pageKind[index] = kind;
  }

  private isShadowed(address: number): boolean {
    return this.shadowDram !== null && address >= SHADOW_START && address < SHADOW_END;
  }

  /** A write to upper memory as its page decodes it: to `ram` or the DRAM store, or dropped. Returns whether it reached DRAM. */
  private writeShadow(address: number, size: number, value: number): boolean {
    const page = (address - SHADOW_START) >>> PAGE_SHIFT;
    const bits = this.shadowBits[page];
    if ((bits & 2) === 0) return false;
    if (bits & 1) return false; // DRAM is what `ram` shows: the caller writes it there
    const dram = this.shadowDram as Uint8Array;
    for (let i = 0; i < size; i++) dram[address - SHADOW_START + i] = value >>> (8 * i);
    return true;
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
    const rom = this.isShadowed(address) ? undefined : this.findRom(address);
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
    if (this.isShadowed(address)) {
      // Writes reach `ram` only where reads and writes both go to DRAM (watched pages come here too).
      if (this.writeShadow(address, size, value) || this.shadowBits[(address - SHADOW_START) >>> PAGE_SHIFT] !== 3) return;
    } else if (this.findRom(address)) return; // writes to ROM are dropped
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
      const writable = this.isShadowed(a) ? this.shadowBits[(a - SHADOW_START) >>> PAGE_SHIFT] === 3 : !this.findRom(a);
      if (a < this.ram.length && this.pageKind[a >>> PAGE_SHIFT] !== PageKind.Slow && writable) {
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
        const rom = this.isShadowed(a) ? undefined : this.findRom(a);
        if (rom) out.push(rom.image[a - rom.start]);
        else if (a < this.ram.length) out.push(this.ram[a]);
        else out.push(null);
      }
    }
    return out;
  }
}
