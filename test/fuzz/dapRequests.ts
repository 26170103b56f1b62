// The DAP fuzzer's requests: random and hostile arguments for every request
// vmexit's debug adapter serves (and some it does not), drawn from a seeded
// generator so that a seed replays the same sequence. Values are chosen to
// hurt: counts of 0, -1, 2.5, 10^7 and 10^300, strings of the wrong type,
// expressions of random tokens, deep nesting and long chains near and past
// the limits, huge numbers, unicode and `{placeholders}`, references to
// frames, variables and threads that do not exist, breakpoints on lines
// that are not lines, and run control (continue, pause, steps) in any order.

/** A seeded 32-bit generator (mulberry32): the same seed gives the same stream. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  }

  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.next() * list.length)];
  }
}

/** What the fuzzer has learnt from the adapter's answers, to aim requests at things that exist. */
export interface FuzzState {
  /** The guest's source and listing symbols. */
  readonly sourcePath: string;
  readonly sourceLines: number;
  readonly symbols: readonly string[];
  variablesReferences: number[];
  frameIds: number[];
  dataIds: string[];
}

export interface FuzzRequest {
  readonly command: string;
  readonly args: unknown;
}

// ---- hostile values ------------------------------------------------------------------

const HUGE_NUMBERS = [2 ** 31, 2 ** 32, 2 ** 53, 1e300, -1e300, 10_000_000, -10_000_000, 1 << 20, (1 << 20) + 1, 10_001, -10_001];
const ODD_VALUES: readonly unknown[] = [null, true, false, '7', '', [], {}, [1, 2], { a: 1 }, 'x'];

/** A number argument as a client might send it: usually sensible, often not. */
function numberArg(rng: Rng, sensible: () => number): unknown {
  const r = rng.next();
  if (r < 0.55) return sensible();
  if (r < 0.65) return rng.pick([0, -1, -5, 1.5, 2.5, -0.5]);
  if (r < 0.8) return rng.pick(HUGE_NUMBERS);
  if (r < 0.9) return rng.int(-1000, 100_000);
  return rng.pick(ODD_VALUES);
}

/** Sometimes leave an argument out or make it the wrong type. */
function maybe(rng: Rng, value: () => unknown): unknown {
  const r = rng.next();
  if (r < 0.05) return undefined;
  if (r < 0.1) return rng.pick(ODD_VALUES);
  return value();
}

const REGISTERS = ['eax', 'ax', 'al', 'ah', 'ebx', 'bx', 'cx', 'dx', 'si', 'di', 'bp', 'sp', 'esp', 'eip', 'ip', 'flags', 'eflags', 'cs', 'ds', 'es', 'ss', 'fs', 'gs', 'cr0', 'cr3', 'dr7', 'gdtr.base', 'ds.limit', 'rax'];
const OPERATORS = ['+', '-', '*', '/', '//', '%', '%%', '<<', '>>', '>>>', '&', '|', '^', '&&', '||', '^^', '==', '!=', '<>', '<', '>', '<=', '>=', '=', '!', '~', ':', '(', ')', '[', ']'];
const NUMBERS = ['0', '1', '7C00h', '0x7c00', '$7c00', '0b1010', '17q', '1_000', "'A'", "'ab'", '0xFFFFFFFF', '0xFFFFFFFFFFFFFFFF', '0x10000000000000000', '99999999999999999999999', '0x', '9zz', '07C0', 'F000'];
const WORDS = ['byte', 'word', 'dword', 'qword', 'ptr', 'phys', 'lin', 'nosuch', '.loop', '$start', 'main.loop'];
const UNICODE = ['é', '日本', '😀', '\u202e', '\u0000', '\ud800', '\t', '\n', '"', "'", '\\', '{_x}', '{y}', '%s', '$', '#', ';', '@', '?', '`'];

function token(rng: Rng, symbols: readonly string[]): string {
  const r = rng.next();
  if (r < 0.25) return rng.pick(REGISTERS);
  if (r < 0.45) return rng.pick(NUMBERS);
  if (r < 0.75) return rng.pick(OPERATORS);
  if (r < 0.85) return rng.pick(WORDS);
  if (r < 0.93 && symbols.length > 0) return rng.pick(symbols);
  return rng.pick(UNICODE);
}

/** A well-formed expression of a few operands (most often evaluable). */
function wellFormed(rng: Rng, symbols: readonly string[], depth = 0): string {
  const leaf = (): string => (rng.chance(0.5) ? rng.pick(REGISTERS.slice(0, 20)) : rng.chance(0.5) && symbols.length ? rng.pick(symbols) : rng.pick(NUMBERS.slice(0, 11)));
  if (depth > 3 || rng.chance(0.3)) return leaf();
  const r = rng.next();
  if (r < 0.2) return `${rng.pick(['byte', 'word', 'dword'])} [${wellFormed(rng, symbols, depth + 1)}]`;
  if (r < 0.3) return `(${wellFormed(rng, symbols, depth + 1)})`;
  if (r < 0.4) return `${rng.pick(['ds', 'es', 'ss', '0', '07C0'])}:${wellFormed(rng, symbols, depth + 1)}`;
  if (r < 0.45) return `${rng.pick(['phys', 'lin'])}:${wellFormed(rng, symbols, depth + 1)}`;
  if (r < 0.5) return `${rng.pick(['-', '~', '!'])}${wellFormed(rng, symbols, depth + 1)}`;
  return `${wellFormed(rng, symbols, depth + 1)} ${rng.pick(OPERATORS.slice(0, 23))} ${wellFormed(rng, symbols, depth + 1)}`;
}

/** An expression: well-formed, random tokens, or built to hit a limit (nesting, chains, length). */
export function expression(rng: Rng, symbols: readonly string[]): string {
  const r = rng.next();
  if (r < 0.45) return wellFormed(rng, symbols);
  if (r < 0.75) return Array.from({ length: rng.int(1, 12) }, () => token(rng, symbols)).join(rng.chance(0.5) ? ' ' : '');
  const n = rng.pick([100, 255, 256, 257, 300, 2000, 5000]);
  if (r < 0.8) return '('.repeat(n) + '1' + ')'.repeat(n);
  if (r < 0.85) return '['.repeat(n) + 'eax' + ']'.repeat(n);
  if (r < 0.88) return '-'.repeat(n) + '1';
  if (r < 0.92) return Array(Math.min(n, 2047)).fill('1').join('+');
  if (r < 0.95) return `0x${'f'.repeat(rng.int(15, 40))}`;
  if (r < 0.98) return 'x'.repeat(rng.pick([4095, 4096, 4097, 100_000]));
  return '('.repeat(rng.int(1, 50_000));
}

/** A memory reference: an address expression, a seg:off pair, phys:/lin:, or junk. */
function memoryReference(rng: Rng, state: FuzzState): unknown {
  const r = rng.next();
  if (r < 0.3) return rng.pick(['0x7c00', '0x00007C00', '0', '0xFFFFFFFF', '0xFFFFFFF0', 'phys:0x7c00', 'phys:0xFFFFFFFF', 'lin:0xb8000', '07C0:0000', 'FFFF:FFFF', 'F000:FFF0', 'cs:ip', 'ss:sp', 'ds:si']);
  if (r < 0.7) return expression(rng, state.symbols);
  if (r < 0.8 && state.symbols.length) return rng.pick(state.symbols);
  return rng.pick([...ODD_VALUES, '', '  ', 'phys:', ':']);
}

function threadId(rng: Rng): unknown {
  return numberArg(rng, () => (rng.chance(0.8) ? 1 : rng.int(0, 70)));
}

function frameId(rng: Rng, state: FuzzState): unknown {
  return numberArg(rng, () => (state.frameIds.length && rng.chance(0.7) ? rng.pick(state.frameIds) : rng.pick([0, 1, 65535, 65536, 65537, 2 ** 22])));
}

function variablesReference(rng: Rng, state: FuzzState): unknown {
  return numberArg(rng, () => (state.variablesReferences.length && rng.chance(0.8) ? rng.pick(state.variablesReferences) : rng.int(0, 5000)));
}

function condition(rng: Rng, state: FuzzState): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (rng.chance(0.3)) out.condition = rng.chance(0.8) ? expression(rng, state.symbols) : rng.pick(ODD_VALUES);
  if (rng.chance(0.2)) out.hitCondition = rng.pick(['1', '3', '% 2', '>= 5', '== 2', '0', '-1', 'x', '', '%', '>=', '99999999999999999999', '1.5']);
  if (rng.chance(0.2)) out.logMessage = rng.chance(0.7) ? `hit {${expression(rng, state.symbols)}} {ax}` : rng.pick(['{', '}', '{}', '{{}}', 'plain', '{_x}']);
  return out;
}

function line(rng: Rng, state: FuzzState): unknown {
  return numberArg(rng, () => rng.int(1, state.sourceLines + 3));
}

function base64(rng: Rng): unknown {
  const r = rng.next();
  if (r < 0.7) return Buffer.from(Array.from({ length: rng.int(0, 16) }, () => rng.int(0, 255))).toString('base64');
  if (r < 0.8) return rng.pick(['!!!', '====', 'A', 'AB=', 'é', '']);
  if (r < 0.9) return Buffer.alloc(rng.pick([4096, (1 << 20) + 1])).toString('base64');
  return rng.pick(ODD_VALUES);
}

const EXCEPTION_FILTERS = ['exception-0', 'exception-6', 'exception-13', 'exception-14', 'software-interrupt', 'io', 'mode-change', 'magic', 'triple-fault'];

// ---- requests -------------------------------------------------------------------

type Generator = (rng: Rng, state: FuzzState) => FuzzRequest | FuzzRequest[];

/** Each request kind with its weight (how often it is drawn). */
const GENERATORS: readonly (readonly [number, Generator])[] = [
  [6, () => ({ command: 'threads', args: undefined })],
  [8, (rng) => ({ command: 'stackTrace', args: { threadId: threadId(rng), startFrame: rng.chance(0.3) ? numberArg(rng, () => rng.int(0, 5)) : undefined, levels: rng.chance(0.5) ? numberArg(rng, () => rng.int(0, 40)) : undefined } })],
  [6, (rng, s) => ({ command: 'scopes', args: { frameId: frameId(rng, s) } })],
  [10, (rng, s) => ({ command: 'variables', args: { variablesReference: variablesReference(rng, s), start: rng.chance(0.3) ? numberArg(rng, () => rng.int(0, 10)) : undefined, count: rng.chance(0.3) ? numberArg(rng, () => rng.int(0, 10)) : undefined } })],
  [16, (rng, s) => ({ command: 'evaluate', args: { expression: maybe(rng, () => expression(rng, s.symbols)), frameId: rng.chance(0.7) ? frameId(rng, s) : undefined, context: rng.pick(['repl', 'watch', 'hover', 'clipboard', undefined, 'nonsense']) } })],
  [3, (rng, s) => ({ command: 'setExpression', args: { expression: maybe(rng, () => (rng.chance(0.5) ? rng.pick(['ax', 'bl', 'word [0x500]', 'cr0', 'ds.limit', 'dword [phys:0x600]']) : expression(rng, s.symbols))), value: maybe(rng, () => expression(rng, s.symbols)), frameId: frameId(rng, s) } })],
  [3, (rng, s) => ({ command: 'setVariable', args: { variablesReference: variablesReference(rng, s), name: maybe(rng, () => rng.pick(['ax', 'eax', 'CF', 'cr3', 'Mode', 'nosuch', 'bx'])), value: maybe(rng, () => expression(rng, s.symbols)) } })],
  [8, (rng, s) => ({ command: 'readMemory', args: { memoryReference: memoryReference(rng, s), offset: rng.chance(0.4) ? numberArg(rng, () => rng.int(-64, 64)) : undefined, count: numberArg(rng, () => rng.int(0, 512)) } })],
  // Writes go mostly to a scratch page (a guest overwritten at random soon stops running).
  [3, (rng, s) => ({ command: 'writeMemory', args: { memoryReference: rng.chance(0.8) ? rng.pick(['0x10000', 'phys:0x10100', '1000:0200']) : memoryReference(rng, s), offset: rng.chance(0.3) ? numberArg(rng, () => rng.int(0, 64)) : undefined, data: base64(rng), allowPartial: rng.chance(0.2) ? rng.pick([true, false, 'yes']) : undefined } })],
  [8, (rng, s) => ({ command: 'disassemble', args: { memoryReference: memoryReference(rng, s), offset: rng.chance(0.3) ? numberArg(rng, () => rng.int(-16, 16)) : undefined, instructionOffset: rng.chance(0.5) ? numberArg(rng, () => rng.int(-60, 10)) : undefined, instructionCount: numberArg(rng, () => rng.int(0, 100)), resolveSymbols: rng.chance(0.5) } })],
  [6, (rng, s) => {
    const source = rng.chance(0.8) ? { path: s.sourcePath } : rng.pick<unknown>([{ path: '' }, { path: '', name: 'x.asm' }, { name: 'boot.asm' }, { path: '/nowhere/other.asm' }, { path: '\u0000' }, null, 'boot.asm', {}]);
    const breakpoints = Array.from({ length: rng.int(0, 6) }, () => ({ line: line(rng, s), column: rng.chance(0.2) ? numberArg(rng, () => rng.int(1, 40)) : undefined, ...condition(rng, s) }));
    return { command: 'setBreakpoints', args: rng.chance(0.1) ? { source, lines: Array.from({ length: rng.int(0, 4) }, () => line(rng, s)) } : { source, breakpoints: maybe(rng, () => breakpoints) } };
  }],
  [3, (rng, s) => ({ command: 'setFunctionBreakpoints', args: { breakpoints: maybe(rng, () => Array.from({ length: rng.int(0, 4) }, () => ({ name: maybe(rng, () => (rng.chance(0.5) && s.symbols.length ? rng.pick(s.symbols) : expression(rng, s.symbols))), ...condition(rng, s) }))) } })],
  [3, (rng, s) => ({ command: 'setInstructionBreakpoints', args: { breakpoints: maybe(rng, () => Array.from({ length: rng.int(0, 4) }, () => ({ instructionReference: memoryReference(rng, s), offset: rng.chance(0.4) ? numberArg(rng, () => rng.int(-8, 8)) : undefined, ...condition(rng, s) }))) } })],
  [4, (rng, s) => ({ command: 'dataBreakpointInfo', args: { name: maybe(rng, () => (rng.chance(0.5) ? rng.pick(['word [0x500]', 'byte [phys:0x600]', 'dword [ss:sp]', '[0xFFFFFFFF]', 'ax']) : expression(rng, s.symbols))), asAddress: rng.chance(0.3) ? rng.pick([true, false, 1]) : undefined, bytes: rng.chance(0.3) ? numberArg(rng, () => rng.int(1, 8)) : undefined, variablesReference: rng.chance(0.2) ? variablesReference(rng, s) : undefined } })],
  [3, (rng, s) => ({ command: 'setDataBreakpoints', args: { breakpoints: maybe(rng, () => Array.from({ length: rng.int(0, 3) }, () => ({ dataId: maybe(rng, () => (s.dataIds.length && rng.chance(0.6) ? rng.pick(s.dataIds) : rng.pick(['linear:1280:2', 'physical:1536:1', 'linear:4294967295:4', 'linear:0:5000', 'linear:99999999999999999999:1', 'bogus', '']))), accessType: rng.chance(0.5) ? rng.pick(['read', 'write', 'readWrite', 'sideways', 3]) : undefined, ...condition(rng, s) }))) } })],
  [3, (rng) => ({ command: 'setExceptionBreakpoints', args: { filters: maybe(rng, () => Array.from({ length: rng.int(0, 3) }, () => (rng.chance(0.85) ? rng.pick(EXCEPTION_FILTERS) : rng.pick<unknown>(['nonsense', 3, null])))), filterOptions: rng.chance(0.3) ? [{ filterId: rng.pick(['software-interrupt', 'io', 'exception-13', 'nosuch']), condition: rng.pick(['10h', '0x20-0x2f', '0-255', '0-0xffff', '300', 'x', '5-1', '', '0x10000']) }] : undefined } })],
  [6, (rng) => ({ command: 'continue', args: { threadId: threadId(rng) } })],
  [6, (rng) => ({ command: 'pause', args: { threadId: threadId(rng) } })],
  [5, (rng) => ({ command: rng.pick(['next', 'stepIn', 'stepOut']), args: { threadId: threadId(rng), granularity: rng.pick(['instruction', 'line', 'statement', undefined, 'nonsense']) } })],
  // Pause/continue storms: several run-control requests sent at once, none waiting for the last.
  [3, (rng) => Array.from({ length: rng.int(2, 8) }, () => ({ command: rng.pick(['continue', 'pause', 'next', 'stepIn', 'threads', 'stackTrace']), args: { threadId: 1 } }))],
  [2, (rng) => ({ command: 'exceptionInfo', args: { threadId: threadId(rng) } })],
  [1, (rng) => ({ command: 'restart', args: rng.pick([undefined, {}, null]) })],
  [2, (rng, s) => ({ command: rng.pick(['vmexit.screen', 'vmexit.framebuffer', 'vmexit.setStepInterrupts', 'vmexit.input', 'vmexit.keys', 'vmexit.nosuch']), args: rng.pick<unknown>([undefined, {}, { enabled: rng.pick([true, 'yes']) }, { text: rng.pick(['a', '', '😀', 5]), target: rng.pick(['serial', 'keyboard', 'mouse']) }, { events: rng.pick([[{ code: 'KeyA', down: true }], [{ code: 'Nope', down: 1 }], 'x', []]) }, [1], expression(rng, s.symbols)]) })],
  [2, (rng) => ({ command: rng.pick(['source', 'loadedSources', 'completions', 'gotoTargets', 'stepInTargets', 'breakpointLocations', 'cancel', 'goto', 'stepBack', 'terminateThreads', 'modules', 'setBreakpoint', '', 'constructor', '__proto__', 'toString']), args: rng.pick<unknown>([undefined, {}, { threadId: 1 }, null]) })],
];

const TOTAL_WEIGHT = GENERATORS.reduce((sum, [w]) => sum + w, 0);

/** One draw: a request, or a burst of requests to send at once. */
export function randomRequests(rng: Rng, state: FuzzState): FuzzRequest[] {
  let r = rng.next() * TOTAL_WEIGHT;
  for (const [weight, make] of GENERATORS) {
    r -= weight;
    if (r < 0) {
      const made = make(rng, state);
      return Array.isArray(made) ? made : [made];
    }
  }
  return [{ command: 'threads', args: undefined }];
}

/** Requests a client should not send before launch or after terminate, but might. */
export function outOfOrderRequests(rng: Rng, state: FuzzState, n: number): FuzzRequest[] {
  const out: FuzzRequest[] = [];
  while (out.length < n) out.push(...randomRequests(rng, state));
  return out.slice(0, n);
}
