// Odds and ends: HLT (F4), the flag instructions CMC CLC STC CLD STD (F5 F8
// F9 FC FD), port I/O (E4-E7, EC-EF), SALC (D6), BOUND (62), ARPL (63),
// CPUID (0F A2), RDTSC (0F 31), RDPMC (0F 33), SYSENTER/SYSEXIT (0F 34 35), INVD/WBINVD (0F 08 09) and the hint NOPs
// (0F 0D, 0F 18-0F 1F). The x87 (D8-DF, WAIT 9B) is in ../fpu.

import { Cpu, OpHandler } from '../cpu';
import { GuestFault } from '../faults';
import {
  ATTR_DB, ATTR_DPL_SHIFT, ATTR_G, ATTR_P, ATTR_S, ATTR_TYPE_ACCESSED, ATTR_TYPE_CODE, ATTR_TYPE_WRITABLE, CF, CS, DF, EAX, EBX,
  ECX, EDX, ESP, IF, RF, SS, VEC_BR, VM, ZF,
} from '../state';
import { OpTable, define } from './table';

/** CR4.TSD: RDTSC is privileged (SDM vol. 3 §2.5). */
const CR4_TSD = 1 << 2;

/**
 * IN/OUT are allowed at CPL <= IOPL (and always in real mode); otherwise, and
 * always in virtual-8086 mode, when the TSS's I/O permission bitmap allows
 * the port (SDM vol. 1 §19.5.2); else #GP(0).
 */
function checkIo(cpu: Cpu, port: number, size: number): void {
  if (!cpu.ioPortAllowed(port, size)) cpu.generalProtection(0);
}

function portIn(cpu: Cpu, port: number, size: number): void {
  checkIo(cpu, port, size);
  if (size === 1) cpu.reg8[0] = cpu.io.portIn(port, 1);
  else if (size === 2) cpu.reg16[0] = cpu.io.portIn(port, 2);
  else cpu.reg32[EAX] = cpu.io.portIn(port, 4);
}

function portOut(cpu: Cpu, port: number, size: number): void {
  checkIo(cpu, port, size);
  if (size === 1) cpu.io.portOut(port, 1, cpu.reg8[0]);
  else if (size === 2) cpu.io.portOut(port, 2, cpu.reg16[0]);
  else cpu.io.portOut(port, 4, cpu.reg32[EAX] >>> 0);
}

/** E4 IN AL,Ib / E5 IN eAX,Ib / EC IN AL,DX / ED IN eAX,DX. */
function opIn(byte: boolean, dx: boolean): OpHandler {
  return (cpu) => {
    const port = dx ? cpu.reg16[4] : cpu.fetch8();
    portIn(cpu, port, byte ? 1 : cpu.opsize32 ? 4 : 2);
  };
}

/** E6 OUT Ib,AL / E7 OUT Ib,eAX / EE OUT DX,AL / EF OUT DX,eAX. */
function opOut(byte: boolean, dx: boolean): OpHandler {
  return (cpu) => {
    const port = dx ? cpu.reg16[4] : cpu.fetch8();
    portOut(cpu, port, byte ? 1 : cpu.opsize32 ? 4 : 2);
  };
}

/** The flag instructions: set, clear or (CMC) complement one flag. */
function opFlag(mask: number, set: boolean): OpHandler {
  return (cpu) => {
    cpu.setFlagBits(mask, set);
  };
}

/**
 * 62 BOUND Gv,Ma: the signed index in Gv must lie within the two signed
 * bounds at Ma (lower, then upper), else #BR (a fault, no error code). A
 * register operand is #UD (SDM vol. 2 BOUND).
 */
function opBound(cpu: Cpu): void {
  cpu.decodeModRm();
  if (cpu.modrm >= 0xc0) cpu.undefinedOpcode();
  const seg = cpu.eaSeg;
  const amask = cpu.addr32 ? -1 : 0xffff;
  if (cpu.opsize32) {
    const index = cpu.reg32[cpu.regField];
    const lower = cpu.read32(seg, cpu.eaOff);
    const upper = cpu.read32(seg, ((cpu.eaOff + 4) & amask) >>> 0);
    if (index < lower || index > upper) throw new GuestFault(VEC_BR, -1);
  } else {
    const index = (cpu.getReg16(cpu.regField) << 16) >> 16;
    const lower = (cpu.read16(seg, cpu.eaOff) << 16) >> 16;
    const upper = (cpu.read16(seg, ((cpu.eaOff + 2) & amask) >>> 0) << 16) >> 16;
    if (index < lower || index > upper) throw new GuestFault(VEC_BR, -1);
  }
}

/**
 * The processor identity CPUID reports: an Intel P6, the Pentium Pro (family
 * 6, model 1, stepping 9: a stepping past the errata kernels work around),
 * with only the features vmexit implements. An unknown vendor sent common
 * test libraries down AMD-specific paths (performance counters whose first
 * WRMSR faults), so the vendor is Intel's.
 *
 * - Leaf 0: maximum basic leaf 1 (so no leaf 0Ah: no architectural
 *   performance monitoring), vendor "GenuineIntel" (EBX, EDX, ECX).
 * - Leaf 1: EAX signature 00000619h (the same value the core leaves in EDX
 *   at reset); EBX: the initial APIC ID in
 *   bits 31:24 (no brand index, no CLFLUSH, one logical processor per
 *   package); ECX 0; EDX features: FPU (the x87, ../fpu), DE (CR4.DE and the DR4/DR5 rule), PSE
 *   (4 MiB pages), TSC (RDTSC, CR4.TSD), MSR (RDMSR/WRMSR), PAE (../paePaging.ts;
 *   36-bit physical addresses, no NX), CX8
 *   (CMPXCHG8B), PGE (global pages, CR4.PGE), CMOV, and APIC while
 *   IA32_APIC_BASE.EN is set (a disabled local APIC is not reported, as on
 *   hardware). Not reported until they exist: PAT, SEP (SYSENTER; its
 *   MSRs are readable), VME, MMX/SSE.
 * - Leaf 80000000h: maximum extended leaf 80000001h; 80000001h: no
 *   extended features (no long mode, NX or SYSCALL).
 * - Any other leaf returns leaf 1's data, as Intel processors return the
 *   highest basic leaf for a leaf beyond the maximum.
 */
export const CPUID_VENDOR = 'GenuineIntel';
export const CPUID_SIGNATURE = 0x00000619;
export const CPUID_FEATURES_EDX = (1 << 0) | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 8) | (1 << 13) | (1 << 15);
/** CPUID.1:EDX bit 9: an on-chip APIC (reported while it is enabled). */
export const CPUID_APIC = 1 << 9;

/** Four ASCII characters as a little-endian dword. */
function ascii4(s: string, at: number): number {
  return (s.charCodeAt(at) | (s.charCodeAt(at + 1) << 8) | (s.charCodeAt(at + 2) << 16) | (s.charCodeAt(at + 3) << 24)) | 0;
}
const VENDOR_EBX = ascii4(CPUID_VENDOR, 0);
const VENDOR_EDX = ascii4(CPUID_VENDOR, 4);
const VENDOR_ECX = ascii4(CPUID_VENDOR, 8);

function opCpuid(cpu: Cpu): void {
  const r = cpu.reg32;
  const leaf = r[EAX] >>> 0;
  switch (leaf) {
    case 0:
      r[EAX] = 1;
      r[EBX] = VENDOR_EBX;
      r[EDX] = VENDOR_EDX;
      r[ECX] = VENDOR_ECX;
      return;
    case 0x80000000:
      r[EAX] = 0x80000001 | 0;
      r[EBX] = r[ECX] = r[EDX] = 0;
      return;
    case 0x80000001:
      r[EAX] = r[EBX] = r[ECX] = r[EDX] = 0;
      return;
    default: // leaf 1, and every leaf beyond the maxima
      r[EAX] = CPUID_SIGNATURE;
      r[EBX] = cpu.apicId << 24;
      r[ECX] = 0;
      r[EDX] = CPUID_FEATURES_EDX | (cpu.apicBase & 0x800 ? CPUID_APIC : 0);
  }
}

/** The time-stamp counter: instructions retired plus the offset WRMSR/VMM set. */
export function readTsc(cpu: Cpu): number {
  return cpu.retired() + cpu.tscOffset;
}

const TWO32 = 4294967296;

/** 0F 31 RDTSC: EDX:EAX = TSC; #GP(0) when CR4.TSD is set and CPL > 0. */
function opRdtsc(cpu: Cpu): void {
  if ((cpu.cr4 & CR4_TSD) !== 0 && cpu.protectedMode && cpu.cpl > 0) cpu.generalProtection(0);
  const tsc = readTsc(cpu);
  const hi = Math.floor(tsc / TWO32);
  cpu.reg32[EAX] = tsc - hi * TWO32;
  cpu.reg32[EDX] = hi;
}

/** Privileged no-operation (INVD, WBINVD: there is no cache to write back or drop). */
function opPrivilegedNop(cpu: Cpu): void {
  if (cpu.protectedMode && cpu.cpl > 0) cpu.generalProtection(0);
}

export function installMisc(t: OpTable): void {
  // F4 HLT: privileged. The CPU stops until an interrupt (or NMI/reset).
  define(t, 0xf4, (cpu) => {
    if (cpu.protectedMode && cpu.cpl > 0) cpu.generalProtection(0);
    cpu.halted = true;
    cpu.endSlice();
  });

  // F5 CMC, F8 CLC, F9 STC, FC CLD, FD STD.
  define(t, 0xf5, (cpu) => {
    cpu.setFlagBits(CF, cpu.getCF() === 0);
  });
  define(t, 0xf8, opFlag(CF, false));
  define(t, 0xf9, opFlag(CF, true));
  define(t, 0xfc, opFlag(DF, false));
  define(t, 0xfd, opFlag(DF, true));

  define(t, 0xe4, opIn(true, false));
  define(t, 0xe5, opIn(false, false));
  define(t, 0xec, opIn(true, true));
  define(t, 0xed, opIn(false, true));
  define(t, 0xe6, opOut(true, false));
  define(t, 0xe7, opOut(false, false));
  define(t, 0xee, opOut(true, true));
  define(t, 0xef, opOut(false, true));

  // D6 SALC (undocumented until recently, present on every Intel part): AL = CF ? FFh : 00h.
  define(t, 0xd6, (cpu) => {
    cpu.reg8[0] = cpu.getCF() !== 0 ? 0xff : 0;
  });

  define(t, 0x62, opBound);

  define(t, 0x1a2, opCpuid);
  define(t, 0x131, opRdtsc);
  define(t, 0x108, opPrivilegedNop); // INVD
  define(t, 0x109, opPrivilegedNop); // WBINVD

  define(t, 0x63, opArpl);
  define(t, 0x133, opRdpmc);
  define(t, 0x134, opSysenter);
  define(t, 0x135, opSysexit);

  // 0F 18 (PREFETCHh /0-/3, /4-/7 reserved), 0F 19-0F 1E (reserved NOPs and
  // hints: ENDBR32/64 are F3 0F 1E FB/FA, the MPX BND forms are NOPs without
  // MPX), 0F 1F (NOP Ev), any ModRM: decode the operand, touch nothing. The
  // SDM lists no exception for NOP and PREFETCHh but #UD with LOCK (vol. 2,
  // NOP, PREFETCHh: "Exceptions (All Operating Modes)"), so an operand beyond
  // its segment's limit or on a page not present does not fault; the host CPU
  // agrees (FS with a 16-byte limit, `nop [fs:0x100]` runs;
  // test/cpu/encodings.test.ts).
  for (let op = 0x118; op <= 0x11f; op++) define(t, op, opHintNop);
  // 0F 0D PREFETCHW (/1) and its reserved members: a hint, the same as above
  // for a memory operand. The register forms are #UD (ops/encodings.ts), as on
  // the host CPU and in QEMU.
  define(t, 0x10d, (cpu) => {
    cpu.decodeModRm();
    if (cpu.modrm >= 0xc0) cpu.undefinedOpcode();
  });
}

/** CR4.PCE: RDPMC allowed at any CPL (not settable on this core: CR4_SUPPORTED in ops/system.ts). */
const CR4_PCE = 1 << 8;

/**
 * 0F 33 RDPMC (SDM vol. 2): EDX:EAX = performance counter ECX, 40 bits (EDX
 * bits 7:0 hold 39:32). A P6 has counters 0 and 1: any other ECX is #GP(0),
 * as is CPL > 0 (and virtual-8086 mode) without CR4.PCE. The counters are
 * the PerfCtr0/1 MSRs (ops/system.ts); they count nothing (Cpu.perfCtr).
 */
function opRdpmc(cpu: Cpu): void {
  const n = cpu.reg32[ECX] >>> 0;
  if (n > 1) cpu.generalProtection(0);
  if (cpu.protectedMode && (cpu.cpl !== 0 || (cpu.flags & VM) !== 0) && (cpu.cr4 & CR4_PCE) === 0) cpu.generalProtection(0);
  const v = cpu.perfCtr[n];
  const hi = Math.floor(v / 4294967296);
  cpu.reg32[EAX] = v - hi * 4294967296;
  cpu.reg32[EDX] = hi & 0xff;
}

/** The flat segments SYSENTER and SYSEXIT load (SDM vol. 2): base 0, 4 GiB, 32-bit, accessed, present. */
const FLAT_CODE = ATTR_P | ATTR_S | ATTR_TYPE_CODE | ATTR_TYPE_WRITABLE | ATTR_TYPE_ACCESSED | ATTR_DB | ATTR_G;
const FLAT_DATA = ATTR_P | ATTR_S | ATTR_TYPE_WRITABLE | ATTR_TYPE_ACCESSED | ATTR_DB | ATTR_G;

/**
 * 0F 34 SYSENTER (SDM vol. 2): to CPL 0 at SYSENTER_CS:SYSENTER_EIP with
 * SS = SYSENTER_CS + 8 and ESP = SYSENTER_ESP, flat segments loaded without
 * reading the GDT; VM, IF and RF cleared. #GP(0) in real-address mode and
 * while IA32_SYSENTER_CS[15:2] = 0.
 */
function opSysenter(cpu: Cpu): void {
  const cs = cpu.sysenterCs & 0xfffc;
  if (!cpu.protectedMode || cs === 0) cpu.generalProtection(0);
  cpu.setFlags(cpu.getFlags() & ~(VM | IF | RF));
  cpu.cpl = 0;
  cpu.loadSegmentCache(CS, cs, 0, 0xffffffff, FLAT_CODE);
  cpu.loadSegmentCache(SS, (cs + 8) & 0xffff, 0, 0xffffffff, FLAT_DATA);
  cpu.reg32[ESP] = cpu.sysenterEsp;
  cpu.eip = cpu.sysenterEip >>> 0;
}

/**
 * 0F 35 SYSEXIT (SDM vol. 2, 32-bit form): to CPL 3 at (SYSENTER_CS + 16) | 3
 * : EDX with SS = (SYSENTER_CS + 24) | 3 and ESP = ECX, flat segments.
 * #GP(0) in real-address mode, at CPL > 0 and while SYSENTER_CS[15:2] = 0.
 */
function opSysexit(cpu: Cpu): void {
  const cs = cpu.sysenterCs & 0xfffc;
  if (!cpu.protectedMode || cs === 0 || cpu.cpl !== 0 || (cpu.flags & VM) !== 0) cpu.generalProtection(0);
  cpu.cpl = 3;
  cpu.loadSegmentCache(CS, ((cs + 16) | 3) & 0xffff, 0, 0xffffffff, FLAT_CODE | (3 << ATTR_DPL_SHIFT));
  cpu.loadSegmentCache(SS, ((cs + 24) | 3) & 0xffff, 0, 0xffffffff, FLAT_DATA | (3 << ATTR_DPL_SHIFT));
  cpu.reg32[ESP] = cpu.reg32[ECX];
  cpu.eip = cpu.reg32[EDX] >>> 0;
}

/** A hint or reserved NOP: the operand is decoded (it sets the length), never accessed. */
function opHintNop(cpu: Cpu): void {
  cpu.decodeModRm();
}

/**
 * 63 ARPL Ew,Gw (SDM vol. 2 ARPL): raises the RPL of the destination selector
 * to the source's, ZF = 1 when it did. 16-bit whatever the operand size; not
 * recognised in real-address and virtual-8086 mode (#UD, ops/encodings.ts).
 */
function opArpl(cpu: Cpu): void {
  if (!cpu.protectedMode || (cpu.flags & VM) !== 0) cpu.undefinedOpcode();
  cpu.decodeModRm();
  const dest = cpu.readE16();
  const src = cpu.getReg16(cpu.regField);
  const raise = (dest & 3) < (src & 3);
  if (raise) cpu.writeE16((dest & ~3) | (src & 3));
  cpu.setFlagBits(ZF, raise);
}
