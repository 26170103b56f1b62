// System instructions: descriptor-table registers and the machine status
// word (0F 01 group: SGDT SIDT LGDT LIDT SMSW LMSW INVLPG), the LDT and task
// registers and segment checks (0F 00 group: SLDT STR LLDT LTR VERR VERW,
// 0F 02 LAR, 0F 03 LSL), CLTS (0F 06), control and debug registers (0F 20-23)
// and model-specific registers (0F 30 WRMSR, 0F 32 RDMSR).

import { Cpu, OpHandler } from '../cpu';
import { GuestFault } from '../faults';
import { decodeDescriptor, readDescriptor, readSystem32 } from '../segments';
import {
  ATTR_UNUSABLE, CR0_AM, CR0_CD, CR0_EM, CR0_ET, CR0_MP, CR0_NE, CR0_NW, CR0_PE, CR0_PG, CR0_TS, CR0_WP, EAX, ECX,
  CR4_PAE, EDX, VEC_DB, VEC_GP, VM,
} from '../state';
import { loadPdptesOrFault } from '../paePaging';
import { readTsc } from './misc';
import { OpTable, define, defineGroup } from './table';

/** Segment-not-present (#NP), SDM vol. 3 §6.15. */
const VEC_NP = 11;

/** CR0 bits a MOV CR0 can change; ET is hardwired to 1 (P6 and later), the other bits are reserved and ignored. */
const CR0_WRITABLE = CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_NE | CR0_WP | CR0_AM | CR0_NW | CR0_CD | CR0_PG;

/** CR4 bits. */
export const CR4_TSD = 1 << 2;
export const CR4_DE = 1 << 3;
/**
 * CR4 bits the core implements: setting any other bit is #GP(0) (SDM vol. 2
 * MOV CRn: reserved bits of CR4). Grows as features arrive (PAE, PGE;
 * OSFXSR with SSE), together with the CPUID feature bits.
 */
export const CR4_PSE = 1 << 4;
export const CR4_PGE = 1 << 7;
export const CR4_SUPPORTED = CR4_TSD | CR4_DE | CR4_PSE | CR4_PAE | CR4_PGE;

/** DR7.GD: general detect, any MOV DRn raises #DB first (SDM vol. 3 §17.2.4). */
const DR7_GD = 1 << 13;
/** DR6.BD: the #DB was a general-detect one. */
const DR6_BD = 1 << 13;

/** MSR numbers (SDM vol. 4). */
export const MSR_TSC = 0x10;
export const MSR_APIC_BASE = 0x1b;
export const MSR_SYSENTER_CS = 0x174;
export const MSR_SYSENTER_ESP = 0x175;
export const MSR_SYSENTER_EIP = 0x176;
export const MSR_PAT = 0x277;
export const MSR_PERFCTR0 = 0xc1;
export const MSR_PERFCTR1 = 0xc2;
export const MSR_PERFEVTSEL0 = 0x186;
export const MSR_PERFEVTSEL1 = 0x187;
/** PerfEvtSel0.EN: starts both counters (SDM vol. 3, P6 family performance monitoring); bit 21 is reserved. */
const PERFEVTSEL_EN = 1 << 22;
export const MSR_EFER = 0xc0000080;

const TWO32 = 4294967296;

/** Privileged instructions: #GP(0) unless CPL 0 (real mode is CPL 0; virtual-8086 mode is CPL 3). */
function requireCpl0(cpu: Cpu): void {
  if (cpu.protectedMode && (cpu.cpl !== 0 || (cpu.flags & VM) !== 0)) cpu.generalProtection(0);
}

/** Instructions not recognised in real-address and virtual-8086 mode (SLDT ... LSL): #UD there. */
function requireProtectedMode(cpu: Cpu): void {
  if (!cpu.protectedMode || (cpu.flags & VM) !== 0) cpu.undefinedOpcode();
}

/** The memory-only forms: #UD for a register operand. */
function requireMemory(cpu: Cpu): void {
  if (cpu.modrm >= 0xc0) cpu.undefinedOpcode();
}

/** EA + n, wrapped at the address size. */
function eaPlus(cpu: Cpu, n: number): number {
  return ((cpu.eaOff + n) & (cpu.addr32 ? -1 : 0xffff)) >>> 0;
}

/**
 * Store a 16-bit system value (selector, MSW) to Ew: a memory destination
 * takes 16 bits whatever the operand size; a register with a 32-bit operand
 * size gets it zero-extended (SDM vol. 2 SLDT/STR, P6 and later).
 */
function storeEw32(cpu: Cpu, v: number): void {
  if (cpu.modrm >= 0xc0 && cpu.opsize32) cpu.reg32[cpu.modrm & 7] = v;
  else cpu.writeE16(v & 0xffff);
}

// ---- 0F 01 group ----

/**
 * SGDT/SIDT: limit in the low word, then the base. The current SDM stores
 * the full 32-bit base for 16- and 32-bit operand sizes alike (older
 * editions described a 24-bit base and a zero byte for the 16-bit form; the
 * same for any base loaded by a 16-bit LGDT/LIDT, which has that byte 0).
 */
function opStoreTable(idt: boolean): OpHandler {
  return (cpu) => {
    requireMemory(cpu);
    cpu.write16(cpu.eaSeg, cpu.eaOff, idt ? cpu.idtrLimit : cpu.gdtrLimit);
    cpu.write32(cpu.eaSeg, eaPlus(cpu, 2), idt ? cpu.idtrBase : cpu.gdtrBase);
  };
}

/** LGDT/LIDT: limit and base from memory; a 16-bit operand size loads a 24-bit base (high byte 0). */
function opLoadTable(idt: boolean): OpHandler {
  return (cpu) => {
    requireMemory(cpu);
    requireCpl0(cpu);
    const limit = cpu.read16(cpu.eaSeg, cpu.eaOff);
    let base = cpu.read32(cpu.eaSeg, eaPlus(cpu, 2));
    if (!cpu.opsize32) base &= 0xffffff;
    if (idt) {
      cpu.idtrLimit = limit;
      cpu.idtrBase = base;
    } else {
      cpu.gdtrLimit = limit;
      cpu.gdtrBase = base;
    }
  };
}

// ---- 0F 00 group ----

/**
 * LLDT Ew: load LDTR from an LDT descriptor in the GDT (SDM vol. 2 LLDT). A
 * null selector leaves LDTR unusable (any later LDT reference faults).
 */
function opLldt(cpu: Cpu): void {
  requireProtectedMode(cpu);
  requireCpl0(cpu);
  const selector = cpu.readE16();
  const ldtr = cpu.ldtr;
  if ((selector & 0xfffc) === 0) {
    ldtr.selector = selector;
    ldtr.base = 0;
    ldtr.limit = 0;
    ldtr.attributes = ATTR_UNUSABLE;
    return;
  }
  if (selector & 4) throw new GuestFault(VEC_GP, selector & 0xfffc);
  const [lo, hi] = readDescriptor(cpu, selector);
  const d = decodeDescriptor(lo, hi);
  if ((d.attributes & 0x1f) !== 0x02) throw new GuestFault(VEC_GP, selector & 0xfffc);
  if ((d.attributes & 0x80) === 0) throw new GuestFault(VEC_NP, selector & 0xfffc);
  ldtr.selector = selector;
  ldtr.base = d.base;
  ldtr.limit = d.limit;
  ldtr.attributes = d.attributes;
}

/**
 * LTR Ew: load TR from an available TSS descriptor (16- or 32-bit) in the
 * GDT and mark that descriptor busy in memory (SDM vol. 2 LTR).
 */
function opLtr(cpu: Cpu): void {
  requireProtectedMode(cpu);
  requireCpl0(cpu);
  const selector = cpu.readE16();
  if ((selector & 0xfffc) === 0) cpu.generalProtection(0);
  if (selector & 4) throw new GuestFault(VEC_GP, selector & 0xfffc);
  const [lo, hi] = readDescriptor(cpu, selector);
  const d = decodeDescriptor(lo, hi);
  const type = d.attributes & 0x1f;
  if (type !== 0x01 && type !== 0x09) throw new GuestFault(VEC_GP, selector & 0xfffc);
  if ((d.attributes & 0x80) === 0) throw new GuestFault(VEC_NP, selector & 0xfffc);
  cpu.writeLinear32((cpu.gdtrBase + (selector & ~7) + 4) | 0, hi | 0x200); // type |= busy
  const tr = cpu.tr;
  tr.selector = selector;
  tr.base = d.base;
  tr.limit = d.limit;
  tr.attributes = d.attributes | 0x02;
}

/** The descriptor fetched by `probeDescriptor` (no allocation: these are module scratch). */
let probeLo = 0;
let probeHi = 0;

/**
 * For LAR LSL VERR VERW: fetch the descriptor of `selector` without faulting
 * on a null selector or one beyond its table's limit (those just clear ZF).
 * Applies the privilege rule shared by the four: unless the descriptor is a
 * conforming code segment, DPL must be >= CPL and >= RPL.
 */
function probeDescriptor(cpu: Cpu, selector: number): boolean {
  if ((selector & 0xfffc) === 0) return false;
  const index = selector & ~7;
  const local = (selector & 4) !== 0;
  if (local && (cpu.ldtr.attributes & ATTR_UNUSABLE) !== 0) return false;
  const base = local ? cpu.ldtr.base : cpu.gdtrBase;
  const limit = local ? cpu.ldtr.limit : cpu.gdtrLimit;
  if (index + 7 > limit) return false;
  const lin = (base + index) | 0;
  probeLo = readSystem32(cpu, lin); // implicit supervisor accesses, at any CPL
  probeHi = readSystem32(cpu, (lin + 4) | 0);
  const conformingCode = (probeHi & 0x1c00) === 0x1c00; // S, code, conforming
  if (conformingCode) return true;
  const dpl = (probeHi >> 13) & 3;
  return dpl >= cpu.cpl && dpl >= (selector & 3);
}

/** VERR (write = false) / VERW Ew: ZF = 1 when the segment can be read / written at this CPL and RPL. */
function opVerify(write: boolean): OpHandler {
  return (cpu) => {
    requireProtectedMode(cpu);
    const selector = cpu.readE16();
    let ok = probeDescriptor(cpu, selector) && (probeHi & 0x1000) !== 0; // a code or data segment
    if (ok) {
      const code = (probeHi & 0x800) !== 0;
      const rw = (probeHi & 0x200) !== 0; // readable code / writable data
      ok = write ? !code && rw : !code || rw;
    }
    cpu.setFlagBits(0x40, ok);
  };
}

/** System descriptor types LAR accepts: TSSs (available, busy), LDT, call and task gates. */
const LAR_SYSTEM_TYPES = (1 << 1) | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 9) | (1 << 11) | (1 << 12);
/** System descriptor types LSL accepts: those with a limit (TSSs and LDT). */
const LSL_SYSTEM_TYPES = (1 << 1) | (1 << 2) | (1 << 3) | (1 << 9) | (1 << 11);

/**
 * 0F 02 LAR Gv,Ew / 0F 03 LSL Gv,Ew (SDM vol. 2 LAR, LSL). On success ZF = 1
 * and Gv gets the access rights (second descriptor dword AND 00FFFF00h at 32
 * bits, AND FF00h at 16 bits; the SDM leaves bits 16-19 undefined, these are
 * the descriptor's limit bits) or the byte-granular limit. Else ZF = 0 and Gv
 * is unchanged.
 */
function opLoadAccess(limit: boolean): OpHandler {
  return (cpu) => {
    cpu.decodeModRm();
    requireProtectedMode(cpu);
    const selector = cpu.readE16();
    let ok = probeDescriptor(cpu, selector);
    if (ok && (probeHi & 0x1000) === 0) {
      const types = limit ? LSL_SYSTEM_TYPES : LAR_SYSTEM_TYPES;
      ok = ((types >> ((probeHi >> 8) & 0xf)) & 1) !== 0;
    }
    cpu.setFlagBits(0x40, ok);
    if (!ok) return;
    let v: number;
    if (limit) {
      v = (probeLo & 0xffff) | (probeHi & 0xf0000);
      if (probeHi & 0x800000) v = ((v << 12) | 0xfff) >>> 0;
    } else {
      v = probeHi & 0x00ffff00;
    }
    if (cpu.opsize32) cpu.reg32[cpu.regField] = v;
    else cpu.setReg16(cpu.regField, limit ? v : v & 0xff00);
  };
}

// ---- Control and debug registers ----

/**
 * The ModRM byte of MOV CRn/DRn: the mod field is ignored and the operand is
 * always the register named by r/m (SDM vol. 2 MOV—Move to/from Control
 * Registers), so no displacement is ever fetched.
 */
function fetchRegisterModRm(cpu: Cpu): number {
  const modrm = cpu.fetch8();
  cpu.modrm = modrm | 0xc0;
  return modrm;
}

function checkCrNumber(cpu: Cpu, n: number): void {
  if (n === 1 || n > 4) cpu.undefinedOpcode();
}

/** 0F 20 MOV r32,CRn. */
function opMovRdCr(cpu: Cpu): void {
  const modrm = fetchRegisterModRm(cpu);
  const n = (modrm >> 3) & 7;
  checkCrNumber(cpu, n);
  requireCpl0(cpu);
  let v: number;
  switch (n) {
    case 0: v = cpu.cr0; break;
    case 2: v = cpu.cr2; break;
    case 3: v = cpu.cr3; break;
    default: v = cpu.cr4; break;
  }
  cpu.reg32[modrm & 7] = v;
}

/**
 * 0F 22 MOV CRn,r32. CR0: #GP(0) for PG without PE or NW without CD; ET
 * reads as 1, reserved bits are ignored. PE and PG are only stored: the core
 * derives the mode from CR0. CR3: the TLB is flushed but for global pages.
 * CR4: #GP(0) for any bit outside CR4_SUPPORTED (PGE among them: global
 * pages); a CR0 or CR4 write flushes the whole TLB. Under PAE paging, MOV
 * CR3 and the MOV CR0/CR4 that enable it load the PDPTEs (#GP(0), nothing
 * written, when one is invalid).
 */
function opMovCrRd(cpu: Cpu): void {
  const modrm = fetchRegisterModRm(cpu);
  const n = (modrm >> 3) & 7;
  checkCrNumber(cpu, n);
  requireCpl0(cpu);
  const v = cpu.reg32[modrm & 7];
  switch (n) {
    case 0:
      if ((v & CR0_PG) !== 0 && (v & CR0_PE) === 0) cpu.generalProtection(0);
      if ((v & CR0_NW) !== 0 && (v & CR0_CD) === 0) cpu.generalProtection(0);
      // Turning PAE paging on (or changing PG/CD/NW under it) loads the PDPTEs first (SDM vol. 3 §4.4.1).
      if ((v & CR0_PG) !== 0 && (cpu.cr4 & CR4_PAE) !== 0 && ((v ^ cpu.cr0) & (CR0_PG | CR0_CD | CR0_NW)) !== 0) {
        loadPdptesOrFault(cpu, cpu.cr3);
      }
      cpu.cr0 = (v & CR0_WRITABLE) | CR0_ET;
      break;
    case 2: cpu.cr2 = v; break;
    case 3:
      if ((cpu.cr0 & CR0_PG) !== 0 && (cpu.cr4 & CR4_PAE) !== 0) loadPdptesOrFault(cpu, v);
      cpu.cr3 = v;
      break;
    default:
      if ((v & ~CR4_SUPPORTED) !== 0) cpu.generalProtection(0);
      if ((cpu.cr0 & CR0_PG) !== 0 && (v & CR4_PAE) !== 0 && ((v ^ cpu.cr4) & (CR4_PAE | CR4_PGE | CR4_PSE)) !== 0) {
        loadPdptesOrFault(cpu, cpu.cr3);
      }
      cpu.cr4 = v;
      break;
  }
  // CR0 (PE, PG, WP), CR3 and CR4 decide how addresses translate: drop the cached translations
  // (a CR3 load keeps global pages; CR0 and CR4 writes drop them too, SDM vol. 3 §4.10.4.1).
  if (n === 3) cpu.flushTlbNonGlobal();
  else if (n !== 2) cpu.flushTlb();
  if (n !== 2) cpu.invalidateFetch();
}

/**
 * Debug register number after the DR4/DR5 rule: with CR4.DE they are #UD,
 * without it they alias DR6/DR7 (SDM vol. 3 §17.2.2). DR7.GD turns the access
 * into a #DB fault with DR6.BD set and GD cleared, so the handler can use the
 * debug registers (§17.2.4). Order: #UD, #GP(0) for CPL > 0, then #DB.
 */
function debugRegisterNumber(cpu: Cpu, n: number): number {
  if (n === 4 || n === 5) {
    if (cpu.cr4 & CR4_DE) cpu.undefinedOpcode();
    n += 2;
  }
  requireCpl0(cpu);
  if (cpu.dr[7] & DR7_GD) {
    cpu.dr[6] |= DR6_BD;
    cpu.dr[7] &= ~DR7_GD;
    throw new GuestFault(VEC_DB, -1);
  }
  return n;
}

/** 0F 21 MOV r32,DRn. */
function opMovRdDr(cpu: Cpu): void {
  const modrm = fetchRegisterModRm(cpu);
  const n = debugRegisterNumber(cpu, (modrm >> 3) & 7);
  cpu.reg32[modrm & 7] = cpu.dr[n];
}

/**
 * 0F 23 MOV DRn,r32. DR6 keeps its fixed bits (4-11 and 16-31 read 1, 12
 * reads 0); DR7 bit 10 reads 1 and bits 11, 12, 14, 15 read 0.
 */
function opMovDrRd(cpu: Cpu): void {
  const modrm = fetchRegisterModRm(cpu);
  const n = debugRegisterNumber(cpu, (modrm >> 3) & 7);
  const v = cpu.reg32[modrm & 7];
  if (n === 6) cpu.dr[6] = (v & 0xe00f) | (0xffff0ff0 | 0);
  else if (n === 7) cpu.dr[7] = (v & ~0xd800) | 0x400;
  else cpu.dr[n] = v;
}

// ---- Model-specific registers ----

/** The value `msrRead` found (no allocation: module scratch). */
let msrLo = 0;
let msrHi = 0;

/** Read MSR `index` into msrLo/msrHi; false when the core does not implement it. */
function msrRead(cpu: Cpu, index: number): boolean {
  switch (index >>> 0) {
    case MSR_TSC: {
      const tsc = readTsc(cpu);
      msrHi = Math.floor(tsc / TWO32);
      msrLo = tsc - msrHi * TWO32;
      return true;
    }
    case MSR_APIC_BASE: msrLo = cpu.apicBase; msrHi = 0; return true;
    case MSR_SYSENTER_CS: msrLo = cpu.sysenterCs; msrHi = 0; return true;
    case MSR_SYSENTER_ESP: msrLo = cpu.sysenterEsp; msrHi = 0; return true;
    case MSR_SYSENTER_EIP: msrLo = cpu.sysenterEip; msrHi = 0; return true;
    case MSR_PAT: msrLo = cpu.patLo; msrHi = cpu.patHi; return true;
    case MSR_EFER: msrLo = cpu.efer; msrHi = 0; return true;
    case MSR_PERFCTR0:
    case MSR_PERFCTR1: {
      const v = cpu.perfCtr[index - MSR_PERFCTR0];
      msrHi = Math.floor(v / TWO32);
      msrLo = v - msrHi * TWO32;
      return true;
    }
    case MSR_PERFEVTSEL0:
    case MSR_PERFEVTSEL1: msrLo = cpu.perfEvtSel[index - MSR_PERFEVTSEL0]; msrHi = 0; return true;
    default: return false;
  }
}

/** A PAT half is valid when every byte is a defined memory type: 0 1 4 5 6 7 (SDM vol. 3 §11.12.2). */
function validPatHalf(v: number): boolean {
  for (let i = 0; i < 32; i += 8) {
    const t = (v >>> i) & 0xff;
    if (t > 7 || t === 2 || t === 3) return false;
  }
  return true;
}

/**
 * Write MSR `index` from its two dwords; false when the MSR does not exist or
 * the value sets reserved bits (WRMSR then raises #GP(0)).
 *
 * - TSC: sets the counter (the offset from instructions retired).
 * - APIC_BASE: EN (bit 11) enables or disables the local APIC (the VMM is
 *   told); BSP (bit 8) is read-only; other bits reserved, as is bit 10
 *   (x2APIC, not reported). The base stays at FEE00000h: moving it is an
 *   internal error (nothing this machine runs relocates it).
 * - SYSENTER_CS/ESP/EIP: stored (low dword; a 32-bit processor keeps no more).
 * - PAT: stored when every entry is a valid memory type.
 * - EFER: no bit is implemented yet (no SYSCALL, NX or long mode is
 *   reported), so only 0 can be written.
 */
function msrWrite(cpu: Cpu, index: number, lo: number, hi: number): boolean {
  lo >>>= 0;
  hi >>>= 0;
  switch (index >>> 0) {
    case MSR_TSC:
      cpu.tscOffset = hi * TWO32 + lo - cpu.retired();
      return true;
    case MSR_APIC_BASE:
      if (hi !== 0 || (lo & 0x6ff) !== 0) return false;
      if ((lo & 0xfffff000) >>> 0 !== 0xfee00000) cpu.unimplemented(`moving the local APIC to ${((lo & 0xfffff000) >>> 0).toString(16)}h (it stays at FEE00000h)`);
      cpu.apicBase = (lo & ~0x1ff) | (cpu.apicBase & 0x100);
      cpu.onApicBaseChange();
      return true;
    case MSR_SYSENTER_CS: cpu.sysenterCs = lo; return true;
    case MSR_SYSENTER_ESP: cpu.sysenterEsp = lo; return true;
    case MSR_SYSENTER_EIP: cpu.sysenterEip = lo; return true;
    case MSR_PAT:
      if (!validPatHalf(lo) || !validPatHalf(hi)) return false;
      cpu.patLo = lo;
      cpu.patHi = hi;
      return true;
    case MSR_EFER:
      if ((lo | hi) !== 0) return false;
      cpu.efer = 0;
      return true;
    case MSR_PERFCTR0:
    case MSR_PERFCTR1:
      // A write sets bits 31:0 and sign-extends bit 31 into 39:32 (P6 family).
      cpu.perfCtr[index - MSR_PERFCTR0] = lo + (lo & 0x80000000 ? 0xff * TWO32 : 0);
      return true;
    case MSR_PERFEVTSEL0:
    case MSR_PERFEVTSEL1:
      // Reserved: bit 21, the high dword, and EN in PerfEvtSel1. EN in PerfEvtSel0 cannot be set: no
      // event is modelled (opWrmsr ends the run saying so; the VMM's setMsr is refused).
      if (hi !== 0 || (lo & ((1 << 21) | PERFEVTSEL_EN)) !== 0) return false;
      cpu.perfEvtSel[index - MSR_PERFEVTSEL0] = lo | 0;
      return true;
    default:
      return false;
  }
}

/** MSR `index` as RDMSR would read it, or undefined when the core has no such MSR (for the VMM's getMsr). */
export function readMsr(cpu: Cpu, index: number): bigint | undefined {
  if (!msrRead(cpu, index)) return undefined;
  return (BigInt(msrHi >>> 0) << 32n) | BigInt(msrLo >>> 0);
}

/** Write MSR `index` as WRMSR would; false where WRMSR would raise #GP(0) (for the VMM's setMsr). */
export function writeMsr(cpu: Cpu, index: number, value: bigint): boolean {
  return msrWrite(cpu, index, Number(value & 0xffffffffn), Number((value >> 32n) & 0xffffffffn));
}

/** 0F 32 RDMSR: EDX:EAX = MSR[ECX]; #GP(0) at CPL > 0 or for an MSR the core does not have. */
function opRdmsr(cpu: Cpu): void {
  requireCpl0(cpu);
  if (!msrRead(cpu, cpu.reg32[ECX])) cpu.generalProtection(0);
  cpu.reg32[EAX] = msrLo;
  cpu.reg32[EDX] = msrHi;
}

/** 0F 30 WRMSR: MSR[ECX] = EDX:EAX; #GP(0) at CPL > 0, for an unknown MSR or reserved bits. */
function opWrmsr(cpu: Cpu): void {
  requireCpl0(cpu);
  if (cpu.reg32[ECX] === MSR_PERFEVTSEL0 && (cpu.reg32[EAX] & PERFEVTSEL_EN) !== 0 && (cpu.reg32[EAX] & (1 << 21)) === 0 && cpu.reg32[EDX] === 0) {
    cpu.unimplemented('counting performance-monitoring events (PerfEvtSel0.EN) is not implemented');
  }
  if (!msrWrite(cpu, cpu.reg32[ECX], cpu.reg32[EAX], cpu.reg32[EDX])) cpu.generalProtection(0);
}

export function installSystem(t: OpTable): void {
  // 0F 01 group 7.
  defineGroup(t, 0x101, 0, opStoreTable(false)); // SGDT
  defineGroup(t, 0x101, 1, opStoreTable(true)); // SIDT
  defineGroup(t, 0x101, 2, opLoadTable(false)); // LGDT
  defineGroup(t, 0x101, 3, opLoadTable(true)); // LIDT
  // /4 SMSW Ew: CR0's low word to memory; a 32-bit register gets all of CR0
  // (the SDM calls the high half undefined; P6 and later store CR0).
  defineGroup(t, 0x101, 4, (cpu) => {
    if (cpu.modrm >= 0xc0 && cpu.opsize32) cpu.reg32[cpu.modrm & 7] = cpu.cr0;
    else cpu.writeE16(cpu.cr0 & 0xffff);
  });
  // /6 LMSW Ew: loads PE MP EM TS from the low 4 bits; PE can be set, never cleared.
  defineGroup(t, 0x101, 6, (cpu) => {
    requireCpl0(cpu);
    const msw = cpu.readE16();
    cpu.cr0 = (cpu.cr0 & ~0xf) | (msw & 0xf) | (cpu.cr0 & CR0_PE);
    cpu.invalidateFetch();
  });
  // /7 INVLPG M: privileged, memory only: forget the page's translation (the
  // code fetch window may cover the page, so it is closed too).
  defineGroup(t, 0x101, 7, (cpu) => {
    requireMemory(cpu);
    requireCpl0(cpu);
    cpu.invalidatePage((cpu.segBase[cpu.eaSeg] + cpu.eaOff) | 0);
    cpu.invalidateFetch();
  });

  // 0F 00 group 6: none is recognised in real-address or virtual-8086 mode (#UD).
  defineGroup(t, 0x100, 0, (cpu) => {
    requireProtectedMode(cpu);
    storeEw32(cpu, cpu.ldtr.selector); // SLDT
  });
  defineGroup(t, 0x100, 1, (cpu) => {
    requireProtectedMode(cpu);
    storeEw32(cpu, cpu.tr.selector); // STR
  });
  defineGroup(t, 0x100, 2, opLldt);
  defineGroup(t, 0x100, 3, opLtr);
  defineGroup(t, 0x100, 4, opVerify(false));
  defineGroup(t, 0x100, 5, opVerify(true));

  define(t, 0x102, opLoadAccess(false)); // LAR
  define(t, 0x103, opLoadAccess(true)); // LSL

  // 0F 06 CLTS: clears CR0.TS; privileged (allowed in real mode).
  define(t, 0x106, (cpu) => {
    requireCpl0(cpu);
    cpu.cr0 &= ~CR0_TS;
  });

  define(t, 0x120, opMovRdCr);
  define(t, 0x122, opMovCrRd);
  define(t, 0x121, opMovRdDr);
  define(t, 0x123, opMovDrRd);
  define(t, 0x130, opWrmsr);
  define(t, 0x132, opRdmsr);
}
