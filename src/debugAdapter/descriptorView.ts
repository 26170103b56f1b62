// The descriptor tables as the Variables view shows them: GDTR and the LDTR's
// cache expand to their descriptors (selector, base, limit and every
// attribute bit decoded), IDTR to the real-mode IVT (vector → seg:off) or the
// protected/long-mode gates, TR to the fields of its TSS. Decoding works on
// the bytes at the table's linear base, so it shows what the CPU would load.

import type { VmexitRuntime } from './runtime';
import { hex, StateNode } from './registerView';
import { EXCEPTION_NAMES } from './stopReasons';

/** Entries listed under one table at most (a full GDT has 8192). */
export const MAX_TABLE_ENTRIES = 512;

const EFER_LMA = 1 << 10;

export interface Descriptor {
  base: number;
  /** The raw 20-bit limit. */
  limit: number;
  /** The limit in bytes the CPU applies (scaled by 4 KiB with G). */
  effectiveLimit: number;
  type: number;
  s: boolean;
  dpl: number;
  present: boolean;
  avl: boolean;
  l: boolean;
  db: boolean;
  g: boolean;
  /** 16 for a long-mode system descriptor (two slots), 8 otherwise. */
  size: 8 | 16;
}

const SYSTEM_TYPES: Readonly<Record<number, string>> = {
  1: 'TSS 16-bit (available)',
  2: 'LDT',
  3: 'TSS 16-bit (busy)',
  4: 'call gate 16-bit',
  5: 'task gate',
  6: 'interrupt gate 16-bit',
  7: 'trap gate 16-bit',
  9: 'TSS 32-bit (available)',
  11: 'TSS 32-bit (busy)',
  12: 'call gate 32-bit',
  14: 'interrupt gate 32-bit',
  15: 'trap gate 32-bit',
};

const LONG_SYSTEM_TYPES: Readonly<Record<number, string>> = {
  2: 'LDT',
  9: 'TSS 64-bit (available)',
  11: 'TSS 64-bit (busy)',
  12: 'call gate 64-bit',
  14: 'interrupt gate 64-bit',
  15: 'trap gate 64-bit',
};

function dword(b: readonly number[], at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}

/** Decode a segment or system descriptor from its bytes (8, or 16 for a long-mode system descriptor). */
export function decodeDescriptor(bytes: readonly number[], longMode: boolean): Descriptor {
  const lo = dword(bytes, 0);
  const hi = dword(bytes, 4);
  const limit = (lo & 0xffff) | (hi & 0xf0000);
  const g = ((hi >>> 23) & 1) === 1;
  const s = ((hi >>> 12) & 1) === 1;
  const type = (hi >>> 8) & 0xf;
  const wide = longMode && !s && (type === 2 || type === 9 || type === 11 || type === 12);
  let base = ((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000)) >>> 0;
  if (wide && bytes.length >= 12) base += dword(bytes, 8) * 2 ** 32;
  return {
    base,
    limit,
    effectiveLimit: g ? (limit * 4096 + 0xfff) : limit,
    type,
    s,
    dpl: (hi >>> 13) & 3,
    present: ((hi >>> 15) & 1) === 1,
    avl: ((hi >>> 20) & 1) === 1,
    l: ((hi >>> 21) & 1) === 1,
    db: ((hi >>> 22) & 1) === 1,
    g,
    size: wide ? 16 : 8,
  };
}

/** What a descriptor's type field means, e.g. "code 32-bit, execute/read" or "TSS 32-bit (busy)". */
export function describeType(d: Descriptor, longMode: boolean): string {
  if (!d.s) return (longMode ? LONG_SYSTEM_TYPES : SYSTEM_TYPES)[d.type] ?? `reserved system type ${d.type}`;
  const parts: string[] = [];
  if (d.type & 8) {
    parts.push(`code ${d.l && longMode ? '64' : d.db ? '32' : '16'}-bit`);
    parts.push(d.type & 2 ? 'execute/read' : 'execute-only');
    if (d.type & 4) parts.push('conforming');
  } else {
    parts.push(`data${d.db ? ' 32-bit' : ''}`);
    parts.push(d.type & 2 ? 'read/write' : 'read-only');
    if (d.type & 4) parts.push('expand-down');
  }
  if (d.type & 1) parts.push('accessed');
  return parts.join(', ');
}

function sizeText(bytes: number): string {
  if (bytes >= 2 ** 30 && bytes % 2 ** 30 === 0) return `${bytes / 2 ** 30} GiB`;
  if (bytes >= 2 ** 20 && bytes % 2 ** 20 === 0) return `${bytes / 2 ** 20} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

/** One line for a descriptor: "code 32-bit, execute/read, DPL 0, present, base 0x00000000, limit 0xFFFFFFFF (4 GiB)". */
export function describeDescriptor(d: Descriptor, longMode: boolean): string {
  const parts = [describeType(d, longMode), `DPL ${d.dpl}`, d.present ? 'present' : 'not present'];
  parts.push(`base ${hex(d.base, d.base > 0xffffffff ? 16 : 8)}`, `limit ${hex(d.effectiveLimit, 8)} (${sizeText(d.effectiveLimit + 1)})`);
  return parts.join(', ');
}

function bit(name: string, on: boolean, title: string): StateNode {
  return { name, value: on ? '1' : '0', type: title };
}

function descriptorChildren(selector: number, raw: readonly number[], d: Descriptor, longMode: boolean): StateNode[] {
  const rawHex = raw.slice(0, d.size).map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ');
  return [
    { name: 'selector', value: hex(selector, 4), type: `index ${selector >>> 3}, ${selector & 4 ? 'LDT' : 'GDT'}` },
    { name: 'base', value: hex(d.base, d.base > 0xffffffff ? 16 : 8), memoryReference: d.base <= 0xffffffff ? hex(d.base, 8) : undefined },
    { name: 'limit', value: hex(d.effectiveLimit, 8), type: `raw ${hex(d.limit, 5)}${d.g ? ' × 4 KiB' : ''}` },
    { name: 'type', value: `${d.type} (${describeType(d, longMode)})` },
    bit('S', d.s, d.s ? 'code or data segment' : 'system descriptor'),
    { name: 'DPL', value: String(d.dpl), type: 'descriptor privilege level' },
    bit('P', d.present, 'present'),
    bit('AVL', d.avl, 'available to software'),
    bit('L', d.l, '64-bit code segment'),
    bit('D/B', d.db, 'default operand size / big (32-bit)'),
    bit('G', d.g, 'granularity: limit in 4 KiB units'),
    { name: 'raw', value: rawHex },
  ];
}

function isLongMode(runtime: VmexitRuntime): boolean {
  return (runtime.sregs().efer & EFER_LMA) !== 0;
}

function readBytes(runtime: VmexitRuntime, linear: number, length: number): number[] | null {
  const b = runtime.readLinear(linear >>> 0, length);
  return b.some((x) => x === null) ? null : (b as number[]);
}

function moreNode(shown: number, total: number): StateNode {
  return { name: '…', value: `${total - shown} more entries not listed (the view stops at ${MAX_TABLE_ENTRIES})` };
}

/** The descriptors of a GDT or LDT at `base` with `limit`; `ti` is 4 for the LDT (selectors with TI set). */
export function descriptorTableEntries(runtime: VmexitRuntime, base: number, limit: number, ti: 0 | 4): StateNode[] {
  const longMode = isLongMode(runtime);
  const nodes: StateNode[] = [];
  const total = Math.floor((limit + 1) / 8);
  let shown = 0;
  for (let offset = 0; offset + 7 <= limit && shown < MAX_TABLE_ENTRIES; shown++) {
    const selector = offset | ti;
    const name = `[${offset >>> 3}] ${hex(selector, 4)}`;
    const raw = readBytes(runtime, base + offset, 16) ?? readBytes(runtime, base + offset, 8);
    if (!raw) {
      nodes.push({ name, value: 'unreadable (not mapped)' });
      offset += 8;
      continue;
    }
    if (offset === 0 && ti === 0) {
      nodes.push({ name, value: raw.slice(0, 8).every((x) => x === 0) ? 'null descriptor' : 'null descriptor (not all zero; never loaded)' });
      offset += 8;
      continue;
    }
    const d = decodeDescriptor(raw, longMode);
    const empty = raw.slice(0, 8).every((x) => x === 0);
    nodes.push({
      name,
      value: empty ? 'empty' : describeDescriptor(d, longMode),
      memoryReference: hex((base + offset) >>> 0, 8),
      children: empty ? undefined : () => descriptorChildren(selector, raw, d, longMode),
    });
    offset += d.size === 16 && offset + 15 <= limit ? 16 : 8;
  }
  if (shown < total && shown >= MAX_TABLE_ENTRIES) nodes.push(moreNode(shown, total));
  return nodes;
}

/**
 * "0Dh #GP": the vector and, in protected mode, the exception it is for. In
 * real mode only the 8086/286 exceptions (0-7) keep their names; the PC puts
 * IRQ0-7 at 08h-0Fh and IRQ8-15 at 70h-77h (named from the PIC's vector
 * bases when given) and BIOS services from 10h.
 */
function vectorLabel(vector: number, real: boolean, irqBases?: readonly [number, number]): string {
  const v = `${vector.toString(16).toUpperCase().padStart(2, '0')}h`;
  let irq: string | null = null;
  for (const [i, base] of (irqBases ?? []).entries()) {
    if (vector >= base && vector < base + 8) irq = `IRQ${i * 8 + vector - base}`;
  }
  const name = EXCEPTION_NAMES[vector];
  const exception = name && vector < (real ? 8 : 32) ? name : null;
  // Real mode: an IRQ vector is an IRQ. Protected mode: the exception comes first (an unremapped PIC overlaps it).
  if (real) return irq ? `${v} ${irq}` : exception ? `${v} ${exception}` : v;
  if (exception) return irq ? `${v} ${exception} (${irq})` : `${v} ${exception}`;
  return irq ? `${v} ${irq}` : v;
}

/** The real-mode interrupt vector table at IDTR: vector → segment:offset. */
export function ivtEntries(runtime: VmexitRuntime, base: number, limit: number, irqBases?: readonly [number, number]): StateNode[] {
  const nodes: StateNode[] = [];
  const count = Math.min(256, Math.floor((limit + 1) / 4));
  const bytes = runtime.readLinear(base >>> 0, count * 4);
  for (let v = 0; v < count; v++) {
    const b = bytes.slice(v * 4, v * 4 + 4);
    const name = `INT ${vectorLabel(v, true, irqBases)}`;
    if (b.some((x) => x === null)) {
      nodes.push({ name, value: 'unreadable' });
      continue;
    }
    const [o0, o1, s0, s1] = b as number[];
    const off = o0 | (o1 << 8);
    const seg = s0 | (s1 << 8);
    const target = (seg * 16 + off) >>> 0;
    nodes.push({
      name,
      value: `${hex(seg, 4).slice(2)}:${hex(off, 4).slice(2)}`,
      type: `handler at linear ${hex(target, 5)}`,
      memoryReference: hex(target, 8),
    });
  }
  return nodes;
}

/** The protected-mode or long-mode IDT gates. */
export function idtGates(runtime: VmexitRuntime, base: number, limit: number, irqBases?: readonly [number, number]): StateNode[] {
  const longMode = isLongMode(runtime);
  const size = longMode ? 16 : 8;
  const nodes: StateNode[] = [];
  const count = Math.min(256, Math.floor((limit + 1) / size));
  for (let v = 0; v < count; v++) {
    const name = `INT ${vectorLabel(v, false, irqBases)}`;
    const raw = readBytes(runtime, base + v * size, size);
    if (!raw) {
      nodes.push({ name, value: 'unreadable (not mapped)' });
      continue;
    }
    const lo = dword(raw, 0);
    const hi = dword(raw, 4);
    const type = (hi >>> 8) & 0x1f;
    const present = ((hi >>> 15) & 1) === 1;
    const dpl = (hi >>> 13) & 3;
    const selector = lo >>> 16;
    if (!present && lo === 0 && hi === 0) {
      nodes.push({ name, value: 'empty' });
      continue;
    }
    const kind = (longMode ? LONG_SYSTEM_TYPES : SYSTEM_TYPES)[type & 0xf] ?? `not a gate (type ${type & 0xf})`;
    const children: StateNode[] = [
      { name: 'type', value: `${type & 0xf} (${kind})` },
      { name: 'selector', value: hex(selector, 4), type: `index ${selector >>> 3}, ${selector & 4 ? 'LDT' : 'GDT'}, RPL ${selector & 3}` },
      { name: 'DPL', value: String(dpl) },
      bit('P', present, 'present'),
    ];
    let where: string;
    if ((type & 0xf) === 5) {
      where = `TSS selector ${hex(selector, 4)}`;
    } else {
      const offset = (lo & 0xffff) + (hi & 0xffff0000) + (longMode ? dword(raw, 8) * 2 ** 32 : 0);
      const digits = longMode ? 16 : type & 8 ? 8 : 4;
      where = `${hex(selector, 4).slice(2)}:${hex(offset, digits).slice(2)}`;
      children.splice(2, 0, { name: 'offset', value: hex(offset, digits) });
      if (longMode) children.push({ name: 'IST', value: String(hi & 7), type: 'interrupt stack table index (0: none)' });
    }
    nodes.push({ name, value: `${kind} → ${where}, DPL ${dpl}${present ? '' : ', not present'}`, children: () => children });
  }
  return nodes;
}

/** IDTR's children: the IVT in real mode (and big real mode), the gates otherwise; IRQ vectors named from the PIC's bases. */
export function interruptTableEntries(runtime: VmexitRuntime, irqBases?: readonly [number, number]): StateNode[] {
  const { base, limit } = runtime.sregs().idtr;
  const mode = runtime.mode();
  return mode === 'real' || mode === 'big-real' ? ivtEntries(runtime, base, limit, irqBases) : idtGates(runtime, base, limit, irqBases);
}

const TSS32_FIELDS: readonly [string, number, 2 | 4][] = [
  ['link', 0, 2], ['esp0', 4, 4], ['ss0', 8, 2], ['esp1', 12, 4], ['ss1', 16, 2], ['esp2', 20, 4], ['ss2', 24, 2],
  ['cr3', 28, 4], ['eip', 32, 4], ['eflags', 36, 4], ['eax', 40, 4], ['ecx', 44, 4], ['edx', 48, 4], ['ebx', 52, 4],
  ['esp', 56, 4], ['ebp', 60, 4], ['esi', 64, 4], ['edi', 68, 4], ['es', 72, 2], ['cs', 76, 2], ['ss', 80, 2],
  ['ds', 84, 2], ['fs', 88, 2], ['gs', 92, 2], ['ldt', 96, 2], ['iomap base', 102, 2],
];

const TSS64_FIELDS: readonly [string, number, 8 | 2][] = [
  ['rsp0', 4, 8], ['rsp1', 12, 8], ['rsp2', 20, 8], ['ist1', 36, 8], ['ist2', 44, 8], ['ist3', 52, 8],
  ['ist4', 60, 8], ['ist5', 68, 8], ['ist6', 76, 8], ['ist7', 84, 8], ['iomap base', 102, 2],
];

/** The fields of the TSS the TR's cache points at (32-bit or 64-bit layout; a 16-bit TSS is shown raw). */
export function tssFields(runtime: VmexitRuntime): StateNode[] {
  const tr = runtime.sregs().tr;
  if (tr.selector === 0 && tr.base === 0) return [{ name: 'TSS', value: 'no task register loaded' }];
  const longMode = isLongMode(runtime);
  const bytes = readBytes(runtime, tr.base, 104);
  if (!bytes) return [{ name: 'TSS', value: `unreadable at ${hex(tr.base, 8)}` }];
  const type = tr.attributes & 0xf;
  if (!longMode && (type === 1 || type === 3)) return [{ name: 'TSS', value: '16-bit TSS', memoryReference: hex(tr.base, 8) }];
  if (longMode) {
    return TSS64_FIELDS.map(([name, at, size]) => ({
      name,
      value: size === 8 ? hex(dword(bytes, at) + dword(bytes, at + 4) * 2 ** 32, 16) : hex(bytes[at] | (bytes[at + 1] << 8), 4),
    }));
  }
  return TSS32_FIELDS.map(([name, at, size]) => ({
    name,
    value: size === 4 ? hex(dword(bytes, at), 8) : hex(bytes[at] | (bytes[at + 1] << 8), 4),
  }));
}
