// The system registers by the names the expression language gives them, for
// `evaluate`, hovers, watch expressions, breakpoint conditions, log messages
// and `setExpression`. DAP-free. The spellings (case-insensitive):
//
//   cr0 cr2 cr3 cr4 efer           control registers and EFER
//   dr0 … dr7                      debug registers (dr4/dr5 alias dr6/dr7, as
//                                  MOV DRn does with CR4.DE clear); writing dr6
//                                  or dr7 forces their reserved bits as MOV does
//   gdtr.base gdtr.limit           the descriptor-table registers
//   idtr.base idtr.limit
//   <seg>.selector <seg>.base      a segment register's selector and its hidden
//   <seg>.limit <seg>.attributes   descriptor cache, for seg in cs ds es fs gs ss
//                                  ldtr tr (attributes in VMX access-rights form)
//
// So `ds.limit == 0xffffffff` tells big real mode, `cs.base + eip` is the
// linear PC, and `setExpression gdtr.limit = 0x17` edits GDTR. Writing
// `<seg>.selector` changes only the selector (the hidden cache stays, as a
// debugger edit must be able to express big real mode); writing the plain
// register (`ds = 0x40`) in real mode also sets the base, as a load would.

import { getDebugRegisters, Segment, setDebugRegister, Sregs } from '../vmm/inspect';
import type { VmexitRuntime } from './runtime';

export interface SystemRegister {
  read(): number;
  write(value: number): void;
}

type SegmentName = 'cs' | 'ds' | 'es' | 'fs' | 'gs' | 'ss' | 'ldtr' | 'tr';
const SEGMENTS: ReadonlySet<string> = new Set<SegmentName>(['cs', 'ds', 'es', 'fs', 'gs', 'ss', 'ldtr', 'tr']);
type SegmentField = 'selector' | 'base' | 'limit' | 'attributes';
const SEGMENT_FIELDS: ReadonlySet<string> = new Set<SegmentField>(['selector', 'base', 'limit', 'attributes']);

/** Every name this module answers (lower case), for completion and documentation. */
export const SYSTEM_REGISTER_NAMES: readonly string[] = [
  'cr0', 'cr2', 'cr3', 'cr4', 'efer',
  ...[0, 1, 2, 3, 4, 5, 6, 7].map((i) => `dr${i}`),
  'gdtr.base', 'gdtr.limit', 'idtr.base', 'idtr.limit',
  ...[...SEGMENTS].flatMap((s) => [...SEGMENT_FIELDS].map((f) => `${s}.${f}`)),
];

function sregsField(rt: VmexitRuntime, get: (s: Sregs) => number, set: (s: Sregs, v: number) => void): SystemRegister {
  return {
    read: () => get(rt.sregs()) >>> 0,
    write: (v) => {
      const s = rt.sregs();
      set(s, v);
      rt.vcpu.setSregs(s);
    },
  };
}

function segmentField(rt: VmexitRuntime, seg: SegmentName, field: SegmentField): SystemRegister {
  const mask = (v: number): number => (field === 'selector' ? v & 0xffff : v >>> 0);
  return sregsField(
    rt,
    (s) => (s[seg] as Segment)[field],
    (s, v) => {
      (s[seg] as Segment)[field] = mask(v);
    },
  );
}

/** The system register a lower-case name spells, or undefined when it names none. */
export function systemRegister(rt: VmexitRuntime, name: string): SystemRegister | undefined {
  const n = name.toLowerCase();
  switch (n) {
    case 'cr0':
    case 'cr2':
    case 'cr3':
    case 'cr4':
    case 'efer':
      return sregsField(rt, (s) => s[n], (s, v) => (s[n] = v >>> 0));
    case 'gdtr.base':
    case 'idtr.base': {
      const t = n === 'gdtr.base' ? 'gdtr' : 'idtr';
      return sregsField(rt, (s) => s[t].base, (s, v) => (s[t].base = v >>> 0));
    }
    case 'gdtr.limit':
    case 'idtr.limit': {
      const t = n === 'gdtr.limit' ? 'gdtr' : 'idtr';
      return sregsField(rt, (s) => s[t].limit, (s, v) => (s[t].limit = v & 0xffff));
    }
  }
  const dr = /^dr([0-7])$/.exec(n);
  if (dr) {
    const raw = Number(dr[1]);
    const index = (raw === 4 ? 6 : raw === 5 ? 7 : raw) as 0 | 1 | 2 | 3 | 6 | 7;
    return {
      read: () => getDebugRegisters(rt.vcpu)[index],
      write: (v) => setDebugRegister(rt.vcpu, index, v),
    };
  }
  const dot = n.indexOf('.');
  if (dot > 0) {
    const seg = n.slice(0, dot);
    const field = n.slice(dot + 1);
    if (SEGMENTS.has(seg) && SEGMENT_FIELDS.has(field)) return segmentField(rt, seg as SegmentName, field as SegmentField);
  }
  return undefined;
}
