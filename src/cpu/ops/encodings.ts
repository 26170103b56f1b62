// The one table of encodings the core does not execute: which are invalid on
// the CPU vmexit models (#UD, as hardware raises it) and which are valid
// instructions the core does not implement yet (an internal error that names
// them). The rule: an internal error is only for a valid instruction; an
// invalid encoding raises #UD through the IDT/IVT.
//
// The CPU modelled is a P6-class 32-bit processor with the features CPUID
// reports (ops/misc.ts): no MMX, SSE, FXSR, CLFLUSH, SEP, 3DNow!, VMX, SMX,
// long mode. An instruction of a feature CPUID does not report is #UD (the
// SDM's exception tables: "#UD If CPUID.01H:EDX.SSE[bit 25] = 0" and the
// like); such entries say which feature, so they move to a handler when the
// feature arrives. Index: the opcode (0x000-0x0FF), 0x100 | byte after 0F.
//
// Entries of form 'always' are installed by buildOpTable (./table.ts) as the
// handler of the opcode, or of the group members `regs` names. The other
// forms depend on the ModRM byte or the mode; the handler of the instruction
// checks them where it decodes its operand (no extra test on the hot path),
// and test/cpu/encodings.test.ts checks every entry against the core and,
// where user mode can run it, against the host CPU. LOCK has its own table,
// LOCKABLE_REG in ../cpu.ts, read once per locked instruction: it names the
// read-modify-write forms that take it; LOCK on anything else, or on a
// register destination, is #UD (the host walk checks it too).

/** When an encoding is invalid. */
export type InvalidForm =
  /** Every ModRM (for a group: the members in `regs`). */
  | 'always'
  /** A register operand (ModRM.mod = 11b) where only memory is allowed. */
  | 'register'
  /** In real-address and virtual-8086 mode (the instruction exists only in protected mode). */
  | 'real-vm86'
  /** The ModRM reg field names no register of the kind (a segment, a control register ...). */
  | 'reg-field';

export interface InvalidEncoding {
  index: number;
  /** Bit mask of the ModRM reg values concerned (group members); 0xff when every reg value. */
  regs: number;
  form: InvalidForm;
  /** What the encoding is, and why it is #UD (a feature CPUID does not report, a reserved slot ...). */
  why: string;
  /** The CPUID feature whose absence makes it #UD, when that is the reason. */
  feature?: string;
}

/** A valid instruction the core does not implement yet: it ends the run with an internal error naming it. */
export interface UnimplementedEncoding {
  index: number;
  name: string;
}

const ALL = 0xff;

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i <= to; i++) out.push(i);
  return out;
}

function entries(indices: number[], form: InvalidForm, why: string, feature?: string): InvalidEncoding[] {
  return indices.map((index) => ({ index, regs: ALL, form, why, feature }));
}

/**
 * The 0F opcodes of MMX, SSE, SSE2, SSE3 (and the three-byte maps of SSSE3
 * and SSE4) outside those the table lists on their own.
 */
const SIMD_0F = [
  ...range(0x110, 0x117), ...range(0x128, 0x12f), ...range(0x150, 0x177), 0x17c, 0x17d, 0x17e, 0x17f,
  ...range(0x1c2, 0x1c6), ...range(0x1d0, 0x1fe),
];

export const INVALID_ENCODINGS: readonly InvalidEncoding[] = [
  // ---- Defined to be invalid (SDM vol. 2, UD: UD0, UD1, UD2). ----
  ...entries([0x10b], 'always', 'UD2'),
  ...entries([0x1b9], 'always', 'UD1'),
  ...entries([0x1ff], 'always', 'UD0'),
  // ---- Reserved slots of the 0F map (SDM vol. 2 appendix A, table A-3). ----
  ...entries([0x104, 0x10a, 0x10c, 0x125, 0x127, 0x136, 0x139, ...range(0x13b, 0x13f), 0x17a, 0x17b], 'always',
    'reserved opcode'),
  ...entries([0x124, 0x126], 'always', 'MOV to/from test registers (386/486 only; #UD on P6 and later)'),
  ...entries([0x1a6, 0x1a7], 'always', 'reserved (XBTS/IBTS on early 386 steppings only)'),
  ...entries([0x105, 0x107], 'always', 'SYSCALL/SYSRET: #UD outside 64-bit mode (Intel)'),
  ...entries([0x10e, 0x10f], 'always', 'FEMMS and 3DNow!: AMD only', '3DNow!'),
  ...entries([0x137], 'always', 'GETSEC: #UD while CR4.SMXE = 0 (the core has no SMX)', 'SMX'),
  ...entries([0x178, 0x179], 'always', 'VMREAD/VMWRITE: #UD outside VMX operation (the core has no VMX)', 'VMX'),
  ...entries([0x1aa], 'always', 'RSM: #UD outside system-management mode (the core has no SMM)'),
  ...entries([0x1b8], 'always', 'JMPE (Itanium only) / F3: POPCNT', 'POPCNT'),
  ...entries(SIMD_0F, 'always', 'MMX/SSE/SSE2/SSE3 instruction', 'MMX/SSE'),
  ...entries([0x138, 0x13a], 'always', 'three-byte opcode maps (SSSE3, SSE4)', 'SSSE3/SSE4'),
  ...entries([0x1ae], 'always', 'group 15: FXSAVE/FXRSTOR, LDMXCSR/STMXCSR, XSAVE, fences, CLFLUSH', 'FXSR/SSE/CLFLUSH'),
  // ---- Group members that are not instructions. ----
  { index: 0xfe, regs: 0xfc, form: 'always', why: 'FE /2-/7: group 4 has only INC Eb and DEC Eb' },
  { index: 0xff, regs: 0x80, form: 'always', why: 'FF /7: reserved in group 5' },
  { index: 0xc6, regs: 0xfe, form: 'always', why: 'C6 /1-/7: group 11 has only MOV Eb,Ib (XABORT needs RTM)' },
  { index: 0xc7, regs: 0xfe, form: 'always', why: 'C7 /1-/7: group 11 has only MOV Ev,Iz (XBEGIN needs RTM)' },
  { index: 0x100, regs: 0xc0, form: 'always', why: '0F 00 /6-/7: reserved in group 6' },
  { index: 0x101, regs: 0x20, form: 'always', why: '0F 01 /5: reserved in group 7 on a P6' },
  { index: 0x1ba, regs: 0x0f, form: 'always', why: '0F BA /0-/3: group 8 has only BT/BTS/BTR/BTC Ev,Ib' },
  { index: 0x1c7, regs: 0xfd, form: 'always', why: '0F C7 /0, /2-/7: group 9 has only CMPXCHG8B on this CPU (RDRAND, RDSEED, VMX absent)' },
  // ---- Memory-only instructions with a register operand. ----
  ...entries([0x8d], 'register', 'LEA with a register operand'),
  ...entries([0xc4, 0xc5, 0x1b2, 0x1b4, 0x1b5], 'register', 'LES/LDS/LSS/LFS/LGS with a register operand'),
  ...entries([0x62], 'register', 'BOUND with a register operand'),
  { index: 0x1c7, regs: 0x02, form: 'register', why: 'CMPXCHG8B with a register operand' },
  { index: 0xff, regs: 0x28, form: 'register', why: 'far CALL/JMP Ep (FF /3, /5) with a register operand' },
  { index: 0x101, regs: 0x8f, form: 'register', why: 'SGDT/SIDT/LGDT/LIDT/INVLPG with a register operand (their register forms are VMX, MONITOR, SWAPGS ... not on this CPU)' },
  ...entries([0x10d], 'register', 'PREFETCHW/NOP Ev with a register operand (#UD on the host AMD CPU and in QEMU)'),
  // ---- Protected-mode-only instructions. ----
  ...entries([0x63], 'real-vm86', 'ARPL in real-address or virtual-8086 mode'),
  { index: 0x100, regs: 0x3f, form: 'real-vm86', why: 'SLDT/STR/LLDT/LTR/VERR/VERW in real-address or virtual-8086 mode' },
  ...entries([0x102, 0x103], 'real-vm86', 'LAR/LSL in real-address or virtual-8086 mode'),
  // ---- Reg fields that name nothing. ----
  ...entries([0x8c], 'reg-field', 'MOV Ev,Sreg with reg 6 or 7 (no such segment register)'),
  ...entries([0x8e], 'reg-field', 'MOV Sreg,Ew with reg 1 (CS), 6 or 7'),
  ...entries([0x8f], 'reg-field', 'POP Ev with reg 1-7 (group 1A has only POP)'),
  ...entries([0x120, 0x122], 'reg-field', 'MOV to/from CR1, CR5, CR6, CR7'),
  ...entries([0x121, 0x123], 'reg-field', 'MOV to/from DR4/DR5 while CR4.DE = 1'),
];

/**
 * Valid instructions the core does not implement at all yet (none today; the
 * x87 escapes D8-DF and 9B are the FPU's, ../fpu). Partly implemented ones
 * raise their own internal error for the part that is missing: counting
 * performance events (WRMSR, ops/system.ts), the far transfers and task
 * switches the protected-mode files name.
 */
export const UNIMPLEMENTED_ENCODINGS: readonly UnimplementedEncoding[] = [];

/** One-byte prefixes: Cpu.step consumes them, so their table entries are never dispatched. */
export const PREFIX_OPCODES: readonly number[] = [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3];

/** "0F 0B", "FE /2": an index (and a member) as the SDM writes it. */
export function encodingName(index: number, reg?: number): string {
  const hex = (b: number) => b.toString(16).toUpperCase().padStart(2, '0');
  const op = index >= 0x100 ? `0F ${hex(index & 0xff)}` : hex(index);
  return reg === undefined ? op : `${op} /${reg}`;
}
