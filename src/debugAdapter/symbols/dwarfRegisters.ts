// DWARF register numbers of x86 and x86-64, as the System V psABIs define
// them (i386 psABI table 2.14; AMD64 psABI figure 3.36). DWARF location
// expressions and call frame information name registers by these numbers;
// the two architectures number them differently (1 is ECX on i386 but RDX
// on x86-64), so every user goes through one RegisterSet per address size.

export interface RegisterSet {
  /** Names by DWARF number (general registers and the instruction pointer). */
  readonly names: readonly string[];
  readonly sp: number;
  readonly fp: number;
  readonly pc: number;
  /** Registers a called function must preserve: the caller's values equal the callee's unless the CFI says where they were saved. */
  readonly calleeSaved: readonly number[];
}

const I386: RegisterSet = {
  names: ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi', 'eip'],
  sp: 4,
  fp: 5,
  pc: 8,
  calleeSaved: [3, 5, 6, 7],
};

const X86_64: RegisterSet = {
  names: ['rax', 'rdx', 'rcx', 'rbx', 'rsi', 'rdi', 'rbp', 'rsp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'rip'],
  sp: 7,
  fp: 6,
  pc: 16,
  calleeSaved: [3, 6, 12, 13, 14, 15],
};

/** The register numbering of code with this address size (4: i386, 8: x86-64). */
export function registerSet(addressSize: number): RegisterSet {
  return addressSize === 8 ? X86_64 : I386;
}

/** The register name for a DWARF number, or `r<n>` for one outside the general registers. */
export function registerName(set: RegisterSet, n: number): string {
  return set.names[n] ?? `r${n}`;
}
