// The machine state as a tree of named values for the Variables view:
// general registers sized to the mode, EFLAGS with its bits, segment
// registers with their hidden descriptor caches, control registers decoded,
// GDTR/IDTR/LDTR/TR with their tables (descriptorView.ts), the debug
// registers and the mode. DAP-free: the adapter turns nodes into
// variables and references. Editable nodes carry a `set`.

import { ATTR_AVL, ATTR_DB, ATTR_DPL_SHIFT, ATTR_G, ATTR_L, ATTR_P, ATTR_S, ATTR_TYPE_CODE, ATTR_UNUSABLE, describeDevices, getDebugRegisters, Regs, Segment, setDebugRegister, Sregs } from '../vmm/inspect';
import { descriptorTableEntries, interruptTableEntries, tssFields } from './descriptorView';
import type { VmexitRuntime } from './runtime';
import { modeName } from './stopReasons';

export interface StateNode {
  name: string;
  value: string;
  type?: string;
  /** Children, computed when expanded. */
  children?: () => StateNode[];
  /** For the memory view (a linear address in hex). */
  memoryReference?: string;
  evaluateName?: string;
  /** Parse and store a new value (throws with a message); returns the node's new value text. */
  set?: (value: number) => void;
  /** The bytes a data breakpoint on this node watches at its memoryReference (a C object's size). */
  dataSize?: number;
}

export function hex(value: number, digits: number): string {
  return '0x' + (value >>> 0).toString(16).toUpperCase().padStart(digits, '0');
}

type GeneralName = 'eax' | 'ebx' | 'ecx' | 'edx' | 'esi' | 'edi' | 'ebp' | 'esp';
const GENERAL: readonly GeneralName[] = ['eax', 'ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp', 'esp'];

export const FLAG_BITS: readonly { name: string; bit: number; width?: number; title: string }[] = [
  { name: 'CF', bit: 0, title: 'carry' },
  { name: 'PF', bit: 2, title: 'parity' },
  { name: 'AF', bit: 4, title: 'auxiliary carry' },
  { name: 'ZF', bit: 6, title: 'zero' },
  { name: 'SF', bit: 7, title: 'sign' },
  { name: 'TF', bit: 8, title: 'trap' },
  { name: 'IF', bit: 9, title: 'interrupt enable' },
  { name: 'DF', bit: 10, title: 'direction' },
  { name: 'OF', bit: 11, title: 'overflow' },
  { name: 'IOPL', bit: 12, width: 2, title: 'I/O privilege level' },
  { name: 'NT', bit: 14, title: 'nested task' },
  { name: 'RF', bit: 16, title: 'resume' },
  { name: 'VM', bit: 17, title: 'virtual-8086 mode' },
  { name: 'AC', bit: 18, title: 'alignment check' },
  { name: 'VIF', bit: 19, title: 'virtual interrupt' },
  { name: 'VIP', bit: 20, title: 'virtual interrupt pending' },
  { name: 'ID', bit: 21, title: 'CPUID available' },
];

const CR0_BITS: readonly [string, number][] = [
  ['PE', 0], ['MP', 1], ['EM', 2], ['TS', 3], ['ET', 4], ['NE', 5], ['WP', 16], ['AM', 18], ['NW', 29], ['CD', 30], ['PG', 31],
];
const CR4_BITS: readonly [string, number][] = [
  ['VME', 0], ['PVI', 1], ['TSD', 2], ['DE', 3], ['PSE', 4], ['PAE', 5], ['MCE', 6], ['PGE', 7], ['PCE', 8], ['OSFXSR', 9],
  ['OSXMMEXCPT', 10], ['UMIP', 11], ['LA57', 12], ['VMXE', 13], ['FSGSBASE', 16], ['PCIDE', 17], ['OSXSAVE', 18], ['SMEP', 20], ['SMAP', 21],
];
const EFER_BITS: readonly [string, number][] = [['SCE', 0], ['LME', 8], ['LMA', 10], ['NXE', 11]];

function setBits(value: number, bits: readonly [string, number][]): string {
  const on = bits.filter(([, b]) => (value >>> b) & 1).map(([n]) => n);
  return on.length ? on.join(' ') : '—';
}

/** Whether the mode runs 16-bit code by default (registers shown as AX, IP, …). */
function sixteen(runtime: VmexitRuntime): boolean {
  return runtime.codeBitness() === 16;
}

function withReg(runtime: VmexitRuntime, change: (r: Regs) => void): void {
  const r = runtime.regs();
  change(r);
  runtime.vcpu.setRegs(r);
}

function withSregs(runtime: VmexitRuntime, change: (s: Sregs) => void): void {
  const s = runtime.sregs();
  change(s);
  runtime.vcpu.setSregs(s);
}

function generalNode(runtime: VmexitRuntime, name: GeneralName, regs: Regs, small: boolean): StateNode {
  const v = regs[name] >>> 0;
  const short = name.slice(1); // ax, bx, …, sp
  const parts: StateNode[] = [];
  if (small) parts.push({ name, value: hex(v, 8), evaluateName: name, set: (x) => withReg(runtime, (r) => (r[name] = x >>> 0)) });
  else parts.push({ name: short, value: hex(v & 0xffff, 4), evaluateName: short, set: (x) => withReg(runtime, (r) => (r[name] = ((r[name] & 0xffff0000) | (x & 0xffff)) >>> 0)) });
  if (/^[abcd]x$/.test(short)) {
    const hi = short[0] + 'h';
    const lo = short[0] + 'l';
    parts.push({ name: hi, value: hex((v >>> 8) & 0xff, 2), evaluateName: hi, set: (x) => withReg(runtime, (r) => (r[name] = ((r[name] & ~0xff00) | ((x & 0xff) << 8)) >>> 0)) });
    parts.push({ name: lo, value: hex(v & 0xff, 2), evaluateName: lo, set: (x) => withReg(runtime, (r) => (r[name] = ((r[name] & ~0xff) | (x & 0xff)) >>> 0)) });
  }
  if (small) {
    return {
      name: short,
      value: hex(v & 0xffff, 4),
      evaluateName: short,
      children: () => parts,
      set: (x) => withReg(runtime, (r) => (r[name] = ((r[name] & 0xffff0000) | (x & 0xffff)) >>> 0)),
    };
  }
  return { name, value: hex(v, 8), evaluateName: name, children: () => parts, set: (x) => withReg(runtime, (r) => (r[name] = x >>> 0)) };
}

export function flagsSummary(eflags: number): string {
  return FLAG_BITS.filter((f) => !f.width && (eflags >>> f.bit) & 1).map((f) => f.name).join(' ');
}

function flagsNode(runtime: VmexitRuntime, regs: Regs): StateNode {
  const v = regs.eflags >>> 0;
  return {
    name: 'eflags',
    value: `${hex(v, 8)} [${flagsSummary(v)}]`,
    evaluateName: 'eflags',
    set: (x) => withReg(runtime, (r) => (r.eflags = (x | 2) >>> 0)),
    children: () =>
      FLAG_BITS.map((f) => {
        const mask = ((1 << (f.width ?? 1)) - 1) << f.bit;
        return {
          name: f.name,
          value: String((v & mask) >>> f.bit),
          type: f.title,
          set: (x: number) => withReg(runtime, (r) => (r.eflags = ((r.eflags & ~mask) | ((x << f.bit) & mask) | 2) >>> 0)),
        };
      }),
  };
}

/** The General registers scope. */
export function generalRegisters(runtime: VmexitRuntime): StateNode[] {
  const regs = runtime.regs();
  const small = sixteen(runtime);
  const nodes = GENERAL.map((n) => generalNode(runtime, n, regs, small));
  const cs = runtime.sregs().cs;
  nodes.push(
    small
      ? {
          name: 'ip',
          value: hex(regs.eip & 0xffff, 4),
          evaluateName: 'ip',
          memoryReference: hex((cs.base + (regs.eip & 0xffff)) >>> 0, 5),
          set: (x) => withReg(runtime, (r) => (r.eip = x & 0xffff)),
        }
      : { name: 'eip', value: hex(regs.eip, 8), evaluateName: 'eip', memoryReference: hex((cs.base + regs.eip) >>> 0, 8), set: (x) => withReg(runtime, (r) => (r.eip = x >>> 0)) },
  );
  nodes.push(flagsNode(runtime, regs));
  return nodes;
}

export function describeAttributes(attr: number): string {
  if (attr & ATTR_UNUSABLE) return 'unusable';
  const parts: string[] = [];
  const type = attr & 0xf;
  if (attr & ATTR_S) {
    parts.push(type & ATTR_TYPE_CODE ? `code${type & 2 ? ' readable' : ''}${type & 4 ? ' conforming' : ''}` : `data${type & 2 ? ' writable' : ' read-only'}${type & 4 ? ' expand-down' : ''}`);
    if (type & 1) parts.push('accessed');
  } else {
    const SYSTEM: Record<number, string> = { 1: 'TSS16 avail', 2: 'LDT', 3: 'TSS16 busy', 9: 'TSS32 avail', 11: 'TSS32 busy', 12: 'call gate', 14: 'interrupt gate', 15: 'trap gate' };
    parts.push(SYSTEM[type] ?? `system type ${type}`);
  }
  parts.push(`DPL ${(attr >>> ATTR_DPL_SHIFT) & 3}`);
  if (!(attr & ATTR_P)) parts.push('not present');
  if (attr & ATTR_DB) parts.push('D/B 32-bit');
  if (attr & ATTR_L) parts.push('L 64-bit');
  if (attr & ATTR_G) parts.push('G 4K');
  if (attr & ATTR_AVL) parts.push('AVL');
  return parts.join(', ');
}

type SegName = 'es' | 'cs' | 'ss' | 'ds' | 'fs' | 'gs' | 'ldtr' | 'tr';

function segmentNode(runtime: VmexitRuntime, name: SegName, seg: Segment, extra?: () => StateNode[]): StateNode {
  const realLike = runtime.realAddressing();
  const edit = (change: (s: Segment) => void): void => withSregs(runtime, (s) => change(s[name]));
  return {
    name,
    // An unusable segment (null-loaded) has no base or limit worth showing: every access through it faults.
    value: seg.attributes & ATTR_UNUSABLE ? `${hex(seg.selector, 4)}  unusable (null selector)` : `${hex(seg.selector, 4)}  base ${hex(seg.base, 8)} limit ${hex(seg.limit, 8)}`,
    evaluateName: name === 'ldtr' || name === 'tr' ? undefined : name,
    memoryReference: hex(seg.base, 8),
    set: (x) =>
      edit((s) => {
        s.selector = x & 0xffff;
        // In real and virtual-8086 mode loading a selector sets the base (the limit stays: big real mode).
        if (realLike && name !== 'ldtr' && name !== 'tr') s.base = (x & 0xffff) * 16;
      }),
    children: () => [
      { name: 'selector', value: hex(seg.selector, 4), type: `index ${seg.selector >>> 3}, ${seg.selector & 4 ? 'LDT' : 'GDT'}, RPL ${seg.selector & 3}`, set: (x) => edit((s) => (s.selector = x & 0xffff)) },
      { name: 'base', value: hex(seg.base, 8), memoryReference: hex(seg.base, 8), set: (x) => edit((s) => (s.base = x >>> 0)) },
      { name: 'limit', value: hex(seg.limit, 8), set: (x) => edit((s) => (s.limit = x >>> 0)) },
      { name: 'attributes', value: `${hex(seg.attributes, 5)} (${describeAttributes(seg.attributes)})`, set: (x) => edit((s) => (s.attributes = x >>> 0)) },
      ...(extra ? extra() : []),
    ],
  };
}

/** The Segments scope: selector plus the hidden descriptor cache. */
export function segmentRegisters(runtime: VmexitRuntime): StateNode[] {
  const s = runtime.sregs();
  return (['cs', 'ds', 'es', 'ss', 'fs', 'gs'] as const).map((n) => segmentNode(runtime, n, s[n]));
}

function bitsNode(name: string, value: number, bits: readonly [string, number][], set: (x: number) => void): StateNode {
  return {
    name,
    value: `${hex(value, 8)} [${setBits(value, bits)}]`,
    evaluateName: name,
    set,
    children: () => bits.map(([n, b]) => ({ name: n, value: String((value >>> b) & 1) })),
  };
}

/** The System scope: mode, control registers, descriptor-table registers, LDTR and TR. */
export function systemRegisters(runtime: VmexitRuntime): StateNode[] {
  const s = runtime.sregs();
  const mode = runtime.mode();
  const table = (name: 'gdtr' | 'idtr', entries: () => StateNode[]): StateNode => ({
    name,
    value: `base ${hex(s[name].base, 8)} limit ${hex(s[name].limit, 4)}`,
    memoryReference: hex(s[name].base, 8),
    children: () => [
      { name: 'base', value: hex(s[name].base, 8), memoryReference: hex(s[name].base, 8), set: (x) => withSregs(runtime, (t) => (t[name].base = x >>> 0)) },
      { name: 'limit', value: hex(s[name].limit, 4), set: (x) => withSregs(runtime, (t) => (t[name].limit = x & 0xffff)) },
      ...entries(),
    ],
  });
  const ldtEntries = (): StateNode[] =>
    s.ldtr.selector === 0 && s.ldtr.limit === 0
      ? []
      : [{ name: 'entries', value: `${Math.floor((s.ldtr.limit + 1) / 8)} descriptors`, children: () => descriptorTableEntries(runtime, s.ldtr.base, s.ldtr.limit, 4) }];
  const tss = (): StateNode[] => [{ name: 'TSS', value: `at ${hex(s.tr.base, 8)}`, memoryReference: hex(s.tr.base, 8), children: () => tssFields(runtime) }];
  return [
    { name: 'Mode', value: modeName(mode), type: `${runtime.codeBitness()}-bit code` },
    bitsNode('cr0', s.cr0, CR0_BITS, (x) => withSregs(runtime, (t) => (t.cr0 = x >>> 0))),
    { name: 'cr2', value: hex(s.cr2, 8), evaluateName: 'cr2', set: (x) => withSregs(runtime, (t) => (t.cr2 = x >>> 0)) },
    { name: 'cr3', value: hex(s.cr3, 8), evaluateName: 'cr3', set: (x) => withSregs(runtime, (t) => (t.cr3 = x >>> 0)) },
    bitsNode('cr4', s.cr4, CR4_BITS, (x) => withSregs(runtime, (t) => (t.cr4 = x >>> 0))),
    bitsNode('efer', s.efer, EFER_BITS, (x) => withSregs(runtime, (t) => (t.efer = x >>> 0))),
    table('gdtr', () => descriptorTableEntries(runtime, s.gdtr.base, s.gdtr.limit, 0)),
    table('idtr', () => {
      const pic = describeDevices(runtime.machine).pic;
      return interruptTableEntries(runtime, [pic.master.vectorBase, pic.slave.vectorBase]);
    }),
    segmentNode(runtime, 'ldtr', s.ldtr, ldtEntries),
    segmentNode(runtime, 'tr', s.tr, tss),
    ...debugRegisterNodes(runtime),
    { name: 'apicBase', value: hex(s.apicBase, 8) },
    { name: 'instructions', value: String(runtime.vcpu.instructions), type: 'retired since power-on' },
  ];
}

const DR7_RW = ['execute', 'write', 'I/O', 'read/write'] as const;
const DR7_LEN = ['1 byte', '2 bytes', '8 bytes', '4 bytes'] as const;
const DR6_BITS: readonly [string, number][] = [['B0', 0], ['B1', 1], ['B2', 2], ['B3', 3], ['BD', 13], ['BS', 14], ['BT', 15]];

/** DR0-DR3, DR6 and DR7 (enables, R/W and LEN per breakpoint decoded). */
export function debugRegisterNodes(runtime: VmexitRuntime): StateNode[] {
  const vcpu = runtime.vcpu;
  const dr = getDebugRegisters(vcpu);
  const nodes: StateNode[] = ([0, 1, 2, 3] as const).map((i) => ({
    name: `dr${i}`,
    value: hex(dr[i], 8),
    evaluateName: `dr${i}`,
    memoryReference: hex(dr[i], 8),
    set: (x: number) => setDebugRegister(vcpu, i, x),
  }));
  nodes.push(bitsNode('dr6', dr[6], DR6_BITS, (x) => setDebugRegister(vcpu, 6, x)));
  const dr7 = dr[7];
  const enabled = [0, 1, 2, 3].filter((i) => (dr7 >>> (i * 2)) & 3);
  nodes.push({
    name: 'dr7',
    value: `${hex(dr7, 8)} [${enabled.length ? enabled.map((i) => `dr${i} ${DR7_RW[(dr7 >>> (16 + i * 4)) & 3]} ${DR7_LEN[(dr7 >>> (18 + i * 4)) & 3]}`).join('; ') : 'no breakpoint enabled'}]`,
    evaluateName: 'dr7',
    set: (x) => setDebugRegister(vcpu, 7, x),
    children: () => [
      ...[0, 1, 2, 3].map((i) => ({
        name: `dr${i}`,
        value: `L${i}=${(dr7 >>> (i * 2)) & 1} G${i}=${(dr7 >>> (i * 2 + 1)) & 1}, ${DR7_RW[(dr7 >>> (16 + i * 4)) & 3]}, ${DR7_LEN[(dr7 >>> (18 + i * 4)) & 3]}`,
      })),
      { name: 'LE', value: String((dr7 >>> 8) & 1) },
      { name: 'GE', value: String((dr7 >>> 9) & 1) },
      { name: 'GD', value: String((dr7 >>> 13) & 1), type: 'general detect' },
    ],
  });
  return nodes;
}
