// What a DAP request may ask for, checked before its handler runs: the
// arguments' types as the protocol defines them, and the limits vmexit sets
// on anything a client can make huge (a disassembly of ten million
// instructions blocked the adapter for seconds and ended in a raw
// "Invalid array length"). A request outside them is refused at once with
// one message naming the argument and the limit; nothing is capped
// silently, because DAP gives a short answer a meaning (readMemory: the end
// of readable memory; disassemble: exactly instructionCount entries).
//
// Values a request may legitimately carry but vmexit cannot honour one by
// one (a breakpoint on line -5) are not refused here: the handler answers
// them individually (an unverified breakpoint with the reason).

import { MAX_EXPRESSION_LENGTH } from './expression/parser';

/** The limits, as the README documents them. */
export const REQUEST_LIMITS = {
  /** disassemble: instructionCount and |instructionOffset| (VS Code asks for about 50 at a time). */
  disassembleInstructions: 10_000,
  /** readMemory: count, in bytes (a memory view asks for a few KiB at a time). */
  readMemoryBytes: 1 << 20,
  /** writeMemory: the decoded data, in bytes. */
  writeMemoryBytes: 1 << 20,
  /** |offset| of readMemory, writeMemory, disassemble and instruction breakpoints: the 32-bit address space. */
  memoryOffset: 0xffff_ffff,
  /** Breakpoints in one setBreakpoints / setFunctionBreakpoints / setInstructionBreakpoints / setDataBreakpoints. */
  breakpointsPerRequest: 10_000,
  /** stackTrace: startFrame (frame ids give each thread 65536). */
  startFrame: 0xffff,
  /** Expressions, conditions, log messages, memory references: characters. */
  expressionLength: MAX_EXPRESSION_LENGTH,
} as const;

/** The largest integer a DAP number argument may be (ids, references, counts without a tighter limit). */
const MAX_ID = 0x7fff_ffff;

type Field =
  | { readonly type: 'integer'; readonly min: number; readonly max: number; readonly required?: boolean; readonly limit?: string }
  | { readonly type: 'string'; readonly required?: boolean; readonly maxLength?: number }
  | { readonly type: 'boolean' }
  | { readonly type: 'object'; readonly required?: boolean }
  | { readonly type: 'array'; readonly required?: boolean; readonly max: number; readonly limit?: string; readonly items?: Fields; readonly strings?: boolean };

type Fields = Readonly<Record<string, Field>>;

const id = (required = true): Field => ({ type: 'integer', min: 0, max: MAX_ID, required });
const threadId: Field = { type: 'integer', min: 1, max: MAX_ID, required: true };
const offset: Field = { type: 'integer', min: -REQUEST_LIMITS.memoryOffset, max: REQUEST_LIMITS.memoryOffset };
const expression = (required = true): Field => ({ type: 'string', required, maxLength: REQUEST_LIMITS.expressionLength });
const condition: Fields = { condition: expression(false), hitCondition: expression(false), logMessage: expression(false) };
const breakpoints = (items: Fields, required = true): Field => ({
  type: 'array',
  required,
  max: REQUEST_LIMITS.breakpointsPerRequest,
  limit: 'breakpoints per request',
  items,
});

/** The arguments each request's handler relies on; a request not listed takes any arguments. */
const CHECKS: Readonly<Record<string, Fields>> = {
  launch: {},
  restart: {},
  continue: { threadId },
  next: { threadId },
  stepIn: { threadId },
  stepOut: { threadId },
  stackTrace: {
    threadId,
    startFrame: { type: 'integer', min: 0, max: REQUEST_LIMITS.startFrame },
    levels: { type: 'integer', min: 0, max: MAX_ID },
  },
  scopes: { frameId: id() },
  variables: { variablesReference: id(), start: id(false), count: id(false) },
  setVariable: { variablesReference: id(), name: { type: 'string', required: true }, value: expression() },
  evaluate: { expression: expression(), frameId: id(false) },
  setExpression: { expression: expression(), value: expression(), frameId: id(false) },
  readMemory: {
    memoryReference: expression(),
    offset,
    count: { type: 'integer', min: 0, max: REQUEST_LIMITS.readMemoryBytes, required: true, limit: 'bytes per request' },
  },
  writeMemory: {
    memoryReference: expression(),
    offset,
    // Base64 takes 4 characters per 3 bytes: the decoded size is checked by the handler's limit below.
    data: { type: 'string', required: true, maxLength: Math.ceil(REQUEST_LIMITS.writeMemoryBytes / 3) * 4 },
    allowPartial: { type: 'boolean' },
  },
  disassemble: {
    memoryReference: expression(),
    offset,
    instructionOffset: {
      type: 'integer',
      min: -REQUEST_LIMITS.disassembleInstructions,
      max: REQUEST_LIMITS.disassembleInstructions,
      limit: 'instructions per request',
    },
    instructionCount: { type: 'integer', min: 0, max: REQUEST_LIMITS.disassembleInstructions, required: true, limit: 'instructions per request' },
  },
  setBreakpoints: {
    source: { type: 'object', required: true },
    // Lines are answered one by one (a bad line is an unverified breakpoint), so only the list's shape is checked.
    breakpoints: breakpoints({ ...condition }, false),
    lines: { type: 'array', max: REQUEST_LIMITS.breakpointsPerRequest, limit: 'breakpoints per request' },
  },
  setFunctionBreakpoints: { breakpoints: breakpoints({ name: expression(), ...condition }) },
  setInstructionBreakpoints: { breakpoints: breakpoints({ instructionReference: expression(), ...condition }) },
  setDataBreakpoints: {
    breakpoints: breakpoints({ dataId: { type: 'string', required: true, maxLength: 200 }, condition: expression(false), hitCondition: expression(false) }),
  },
  dataBreakpointInfo: { name: expression(), bytes: id(false), asAddress: { type: 'boolean' }, variablesReference: id(false), frameId: id(false) },
  setExceptionBreakpoints: {
    filters: { type: 'array', required: true, max: 256, strings: true },
    filterOptions: { type: 'array', max: 256, items: { filterId: { type: 'string', required: true, maxLength: 200 }, condition: expression(false) } },
  },
  exceptionInfo: { threadId },
};

function kind(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'not a finite number';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function checkField(name: string, field: Field, value: unknown): string | null {
  if (value === undefined) return 'required' in field && field.required ? `'${name}' is required` : null;
  switch (field.type) {
    case 'integer': {
      if (typeof value !== 'number' || !Number.isInteger(value)) return `'${name}' must be a whole number, not ${kind(value)}`;
      if (field.limit && (value > field.max || (field.min < 0 && value < field.min))) {
        return `'${name}' is ${value}; the limit is ${field.max} ${field.limit}${field.min < 0 ? ' either way' : ''}`;
      }
      if (value < field.min || value > field.max) return `'${name}' must be from ${field.min} to ${field.max}, not ${value}`;
      return null;
    }
    case 'string':
      if (typeof value !== 'string') return `'${name}' must be a string, not ${kind(value)}`;
      if (field.maxLength !== undefined && value.length > field.maxLength) {
        return `'${name}' is ${value.length} characters long; the limit is ${field.maxLength}`;
      }
      return null;
    case 'boolean':
      return typeof value === 'boolean' ? null : `'${name}' must be true or false, not ${kind(value)}`;
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value) ? null : `'${name}' must be an object, not ${kind(value)}`;
    case 'array': {
      if (!Array.isArray(value)) return `'${name}' must be a list, not ${kind(value)}`;
      if (value.length > field.max) return `'${name}' has ${value.length} entries; the limit is ${field.max}${field.limit ? ` ${field.limit}` : ''}`;
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        if (field.strings && typeof item !== 'string') return `'${name}[${i}]' must be a string, not ${kind(item)}`;
        if (field.items) {
          const problem = checkFields(field.items, item, `${name}[${i}]`);
          if (problem) return problem;
        }
      }
      return null;
    }
  }
}

function checkFields(fields: Fields, value: unknown, what: string): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return `'${what}' must be an object, not ${kind(value)}`;
  const record = value as Record<string, unknown>;
  for (const [name, field] of Object.entries(fields)) {
    const problem = checkField(what === 'arguments' ? name : `${what}.${name}`, field, record[name]);
    if (problem) return problem;
  }
  return null;
}

/**
 * Why a request's arguments cannot be served (`command: reason`), or null
 * when they are well-formed and within the limits.
 */
export function argumentsProblem(command: string, args: unknown): string | null {
  const fields = CHECKS[command];
  if (!fields) return null;
  const required = Object.entries(fields).filter(([, f]) => 'required' in f && f.required).map(([name]) => `'${name}'`);
  if (args === undefined || args === null) {
    return required.length === 0 ? null : `${command}: the arguments are missing (${required.join(', ')} ${required.length > 1 ? 'are' : 'is'} required)`;
  }
  const problem = checkFields(fields, args, 'arguments');
  return problem ? `${command}: ${problem}` : null;
}
