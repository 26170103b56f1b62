// Why the guest stopped, in words: the stop report the runtime hands the
// adapter (DAP's stopped event fields, without DAP types), and the names of
// CPU exception vectors.

import type { DebugCause } from '../vmm/debug';

export interface StopReport {
  /** DAP stopped reason: 'entry', 'step', 'breakpoint', 'pause', 'exception', 'data breakpoint', 'halted' … */
  reason: string;
  /** Short text shown in the UI. */
  description: string;
  /** Longer text (the exception widget). */
  text?: string;
  hitBreakpointIds?: number[];
  /** The vCPU that stopped (hit the breakpoint, faulted, stepped, or ran when paused); the runtime fills it in. */
  vcpu?: number;
  /** For exception-like stops (CPU exceptions, triple fault, intercepts): what the exceptionInfo request answers. */
  exception?: ExceptionReport;
}

export interface ExceptionReport {
  /** Short id: '#GP', 'triple fault', 'INT 10h', 'I/O', 'mode change' … */
  id: string;
  /** One line, with the error code decoded. */
  description: string;
  /** 'always': a filter the user armed stopped here; 'unhandled': the guest could not handle it (triple fault, internal error). */
  breakMode: 'always' | 'unhandled';
  /** Longer text for the exception widget. */
  details?: string;
}

/** Exception mnemonics by vector (SDM vol. 3 table 6-1). */
export const EXCEPTION_NAMES: Readonly<Record<number, string>> = {
  0: '#DE', 1: '#DB', 2: 'NMI', 3: '#BP', 4: '#OF', 5: '#BR', 6: '#UD', 7: '#NM', 8: '#DF', 9: 'CSO',
  10: '#TS', 11: '#NP', 12: '#SS', 13: '#GP', 14: '#PF', 16: '#MF', 17: '#AC', 18: '#MC', 19: '#XM',
  20: '#VE', 21: '#CP',
};

export const EXCEPTION_TITLES: Readonly<Record<number, string>> = {
  0: 'divide error', 1: 'debug', 2: 'non-maskable interrupt', 3: 'breakpoint', 4: 'overflow', 5: 'BOUND range exceeded',
  6: 'invalid opcode', 7: 'device not available', 8: 'double fault', 9: 'coprocessor segment overrun', 10: 'invalid TSS',
  11: 'segment not present', 12: 'stack-segment fault', 13: 'general protection', 14: 'page fault', 16: 'x87 floating-point error',
  17: 'alignment check', 18: 'machine check', 19: 'SIMD floating-point', 20: 'virtualization', 21: 'control protection',
};

export function vectorName(vector: number): string {
  return EXCEPTION_NAMES[vector] ?? `vector ${vector}`;
}

/** Vectors whose error code names a selector (or an IDT vector): #TS, #NP, #SS, #GP. */
const SELECTOR_ERROR_CODES = new Set([10, 11, 12, 13]);
/** Vectors that push an error code. */
export const ERROR_CODE_VECTORS = new Set([8, 10, 11, 12, 13, 14, 17, 21]);

/** What an exception's error code says, in words. */
export function decodeErrorCode(vector: number, code: number): string {
  const raw = `error code 0x${hex(code)}`;
  if (SELECTOR_ERROR_CODES.has(vector)) {
    if (code === 0) return `${raw}: no selector (the fault is not about a descriptor)`;
    const ext = code & 1 ? ', EXT (during delivery of an external event)' : '';
    if (code & 2) return `${raw}: IDT vector 0x${hex(code >>> 3, 2)} (${vectorName(code >>> 3)})${ext}`;
    const index = (code >>> 3) & 0x1fff;
    return `${raw}: selector 0x${hex(code & 0xfffc)}, index ${index}, ${code & 4 ? 'LDT' : 'GDT'} (TI=${(code >>> 2) & 1})${ext}`;
  }
  if (vector === 14) {
    const parts = [
      code & 1 ? 'protection violation' : 'page not present',
      code & 2 ? 'write' : 'read',
      code & 4 ? 'user mode' : 'supervisor mode',
    ];
    if (code & 8) parts.push('reserved bit set');
    if (code & 16) parts.push('instruction fetch');
    if (code & 32) parts.push('protection key');
    if (code & 64) parts.push('shadow stack');
    return `${raw}: ${parts.join(', ')}`;
  }
  return raw;
}

function hex(v: number, digits = 4): string {
  return (v >>> 0).toString(16).toUpperCase().padStart(digits, '0');
}

const MODE_NAMES: Readonly<Record<string, string>> = {
  real: 'real mode',
  'big-real': 'big real mode',
  protected16: '16-bit protected mode',
  protected32: '32-bit protected mode',
  vm86: 'virtual-8086 mode',
  long: 'long mode',
};

export function modeName(mode: string): string {
  return MODE_NAMES[mode] ?? mode;
}

/**
 * The guest halted for good: with interrupts disabled, or with them enabled
 * while every interrupt source is masked (`why` names the masks).
 */
export function haltedReport(where: string, why: string | null): StopReport {
  if (why === null) return { reason: 'halted', description: `Halted with interrupts disabled at ${where}`, text: 'CLI; HLT: nothing can wake the CPU' };
  return {
    reason: 'halted',
    description: `The guest halted and nothing can wake it: ${why}`,
    text: `HLT at ${where} with interrupts enabled, but no interrupt can arrive: ${why}. Continuing would wait forever; restart, or change the masks and continue.`,
  };
}

/** A debug exit's cause, as a stop (everything but breakpoints and single steps, which the runtime judges). */
export function describeCause(cause: DebugCause): StopReport {
  switch (cause.kind) {
    case 'single-step':
      return { reason: 'step', description: 'Step' };
    case 'breakpoint':
      return { reason: 'breakpoint', description: 'Breakpoint' };
    case 'watchpoint': {
      const size = Math.max(1, Math.min(cause.size, 4)) * 2;
      const values = cause.access === 'write' ? `0x${hex(cause.oldValue, size)} → 0x${hex(cause.newValue, size)}` : `read 0x${hex(cause.newValue, size)}`;
      return {
        reason: 'data breakpoint',
        description: `Data breakpoint: ${cause.access} of ${cause.size} byte${cause.size === 1 ? '' : 's'} at 0x${hex(cause.address, 5)}`,
        text: `${cause.access} at 0x${hex(cause.address, 5)} (${values}) by the instruction at ${hex(cause.cs)}:${hex(cause.eip)} (linear 0x${hex(cause.linear, 5)})`,
      };
    }
    case 'exception': {
      const title = EXCEPTION_TITLES[cause.vector] ?? 'exception';
      const hasCode = ERROR_CODE_VECTORS.has(cause.vector);
      const text = `CPU exception ${cause.vector} ${vectorName(cause.vector)} (${title}) raised by the instruction shown; it is delivered to the guest when it resumes.`;
      return {
        reason: 'exception',
        description: `${vectorName(cause.vector)} ${title}${hasCode ? ` (error code 0x${hex(cause.errorCode)})` : ''}`,
        text,
        exception: {
          id: vectorName(cause.vector),
          description: `${vectorName(cause.vector)} ${title}${hasCode ? `, ${decodeErrorCode(cause.vector, cause.errorCode)}` : ''}`,
          breakMode: 'always',
          details: text,
        },
      };
    }
    case 'software-interrupt': {
      const text = `Software interrupt INT ${hex(cause.vector, 2)}h about to run`;
      return {
        reason: 'exception',
        description: `INT ${hex(cause.vector, 2)}h`,
        text,
        exception: { id: `INT ${hex(cause.vector, 2)}h`, description: text, breakMode: 'always' },
      };
    }
    case 'io': {
      const text = `${cause.direction === 'in' ? 'IN' : 'OUT'} ${cause.size * 8}-bit port 0x${hex(cause.port)} value 0x${hex(cause.value, cause.size * 2)}`;
      return {
        reason: 'exception',
        description: `I/O ${cause.direction.toUpperCase()} port 0x${hex(cause.port)}`,
        text,
        exception: { id: 'I/O', description: text, breakMode: 'always' },
      };
    }
    case 'mode-change': {
      const paging = cause.paging ? `paging ${cause.paging}` : '';
      const modes = cause.from !== cause.to ? `${modeName(cause.from)} → ${modeName(cause.to)}` : '';
      const text = `Mode change: ${[modes, paging].filter((t) => t !== '').join(', ')}${cause.from === cause.to ? ` (${modeName(cause.to)})` : ''}`;
      return { reason: 'exception', description: text, exception: { id: 'mode change', description: text, breakMode: 'always' } };
    }
    case 'magic-breakpoint':
      return { reason: 'breakpoint', description: 'Magic breakpoint (xchg bx, bx)' };
  }
}
