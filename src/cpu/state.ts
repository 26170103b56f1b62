// Architectural constants and the plain-object views of CPU state that the
// VMM API hands out (KVM's kvm_regs / kvm_sregs, in TypeScript).

/** General registers in encoding order (the ModRM reg field). */
export const EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4, EBP = 5, ESI = 6, EDI = 7;

/** Segment registers in encoding order (the ModRM reg field of 8C/8E). */
export const ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5;
export const SEGMENT_NAMES = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'] as const;
export type SegmentName = (typeof SEGMENT_NAMES)[number];

/** EFLAGS bits (SDM vol. 1 §3.4.3). */
export const CF = 1 << 0;
export const FIXED1 = 1 << 1;
export const PF = 1 << 2;
export const AF = 1 << 4;
export const ZF = 1 << 6;
export const SF = 1 << 7;
export const TF = 1 << 8;
export const IF = 1 << 9;
export const DF = 1 << 10;
export const OF = 1 << 11;
export const IOPL = 3 << 12;
export const NT = 1 << 14;
export const RF = 1 << 16;
export const VM = 1 << 17;
export const AC = 1 << 18;
export const VIF = 1 << 19;
export const VIP = 1 << 20;
export const ID = 1 << 21;
/** The six arithmetic status flags. */
export const STATUS_FLAGS = CF | PF | AF | ZF | SF | OF;

/** CR0 bits. */
export const CR0_PE = 1 << 0;
export const CR0_MP = 1 << 1;
export const CR0_EM = 1 << 2;
export const CR0_TS = 1 << 3;
export const CR0_ET = 1 << 4;
export const CR0_NE = 1 << 5;
export const CR0_WP = 1 << 16;
export const CR0_AM = 1 << 18;
export const CR0_NW = 1 << 29;
export const CR0_CD = 1 << 30;
export const CR0_PG = 1 << 31;
/** CR4.PAE: PAE paging with CR0.PG (../paePaging.ts); beside CR0 as translation depends on it. */
export const CR4_PAE = 1 << 5;

/**
 * Segment attributes, in the VMX access-rights layout: the descriptor's access
 * byte in bits 0-7 (type, S, DPL, P) and its flags nibble in bits 12-15
 * (AVL, L, D/B, G); bit 16 marks an unusable segment (VMX "segment
 * unusable", KVM's kvm_segment.unusable): one loaded with a null selector in
 * protected mode, or handed to setSregs so. Every access through it faults;
 * the sregs view reports its limit as 0, and the bit survives getSregs/
 * setSregs and snapshots. A real-mode load makes the segment usable again.
 */
export const ATTR_TYPE_MASK = 0xf;
export const ATTR_TYPE_ACCESSED = 1 << 0;
export const ATTR_TYPE_WRITABLE = 1 << 1; // data; readable for code
export const ATTR_TYPE_EXPAND_DOWN = 1 << 2; // data; conforming for code
export const ATTR_TYPE_CODE = 1 << 3;
export const ATTR_S = 1 << 4;
export const ATTR_DPL_SHIFT = 5;
export const ATTR_P = 1 << 7;
export const ATTR_AVL = 1 << 12;
export const ATTR_L = 1 << 13;
export const ATTR_DB = 1 << 14;
export const ATTR_G = 1 << 15;
export const ATTR_UNUSABLE = 1 << 16;

/** Real-mode data segment: present, DPL 0, read/write, accessed. */
export const ATTR_REAL_DATA = ATTR_P | ATTR_S | ATTR_TYPE_WRITABLE | ATTR_TYPE_ACCESSED;
/** Real-mode code segment as after reset: present, DPL 0, execute/read, accessed. */
export const ATTR_REAL_CODE = ATTR_P | ATTR_S | ATTR_TYPE_CODE | ATTR_TYPE_WRITABLE | ATTR_TYPE_ACCESSED;

/** Exception vectors (SDM vol. 3 §6.3.1). */
export const VEC_DE = 0, VEC_DB = 1, VEC_NMI = 2, VEC_BP = 3, VEC_OF = 4, VEC_BR = 5, VEC_UD = 6, VEC_NM = 7;
export const VEC_DF = 8, VEC_TS = 10, VEC_NP = 11, VEC_SS = 12, VEC_GP = 13, VEC_PF = 14, VEC_MF = 16, VEC_AC = 17;

/** General registers, instruction pointer and flags (KVM's kvm_regs). */
export interface Regs {
  eax: number;
  ecx: number;
  edx: number;
  ebx: number;
  esp: number;
  ebp: number;
  esi: number;
  edi: number;
  eip: number;
  eflags: number;
}

export const REG_NAMES = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'] as const;

/** A segment register: the selector and its hidden descriptor cache. */
export interface Segment {
  selector: number;
  base: number;
  /** Byte-granular limit (already scaled by G); 0 for an unusable segment. */
  limit: number;
  /** VMX access-rights layout, see ATTR_*; ATTR_UNUSABLE marks an unusable segment. */
  attributes: number;
}

export interface DescriptorTableRegister {
  base: number;
  limit: number;
}

/** Segment and system registers (KVM's kvm_sregs). */
export interface Sregs {
  es: Segment;
  cs: Segment;
  ss: Segment;
  ds: Segment;
  fs: Segment;
  gs: Segment;
  ldtr: Segment;
  tr: Segment;
  gdtr: DescriptorTableRegister;
  idtr: DescriptorTableRegister;
  cr0: number;
  cr2: number;
  cr3: number;
  cr4: number;
  efer: number;
  apicBase: number;
}

/** The CPU's operating mode, as a debugger names it. */
export type CpuMode = 'real' | 'big-real' | 'protected16' | 'protected32' | 'vm86' | 'long';

/** KVM's kvm_fpu, the VMM's view: registers in ST order as 10-byte values. */
export interface FpuState {
  /** ST(0)..ST(7), each 10 bytes little-endian (significand, then sign and exponent). */
  st: number[][];
  fcw: number;
  fsw: number;
  /** The full tag word (two bits per physical register). */
  ftw: number;
  /** Last x87 opcode (11 bits), instruction pointer (CS:IP) and data pointer (DS:DP). */
  lastOpcode: number;
  lastIp: number;
  lastCs: number;
  lastDp: number;
  lastDs: number;
}

/** SYSENTER_CS/ESP/EIP, IA32_PAT (low and high dwords) and the performance counters, unsigned. */
export interface MsrState {
  sysenterCs: number;
  sysenterEsp: number;
  sysenterEip: number;
  pat: [number, number];
  /** PerfCtr0, PerfCtr1, PerfEvtSel0, PerfEvtSel1 (absent before they existed: 0). */
  perf?: number[];
}

/** Everything `Cpu.saveState` returns: plain and JSON-serialisable. */
export interface CpuState {
  regs: Regs;
  sregs: Sregs;
  halted: boolean;
  intr: boolean;
  /** NMI latched / NMI handler running (absent in snapshots made before NMIs existed). */
  nmiPending?: boolean;
  nmiBlocked?: boolean;
  a20: boolean;
  interruptShadow: boolean;
  instructions: number;
  tsc: number;
  dr: number[];
  /** The PAE PDPTE registers as [lo, hi] pairs (absent in older snapshots: reloaded from CR3's table). */
  pdptes?: number[];
  /** The MSRs not in sregs (absent in snapshots made before they were saved: then as after RESET). */
  msrs?: MsrState;
  /** The x87 state (absent in snapshots made before the FPU existed: then as after RESET). */
  fpu?: FpuState;
}
