// The narrow interface the VMM gives the CPU: physical memory and I/O ports.
//
// Physical memory is one flat RAM array plus a kind byte per 4 KiB page of the
// 4 GiB physical space. The CPU reads and writes RAM pages directly (the hot
// path); every other page goes through the slow calls, which the VMM routes to
// ROM images, watched RAM, MMIO devices or "unmapped" (reads all ones, writes dropped).

/** Kind of a 4 KiB physical page, as seen by the CPU's memory fast path. */
export const enum PageKind {
  /** Plain RAM: reads and writes go straight to `ram`. */
  Ram = 0,
  /**
   * Reads straight from `ram`, writes through `writeSlow`: ROM (the write is
   * dropped) and watched RAM (written, then the watcher is told: decoded-code
   * invalidation, VGA dirty tracking, watchpoints). Unwatched RAM pays nothing.
   */
  ReadFast = 1,
  /** Everything else: MMIO, ROM aliases not in `ram`, unmapped. Both through the slow calls. */
  Slow = 2,
}

export const PAGE_SHIFT = 12;
export const PAGE_COUNT = 1 << 20; // 4 GiB / 4 KiB

export interface PhysicalMemory {
  /** Guest RAM. Physical address `a` of a Ram or ReadFast page is `ram[a]`. */
  readonly ram: Uint8Array;
  /** One PageKind per 4 KiB physical page (length PAGE_COUNT). */
  readonly pageKind: Uint8Array;
  /**
   * Read `size` bytes (1, 2 or 4; never crossing a page) at a Slow page,
   * little-endian, zero-extended. `fetch` marks instruction fetches (data
   * watchpoints ignore them).
   */
  readSlow(address: number, size: 1 | 2 | 4, fetch?: boolean): number;
  /** Write to a ReadFast or Slow page (never crossing a page). */
  writeSlow(address: number, size: 1 | 2 | 4, value: number): void;
}

/**
 * I/O ports. `portIn`/`portOut` are answered synchronously by in-core devices.
 * A port nobody claims makes the VMM request an exit: it calls
 * `Cpu.requestIoExit` from inside `portIn`/`portOut`, and the CPU then backs an
 * IN out to the start of the instruction (it is re-executed with the data the
 * monitor supplies) or completes an OUT before leaving `run`.
 */
export interface IoPorts {
  portIn(port: number, size: 1 | 2 | 4): number;
  portOut(port: number, size: 1 | 2 | 4, value: number): void;
}

/**
 * The interrupt controller as the CPU sees it (the 8259's INTA cycle). The VMM
 * drives the CPU's INTR input with `Cpu.setIntr(level)`; when the CPU accepts
 * the interrupt (IF set, no shadow) it calls `acknowledge` for the vector.
 */
export interface InterruptAcknowledge {
  acknowledge(): number;
}
