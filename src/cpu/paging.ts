// 32-bit paging (SDM vol. 3 §4.3): the two-level walk with 4 KiB pages and,
// with CR4.PSE, 4 MiB pages (PAE paging is ./paePaging.ts); U/S and R/W checks (CR0.WP for supervisor
// writes); accessed and dirty bits; #PF with CR2 and the error code. The
// translation is cached in a software TLB (MemoryAccess.tlb) that MOV CR0,
// CR4 and INVLPG flush, and MOV CR3 and task switches flush but for global
// pages (G with CR4.PGE).

import { GuestFault } from './faults';
import type { MemoryAccess } from './memoryAccess';
import { PageKind } from './bus';
import { CR0_WP, VEC_PF } from './state';

/** TLB entry bits, beside the physical page number in bits 12-31. */
export const TLB_VALID = 1, TLB_USER = 2, TLB_WRITABLE = 4, TLB_DIRTY = 8;
/** A global page (G with CR4.PGE): the entry survives CR3 loads (SDM vol. 3 §4.10.2.4). */
export const TLB_GLOBAL = 16;

const PTE_P = 1, PTE_RW = 2, PTE_US = 4, PTE_A = 0x20, PTE_D = 0x40, PDE_PS = 0x80, PTE_G = 0x100;
const CR4_PSE = 1 << 4, CR4_PGE = 1 << 7;

/** A 32-bit read of a paging structure at a physical address (A20 applies). */
export function readPhysical32(m: MemoryAccess, address: number): number {
  const p = address & m.a20Mask;
  if (m.pageKind[p >>> 12] <= PageKind.ReadFast) {
    const ram = m.ram;
    return ram[p] | (ram[p + 1] << 8) | (ram[p + 2] << 16) | (ram[p + 3] << 24);
  }
  return m.memory.readSlow(p >>> 0, 4) | 0;
}

/** A 32-bit write of a paging structure (accessed/dirty bits). */
export function writePhysical32(m: MemoryAccess, address: number, value: number): void {
  const p = address & m.a20Mask;
  if (m.pageKind[p >>> 12] === PageKind.Ram) {
    const ram = m.ram;
    ram[p] = value;
    ram[p + 1] = value >> 8;
    ram[p + 2] = value >> 16;
    ram[p + 3] = value >> 24;
  } else m.memory.writeSlow(p >>> 0, 4, value >>> 0);
}

/**
 * Walk the page tables for `linear`. With `commit`, a failure raises #PF
 * (CR2 and the error code set) and a success sets the accessed/dirty bits
 * and fills the TLB; without it (a debugger's look) nothing changes and a
 * failure returns -1.
 */
export function pageWalk(m: MemoryAccess, linear: number, write: boolean, commit: boolean): number {
  const user = m.cpl === 3;
  const pdeAddress = ((m.cr3 & 0xfffff000) + ((linear >>> 22) << 2)) | 0;
  const pde = readPhysical32(m, pdeAddress);
  if ((pde & PTE_P) === 0) return pageFault(m, linear, write, user, false, commit);
  let physical: number;
  let rights: number;
  let pteAddress = -1;
  let pte = 0;
  if ((pde & PDE_PS) !== 0 && (m.cr4 & CR4_PSE) !== 0) {
    physical = ((pde & 0xffc00000) | (linear & 0x3ff000)) >>> 0;
    rights = pde;
  } else {
    pteAddress = ((pde & 0xfffff000) + (((linear >>> 12) & 0x3ff) << 2)) | 0;
    pte = readPhysical32(m, pteAddress);
    if ((pte & PTE_P) === 0) return pageFault(m, linear, write, user, false, commit);
    physical = (pte & 0xfffff000) >>> 0;
    rights = pde & pte; // both levels must allow user access and writes
  }
  const userOk = (rights & PTE_US) !== 0;
  const writeOk = (rights & PTE_RW) !== 0 || (!user && (m.cr0 & CR0_WP) === 0);
  if ((user && !userOk) || (write && !writeOk)) return pageFault(m, linear, write, user, true, commit);
  if (!commit) return (physical | (linear & 0xfff)) >>> 0;

  // Accessed on every level used, dirty on the page written.
  if ((pde & PTE_A) === 0 || (pteAddress < 0 && write && (pde & PTE_D) === 0)) {
    writePhysical32(m, pdeAddress, pde | PTE_A | (pteAddress < 0 && write ? PTE_D : 0));
  }
  if (pteAddress >= 0 && ((pte & PTE_A) === 0 || (write && (pte & PTE_D) === 0))) {
    writePhysical32(m, pteAddress, pte | PTE_A | (write ? PTE_D : 0));
  }
  const dirty = pteAddress < 0 ? write || (pde & PTE_D) !== 0 : write || (pte & PTE_D) !== 0;
  const global = (m.cr4 & CR4_PGE) !== 0 && ((pteAddress < 0 ? pde : pte) & PTE_G) !== 0;
  m.fillTlb(
    linear >>> 12,
    physical | TLB_VALID | (userOk ? TLB_USER : 0) | ((rights & PTE_RW) !== 0 ? TLB_WRITABLE : 0) | (dirty ? TLB_DIRTY : 0) |
      (global ? TLB_GLOBAL : 0),
  );
  return (physical | (linear & 0xfff)) >>> 0;
}

function pageFault(m: MemoryAccess, linear: number, write: boolean, user: boolean, present: boolean, commit: boolean): number {
  if (!commit) return -1;
  m.cr2 = linear | 0;
  throw new GuestFault(VEC_PF, (present ? 1 : 0) | (write ? 2 : 0) | (user ? 4 : 0));
}
