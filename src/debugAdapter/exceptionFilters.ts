// The exception breakpoint filters the adapter offers (CPU exceptions by
// vector, triple fault, mode changes, software interrupts, I/O ports, the
// magic breakpoint) and how a setExceptionBreakpoints request becomes the
// runtime's ExceptionFilters.

import type { DebugProtocol } from '@vscode/debugprotocol';
import type { ExceptionFilters } from './runtime';
import { EXCEPTION_NAMES, EXCEPTION_TITLES } from './stopReasons';

const VECTORS = [0, 1, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 16, 17, 18, 19];

export const EXCEPTION_FILTERS: DebugProtocol.ExceptionBreakpointsFilter[] = [
  ...VECTORS.map((v) => ({
    filter: `exception-${v}`,
    label: `${EXCEPTION_NAMES[v]} ${EXCEPTION_TITLES[v]}`,
    description: `Stop before the CPU delivers exception ${v} (${EXCEPTION_NAMES[v]})`,
    default: false,
  })),
  { filter: 'triple-fault', label: 'Triple fault', description: 'Stop when the CPU shuts down (shown before the fatal instruction)', default: true },
  { filter: 'mode-change', label: 'CPU mode changes', description: 'Stop after every change of mode (real, big real, protected 16/32, vm86, long) and when paging is turned on or off', default: false },
  {
    filter: 'software-interrupt',
    label: 'Software interrupts (INT n)',
    description: 'Stop before INT n; the condition lists the numbers, e.g. "10h, 13h, 0x20-0x2f" (empty: all)',
    default: false,
    supportsCondition: true,
    conditionDescription: 'Interrupt numbers or ranges, e.g. 10h, 0x13, 0x20-0x2f',
  },
  {
    filter: 'io',
    label: 'I/O ports',
    description: 'Stop after an IN/OUT to these ports; the condition lists ports or ranges, e.g. "0x60-0x64, 3f8h"',
    default: false,
    supportsCondition: true,
    conditionDescription: 'Ports or ranges, e.g. 0x3f8-0x3ff, 0x60',
  },
  { filter: 'magic', label: 'Magic breakpoint (xchg bx, bx)', description: "Stop after Bochs' magic breakpoint instruction", default: true },
];

function parseNumber(text: string): number {
  const t = text.trim().toLowerCase();
  let v = NaN;
  if (/^0x[0-9a-f]+$/.test(t)) v = parseInt(t.slice(2), 16);
  else if (/^[0-9][0-9a-f]*h$/.test(t)) v = parseInt(t.slice(0, -1), 16);
  else if (/^[0-9]+$/.test(t)) v = Number(t);
  if (Number.isNaN(v)) throw new Error(`'${text.trim()}' is not a number (use 0x10, 10h or 16)`);
  return v;
}

/** "10h, 0x20-0x2f" → ranges; empty → null (everything). */
export function parseRanges(text: string | undefined, max: number, what: string): { first: number; last: number }[] | null {
  if (text === undefined || text.trim() === '') return null;
  return text.split(/[,\s]+/).filter((p) => p !== '').map((part) => {
    const [a, b] = part.split('-');
    const first = parseNumber(a);
    const last = b === undefined ? first : parseNumber(b);
    if (first > last || last > max) throw new Error(`${what} range '${part}' is out of order or above 0x${max.toString(16)}`);
    return { first, last };
  });
}

export function toExceptionFilters(args: DebugProtocol.SetExceptionBreakpointsArguments): ExceptionFilters {
  const options = new Map<string, string | undefined>();
  for (const f of args.filters) options.set(f, undefined);
  for (const o of args.filterOptions ?? []) options.set(o.filterId, o.condition);
  const unknown = [...options.keys()].filter((f) => !EXCEPTION_FILTERS.some((e) => e.filter === f));
  if (unknown.length) throw new Error(`unknown exception filter${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`);
  const exceptions = VECTORS.filter((v) => options.has(`exception-${v}`));
  let softwareInterrupts: number[] = [];
  if (options.has('software-interrupt')) {
    const ranges = parseRanges(options.get('software-interrupt'), 255, 'interrupt') ?? [{ first: 0, last: 255 }];
    for (const r of ranges) for (let v = r.first; v <= r.last; v++) softwareInterrupts.push(v);
    softwareInterrupts = [...new Set(softwareInterrupts)];
  }
  const ioPorts = options.has('io') ? (parseRanges(options.get('io'), 0xffff, 'port') ?? [{ first: 0, last: 0xffff }]) : [];
  return {
    exceptions,
    softwareInterrupts,
    ioPorts,
    modeChanges: options.has('mode-change'),
    magicBreakpoint: options.has('magic'),
    tripleFault: options.has('triple-fault'),
  };
}
