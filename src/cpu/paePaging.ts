// PAE paging (SDM vol. 3 §4.4): CR4.PAE with CR0.PG. Four PDPTEs, loaded
// from the 32-byte-aligned table at CR3 into internal registers by MOV CR3
// and by the MOV CR0/CR4 that turn PAE paging on (#GP(0) when a present
// PDPTE has a reserved bit set, §4.4.1); then a two-level walk of 64-bit
// entries: a page directory (2 MiB pages with PS) and a page table (4 KiB).
//
// The CPU model reports PAE with a 36-bit physical address width (no leaf
// 80000008h, so MAXPHYADDR is 36, §4.1.4) and no NX: EFER.NXE cannot be set,
// so bit 63 of an entry is reserved like bits 62:36, and a present entry with
// a reserved bit set is #PF with RSVD (error code bit 3) and P set (§4.7).
// The PAT bits (PTE bit 7, 2 MiB PDE bit 12) are not checked.
//
// Physical addresses at or above 4 GiB: the board has RAM only below 4 GiB
// and nothing decodes the addresses above it, so, as on a PC with no memory
// there, reads return all ones and writes are dropped. Such a page is never
// put in the TLB (an entry holds 32 address bits); its accesses walk each
// time and leave through MemoryAccess's unbacked-page path. A paging
// structure there reads as all ones too: P set and reserved bits set, so the
// walk ends in #PF with RSVD.

import { GuestFault } from './faults';
import type { MemoryAccess } from './memoryAccess';
import { TLB_DIRTY, TLB_GLOBAL, TLB_USER, TLB_VALID, TLB_WRITABLE, readPhysical32, writePhysical32 } from './paging';
import { CR0_WP, VEC_GP, VEC_PF } from './state';

const P = 1, RW = 2, US = 4, A = 0x20, D = 0x40, PS = 0x80, G = 0x100;
const CR4_PGE = 1 << 7;
/** Reserved bits of a present PDPTE: 2:1 and 8:5 (low dword), 63:36 (high). */
const PDPTE_RESERVED_LO = 0x1e6;
/** Bits 63:36 of any entry (MAXPHYADDR 36; bit 63 is XD only under EFER.NXE, which cannot be set). */
const RESERVED_HI = 0xfffffff0 | 0;
/** Bits 20:13 of a 2 MiB PDE. */
const PDE_2M_RESERVED_LO = 0x1fe000;
/** The error code's RSVD bit. */
const PF_RSVD = 8;
/** Where MemoryAccess sends an access to an unbacked page (see unbackedLinearPage). */
export const UNBACKED_SENTINEL = 0xfffff000 | 0;

/** A 32-bit read of the physical address hi:lo (hi = bits 35:32); all ones above 4 GiB. */
function readTable32(m: MemoryAccess, hi: number, lo: number): number {
  return hi === 0 ? readPhysical32(m, lo) : -1;
}

/**
 * Load the four PDPTEs from the table CR3 names (bits 31:5). Returns false,
 * leaving the registers unchanged, when a present entry has a reserved bit
 * set: the caller raises #GP(0) and does not commit the control register.
 */
export function loadPdptes(m: MemoryAccess, cr3: number): boolean {
  const base = cr3 & ~0x1f;
  const lo = [0, 0, 0, 0], hi = [0, 0, 0, 0];
  for (let i = 0; i < 4; i++) {
    lo[i] = readPhysical32(m, (base + i * 8) | 0);
    hi[i] = readPhysical32(m, (base + i * 8 + 4) | 0);
    if ((lo[i] & P) !== 0 && ((lo[i] & PDPTE_RESERVED_LO) !== 0 || (hi[i] & RESERVED_HI) !== 0)) return false;
  }
  for (let i = 0; i < 4; i++) {
    m.pdpteLo[i] = lo[i];
    m.pdpteHi[i] = hi[i];
  }
  return true;
}

/** loadPdptes for a control-register write: #GP(0) when a PDPTE is invalid. */
export function loadPdptesOrFault(m: MemoryAccess, cr3: number): void {
  if (!loadPdptes(m, cr3)) throw new GuestFault(VEC_GP, 0);
}

/** The PAE walk of `linear`; `commit` as in pageWalk (./paging.ts). */
export function paeWalk(m: MemoryAccess, linear: number, write: boolean, commit: boolean): number {
  const user = m.cpl === 3;
  const i = linear >>> 30;
  const pdpteLo = m.pdpteLo[i];
  if ((pdpteLo & P) === 0) return paeFault(m, linear, write, user, 0, commit);
  // The PDPTE registers were checked when loaded: no reserved bit here.
  const pdeLo32 = ((pdpteLo & 0xfffff000) + (((linear >>> 21) & 0x1ff) << 3)) | 0;
  const pdeHi32 = m.pdpteHi[i] & 0xf;
  const pde = readTable32(m, pdeHi32, pdeLo32);
  const pdeHi = readTable32(m, pdeHi32, pdeLo32 + 4);
  if ((pde & P) === 0) return paeFault(m, linear, write, user, 0, commit);
  if ((pdeHi & RESERVED_HI) !== 0) return paeFault(m, linear, write, user, P | PF_RSVD, commit);

  let physLo: number, physHi: number, rights: number;
  let pteLo32 = 0, pteHi32 = 0, pte = 0;
  const large = (pde & PS) !== 0;
  if (large) {
    if ((pde & PDE_2M_RESERVED_LO) !== 0) return paeFault(m, linear, write, user, P | PF_RSVD, commit);
    physLo = ((pde & 0xffe00000) | (linear & 0x1ff000)) >>> 0;
    physHi = pdeHi & 0xf;
    rights = pde;
  } else {
    pteLo32 = ((pde & 0xfffff000) + (((linear >>> 12) & 0x1ff) << 3)) | 0;
    pteHi32 = pdeHi & 0xf;
    pte = readTable32(m, pteHi32, pteLo32);
    const pteHi = readTable32(m, pteHi32, pteLo32 + 4);
    if ((pte & P) === 0) return paeFault(m, linear, write, user, 0, commit);
    if ((pteHi & RESERVED_HI) !== 0) return paeFault(m, linear, write, user, P | PF_RSVD, commit);
    physLo = (pte & 0xfffff000) >>> 0;
    physHi = pteHi & 0xf;
    rights = pde & pte; // both levels must allow user access and writes (PDPTEs carry no rights in PAE)
  }
  const userOk = (rights & US) !== 0;
  const writeOk = (rights & RW) !== 0 || (!user && (m.cr0 & CR0_WP) === 0);
  if ((user && !userOk) || (write && !writeOk)) return paeFault(m, linear, write, user, P, commit);
  if (!commit) return physHi === 0 ? (physLo | (linear & 0xfff)) >>> 0 : -1;

  // Accessed on every level used, dirty on the page written; only after the walk succeeded.
  if (pdeHi32 === 0 && ((pde & A) === 0 || (large && write && (pde & D) === 0))) {
    writePhysical32(m, pdeLo32, pde | A | (large && write ? D : 0));
  }
  if (!large && pteHi32 === 0 && ((pte & A) === 0 || (write && (pte & D) === 0))) {
    writePhysical32(m, pteLo32, pte | A | (write ? D : 0));
  }
  if (physHi !== 0) {
    // Above 4 GiB: no TLB entry; MemoryAccess's slow path answers all ones / drops the write.
    m.unbackedLinearPage = linear >>> 12;
    return UNBACKED_SENTINEL | (linear & 0xfff);
  }
  const leaf = large ? pde : pte;
  const dirty = write || (leaf & D) !== 0;
  const global = (m.cr4 & CR4_PGE) !== 0 && (leaf & G) !== 0;
  m.fillTlb(
    linear >>> 12,
    physLo | TLB_VALID | (userOk ? TLB_USER : 0) | ((rights & RW) !== 0 ? TLB_WRITABLE : 0) | (dirty ? TLB_DIRTY : 0) |
      (global ? TLB_GLOBAL : 0),
  );
  return (physLo | (linear & 0xfff)) >>> 0;
}

/** #PF for a PAE walk: `bits` are the error code's P and RSVD; W/R and U/S come from the access. */
function paeFault(m: MemoryAccess, linear: number, write: boolean, user: boolean, bits: number, commit: boolean): number {
  if (!commit) return -1;
  m.cr2 = linear | 0;
  throw new GuestFault(VEC_PF, bits | (write ? 2 : 0) | (user ? 4 : 0));
}
