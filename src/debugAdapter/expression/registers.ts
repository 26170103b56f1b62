// Register names the expression language knows by shape: their width and
// whether they can form an address (general registers), so that `[bx+si]`
// wraps at 16 bits and `[bp+4]` defaults to SS as the CPU does. The values
// come from the EvaluationContext; a name the context answers but this table
// does not list is still a register, sized by its value.

export type RegisterClass = 'general' | 'segment' | 'pointer' | 'flags' | 'control' | 'debug' | 'system';

export interface RegisterShape {
  /** Width in bits. */
  readonly bits: 8 | 16 | 32 | 64;
  readonly cls: RegisterClass;
  /** A stack or frame pointer (sp, bp and wider): as a base it selects SS. */
  readonly stackBase: boolean;
}

const table = new Map<string, RegisterShape>();

function add(names: readonly string[], bits: RegisterShape['bits'], cls: RegisterClass): void {
  for (const name of names) {
    const stackBase = /^[er]?[sb]p$/.test(name);
    table.set(name, { bits, cls, stackBase });
  }
}

const legacy = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'];
const extended = [8, 9, 10, 11, 12, 13, 14, 15].map((n) => `r${n}`);

add(['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh', 'spl', 'bpl', 'sil', 'dil'], 8, 'general');
add(
  extended.map((r) => `${r}b`),
  8,
  'general',
);
add(legacy, 16, 'general');
add(
  extended.map((r) => `${r}w`),
  16,
  'general',
);
add(
  legacy.map((r) => `e${r}`),
  32,
  'general',
);
add(
  extended.map((r) => `${r}d`),
  32,
  'general',
);
add(
  legacy.map((r) => `r${r}`),
  64,
  'general',
);
add(extended, 64, 'general');
add(['cs', 'ds', 'es', 'fs', 'gs', 'ss'], 16, 'segment');
add(['ip'], 16, 'pointer');
add(['eip'], 32, 'pointer');
add(['rip'], 64, 'pointer');
add(['flags'], 16, 'flags');
add(['eflags'], 32, 'flags');
add(['rflags'], 64, 'flags');
add(['cr0', 'cr2', 'cr3', 'cr4', 'cr8'], 32, 'control');
add(['efer'], 32, 'control');
add(['dr0', 'dr1', 'dr2', 'dr3', 'dr4', 'dr5', 'dr6', 'dr7'], 32, 'debug');
// The descriptor-table registers and the hidden segment caches (see debugAdapter/systemRegisters.ts).
add(['gdtr.base', 'idtr.base'], 32, 'system');
add(['gdtr.limit', 'idtr.limit'], 16, 'system');
for (const seg of ['cs', 'ds', 'es', 'fs', 'gs', 'ss', 'ldtr', 'tr']) {
  add([`${seg}.selector`], 16, 'system');
  add([`${seg}.base`, `${seg}.limit`, `${seg}.attributes`], 32, 'system');
}

/** The shape of a register by lower-case name, undefined if the table does not list it. */
export function registerShape(name: string): RegisterShape | undefined {
  return table.get(name);
}

/** The six segment registers, by lower-case name. */
export const SEGMENT_REGISTERS: ReadonlySet<string> = new Set(['cs', 'ds', 'es', 'fs', 'gs', 'ss']);
