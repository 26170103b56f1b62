// Data access of the x86 core: the general registers, the segment caches and
// the state that addressing depends on (CR0, A20, SS.B), segmented and linear
// memory access through the bus, and the stack. `MemoryAccess` is a base
// class of the Cpu (it extends LazyFlags), so these are plain methods of the
// CPU object, inlined by V8 into the handlers like the flags accessors.
//
// Hot-path rules as in ./cpu.ts: no allocation, no closures, no exceptions
// except for guest faults.

import { PageKind, PhysicalMemory } from './bus';
import { GuestFault } from './faults';
import { LazyFlags } from './flags';
import { paeWalk } from './paePaging';
import { TLB_DIRTY, TLB_GLOBAL, TLB_USER, TLB_WRITABLE, pageWalk } from './paging';
import { CR0_ET, CR0_PG, CR0_WP, CR4_PAE, SS, VEC_GP, VEC_SS } from './state';

export class MemoryAccess extends LazyFlags {
  // ---- General registers: one buffer, three views (little-endian host). ----
  readonly reg32 = new Int32Array(8);
  readonly reg16 = new Uint16Array(this.reg32.buffer);
  readonly reg8 = new Uint8Array(this.reg32.buffer);

  // ---- Segment registers and their hidden descriptor caches. ----
  readonly segSel = new Uint16Array(6);
  readonly segBase = new Int32Array(6);
  /** Byte-granular limits (0..0xFFFFFFFF). */
  readonly segLimit = new Float64Array(6);
  readonly segAttr = new Int32Array(6);

  // ---- Addressing state (the rest of the control state is in Cpu). ----
  /** CR0; here because its PG bit decides translation. */
  cr0 = CR0_ET;
  /** The page-fault address, the page directory base and CR4 (PSE): translation state. */
  cr2 = 0;
  cr3 = 0;
  cr4 = 0;
  /** Current privilege level: user (3) or supervisor accesses for paging. */
  cpl = 0;
  /**
   * Software TLB: per linear page, the physical page and TLB_* rights bits
   * (./paging.ts), or 0. `tlbFilled` lists the pages to clear on a flush.
   */
  readonly tlb = new Int32Array(1 << 20);
  private tlbFilled: number[] = [];
  /** The PAE PDPTE registers (SDM vol. 3 §4.4.1), low and high dwords, loaded by ./paePaging.ts. */
  readonly pdpteLo = new Int32Array(4);
  readonly pdpteHi = new Int32Array(4);
  /**
   * The linear page whose last walk (PAE) reached a physical page at or above
   * 4 GiB, where nothing answers, or -1. Such a page is never in the TLB, so
   * every access to it walks and sets this again; the walk returns an address
   * in a page that is never RAM (UNBACKED_SENTINEL), so the access takes the
   * slow branch, which reads all ones / drops the write for this page. Any
   * TLB flush resets it.
   */
  unbackedLinearPage = -1;
  /** SS.B: the stack pointer is ESP (else SP). */
  stack32 = false;
  /** Physical address mask: bit 20 is cleared while the A20 gate is off. */
  a20Mask = -1;

  // ---- The bus. ----
  ram: Uint8Array;
  pageKind: Uint8Array;

  constructor(readonly memory: PhysicalMemory) {
    super();
    this.ram = memory.ram;
    this.pageKind = memory.pageKind;
  }

  // =====================================================================
  // Segmented memory access
  // =====================================================================

  /**
   * Check an access of `size` bytes at seg:off against the segment limit and
   * return its linear address. Real mode uses the cached limit too (SDM vol. 3
   * §20.1.1): that is what makes big real mode, and what faults a word access
   * at offset FFFFh.
   */
  linearAddress(seg: number, off: number, size: number): number {
    if (off + size - 1 > this.segLimit[seg]) this.segmentLimitFault(seg);
    return (this.segBase[seg] + off) | 0;
  }

  private segmentLimitFault(seg: number): never {
    throw new GuestFault(seg === SS ? VEC_SS : VEC_GP, 0);
  }

  /**
   * Linear to physical (before the A20 mask): the identity without paging;
   * with CR0.PG the TLB, or the page walk (#PF on failure).
   */
  translate(linear: number, write = false): number {
    if ((this.cr0 & CR0_PG) === 0) return linear;
    const e = this.tlb[linear >>> 12];
    if (e !== 0 && (this.cpl !== 3 || (e & TLB_USER) !== 0)) {
      if (!write) return (e & ~0xfff) | (linear & 0xfff);
      // A write needs the dirty bit already set, and the right to write at this level.
      if ((e & TLB_DIRTY) !== 0 && ((e & TLB_WRITABLE) !== 0 || (this.cpl !== 3 && (this.cr0 & CR0_WP) === 0))) {
        return (e & ~0xfff) | (linear & 0xfff);
      }
    }
    if (this.cr4 & CR4_PAE) {
      this.unbackedLinearPage = -1;
      return paeWalk(this, linear, write, true);
    }
    return pageWalk(this, linear, write, true);
  }

  /** The translation a debugger sees: no faults, no accessed/dirty bits, no TLB fill; null where nothing maps. */
  translatePeek(linear: number): number | null {
    if ((this.cr0 & CR0_PG) === 0) return linear >>> 0;
    const p = this.cr4 & CR4_PAE ? paeWalk(this, linear, false, false) : pageWalk(this, linear, false, false);
    return p < 0 ? null : p;
  }

  /** The physical address `linear` reaches (paging, then A20), or -1 when it does not translate; no side effects. */
  physicalOf(linear: number): number {
    const p = this.translatePeek(linear | 0);
    return p === null ? -1 : (p & this.a20Mask) >>> 0;
  }

  fillTlb(page: number, entry: number): void {
    if (this.tlb[page] === 0) this.tlbFilled.push(page);
    this.tlb[page] = entry;
  }

  /**
   * Told when the guest changes its translation (a TLB flush or INVLPG): the
   * VMM re-translates linear watchpoints then. Null when nobody asks.
   */
  onTranslationChange: (() => void) | null = null;

  /** Forget every cached translation (MOV CR0/CR3/CR4, task switch). */
  flushTlb(): void {
    const filled = this.tlbFilled;
    if (filled.length > 4096) this.tlb.fill(0);
    else for (let i = 0; i < filled.length; i++) this.tlb[filled[i]] = 0;
    this.tlbFilled = [];
    this.unbackedLinearPage = -1;
    if (this.onTranslationChange) this.onTranslationChange();
  }

  /**
   * A CR3 load (MOV CR3, a task switch): forget every translation but those
   * of global pages (SDM vol. 3 §4.10.4.1); only pages filled as global
   * (TLB_GLOBAL, set only under CR4.PGE) stay.
   */
  flushTlbNonGlobal(): void {
    const filled = this.tlbFilled;
    const kept: number[] = [];
    for (let i = 0; i < filled.length; i++) {
      const page = filled[i];
      if (this.tlb[page] & TLB_GLOBAL) kept.push(page);
      else this.tlb[page] = 0;
    }
    this.tlbFilled = kept;
    this.unbackedLinearPage = -1;
    if (this.onTranslationChange) this.onTranslationChange();
  }

  /** INVLPG: forget the translation of one page. */
  invalidatePage(linear: number): void {
    this.tlb[linear >>> 12] = 0;
    this.unbackedLinearPage = -1;
    if (this.onTranslationChange) this.onTranslationChange();
  }

  read8(seg: number, off: number): number {
    return this.readLinear8(this.linearAddress(seg, off, 1));
  }
  read16(seg: number, off: number): number {
    return this.readLinear16(this.linearAddress(seg, off, 2));
  }
  read32(seg: number, off: number): number {
    return this.readLinear32(this.linearAddress(seg, off, 4));
  }
  write8(seg: number, off: number, v: number): void {
    this.writeLinear8(this.linearAddress(seg, off, 1), v);
  }
  write16(seg: number, off: number, v: number): void {
    this.writeLinear16(this.linearAddress(seg, off, 2), v);
  }
  write32(seg: number, off: number, v: number): void {
    this.writeLinear32(this.linearAddress(seg, off, 4), v);
  }

  readLinear8(lin: number): number {
    const p = this.translate(lin) & this.a20Mask;
    if (this.pageKind[p >>> 12] <= PageKind.ReadFast) return this.ram[p];
    return this.readSlowLinear(lin, p, 1);
  }

  readLinear16(lin: number): number {
    if ((lin & 0xfff) === 0xfff) return this.readLinear8(lin) | (this.readLinear8((lin + 1) | 0) << 8);
    const p = this.translate(lin) & this.a20Mask;
    if (this.pageKind[p >>> 12] <= PageKind.ReadFast) return this.ram[p] | (this.ram[p + 1] << 8);
    return this.readSlowLinear(lin, p, 2);
  }

  readLinear32(lin: number): number {
    if ((lin & 0xfff) > 0xffc) return this.readLinear16(lin) | (this.readLinear16((lin + 2) | 0) << 16);
    const p = this.translate(lin) & this.a20Mask;
    if (this.pageKind[p >>> 12] <= PageKind.ReadFast) {
      const ram = this.ram;
      return ram[p] | (ram[p + 1] << 8) | (ram[p + 2] << 16) | (ram[p + 3] << 24);
    }
    return this.readSlowLinear(lin, p, 4) | 0;
  }

  writeLinear8(lin: number, v: number): void {
    const p = this.translate(lin, true) & this.a20Mask;
    if (this.pageKind[p >>> 12] === PageKind.Ram) this.ram[p] = v;
    else this.writeSlowLinear(lin, p, 1, v & 0xff);
  }

  writeLinear16(lin: number, v: number): void {
    if ((lin & 0xfff) === 0xfff) {
      this.writeLinear8(lin, v);
      this.writeLinear8((lin + 1) | 0, v >> 8);
      return;
    }
    const p = this.translate(lin, true) & this.a20Mask;
    if (this.pageKind[p >>> 12] === PageKind.Ram) {
      this.ram[p] = v;
      this.ram[p + 1] = v >> 8;
    } else this.writeSlowLinear(lin, p, 2, v & 0xffff);
  }

  writeLinear32(lin: number, v: number): void {
    if ((lin & 0xfff) > 0xffc) {
      this.writeLinear16(lin, v);
      this.writeLinear16((lin + 2) | 0, v >>> 16);
      return;
    }
    const p = this.translate(lin, true) & this.a20Mask;
    if (this.pageKind[p >>> 12] === PageKind.Ram) {
      const ram = this.ram;
      ram[p] = v;
      ram[p + 1] = v >> 8;
      ram[p + 2] = v >> 16;
      ram[p + 3] = v >> 24;
    } else this.writeSlowLinear(lin, p, 4, v >>> 0);
  }

  /**
   * A read of a page off the RAM fast path: the bus, or all ones for a page
   * above 4 GiB (unbackedLinearPage). `fetch` marks instruction fetches.
   */
  readSlowLinear(lin: number, p: number, size: 1 | 2 | 4, fetch = false): number {
    if (lin >>> 12 === this.unbackedLinearPage) return size === 4 ? 0xffffffff : (1 << (size * 8)) - 1;
    return this.memory.readSlow(p >>> 0, size, fetch);
  }

  /** A write off the RAM fast path: the bus, or dropped for a page above 4 GiB. */
  private writeSlowLinear(lin: number, p: number, size: 1 | 2 | 4, v: number): void {
    if (lin >>> 12 !== this.unbackedLinearPage) this.memory.writeSlow(p >>> 0, size, v);
  }

  /** Read a byte for a debugger or an error message: no faults, all ones where nothing answers. */
  peekLinear8(lin: number): number {
    try {
      return this.readLinear8(lin);
    } catch {
      return 0xff;
    }
  }

  // =====================================================================
  // Stack (the operand-size-dispatched pushV/popV are in Cpu, beside the decode state)
  // =====================================================================

  /** The stack pointer, masked to the stack's address size. */
  getSp(): number {
    return this.stack32 ? this.reg32[4] >>> 0 : this.reg16[8];
  }

  setSp(v: number): void {
    if (this.stack32) this.reg32[4] = v;
    else this.reg16[8] = v;
  }

  /** Add to the stack pointer, wrapping at the stack's address size. */
  adjustSp(delta: number): void {
    if (this.stack32) this.reg32[4] = (this.reg32[4] + delta) | 0;
    else this.reg16[8] = this.reg16[8] + delta;
  }

  push16(v: number): void {
    const sp = this.stack32 ? (this.reg32[4] - 2) >>> 0 : (this.reg16[8] - 2) & 0xffff;
    this.write16(SS, sp, v);
    this.setSp(sp);
  }

  push32(v: number): void {
    const sp = this.stack32 ? (this.reg32[4] - 4) >>> 0 : (this.reg16[8] - 4) & 0xffff;
    this.write32(SS, sp, v);
    this.setSp(sp);
  }

  pop16(): number {
    const sp = this.getSp();
    const v = this.read16(SS, sp);
    this.adjustSp(2);
    return v;
  }

  pop32(): number {
    const sp = this.getSp();
    const v = this.read32(SS, sp);
    this.adjustSp(4);
    return v;
  }
}
