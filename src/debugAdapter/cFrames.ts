// Call stacks from call frame information: where the symbols carry CFI
// (.debug_frame or .eh_frame, as gcc and clang emit for C), each frame's
// caller is computed by the CFA rules of the FDE covering the frame's
// address, so the stack is right at every instruction of a function, its
// first one (before `push ebp`) and its epilogue included, at any
// optimisation level. Each frame keeps its registers (the ones the CFI
// recovers, callee-saved ones carried over), so C variables can be shown in
// any frame. Where the current instruction has no CFI, the conservative
// walker of frames.ts answers as before; a caller without CFI (an assembly
// entry stub) ends the chain.
//
// 32-bit code for now: 64-bit registers reach the adapter with long mode
// (the CFI and DWARF code below is width-independent).

import { returnsHere, walkFrames, type Frame } from './frames';
import { DW_AT } from './symbols/dwarfInfo';
import type { VmexitRuntime } from './runtime';
import type { SymbolService } from './symbolService';
import { unwindStep, type FrameRegisters } from './symbols/cfi';
import { registerSet } from './symbols/dwarfRegisters';

const MAX_FRAMES = 64;

/** The i386 registers of the stopped vCPU by DWARF number (psABI numbering). */
function currentRegisters(rt: VmexitRuntime): FrameRegisters {
  const r = rt.regs();
  return new Map([r.eax, r.ecx, r.edx, r.ebx, r.esp, r.ebp, r.esi, r.edi, r.eip].map((v, i) => [i, v >>> 0]));
}

/** Little-endian guest memory at a stack address (SS-relative), or undefined when unreadable. */
export function stackReader(rt: VmexitRuntime): (address: number, size: number) => number | undefined {
  const base = rt.sregs().ss.base;
  return (address, size) => {
    const bytes = rt.readLinear((base + address) >>> 0, size);
    if (bytes.some((b) => b === null)) return undefined;
    return (bytes as number[]).reduceRight((acc, b) => acc * 256 + b, 0);
  };
}

/** The stopped vCPU's frames (at most `limit`, each with its CFA): by CFI where the current instruction has it, else by frames.ts. */
export function unwindFrames(rt: VmexitRuntime, symbols: SymbolService, limit = MAX_FRAMES): Frame[] {
  if (rt.codeBitness() !== 32) return walkFrames(rt);
  const pc = rt.pc();
  const program = symbols.programAt(pc);
  if (!program || !program.cfiRowAt(pc)) return walkFrames(rt);
  const cs = rt.sregs().cs;
  const set = registerSet(4);
  const read = stackReader(rt);
  let regs = currentRegisters(rt);
  const frames: Frame[] = [{ linear: pc, cs: cs.selector, offset: rt.regs().eip >>> 0, bitness: 32, registers: regs }];
  while (frames.length <= limit) {
    const frame = frames[frames.length - 1];
    // A caller's address is a return address: its call (and its CFA row) is the byte before.
    const lookup = frames.length === 1 ? frame.linear : frame.linear - 1;
    const here = symbols.programAt(lookup);
    const row = here?.cfiRowAt(lookup);
    if (!row) break;
    const step = unwindStep(row, regs, 4, read);
    if (!step) break;
    frame.cfa = step.cfa;
    const ret = step.caller.get(set.pc);
    const sp = regs.get(set.sp);
    // The caller's stack pointer is above the callee's (no loop); a zero return address ends a chain.
    if (ret === undefined || ret === 0 || sp === undefined || step.cfa <= sp || frames.length >= limit) break;
    regs = step.caller;
    frames.push({ linear: (cs.base + ret) >>> 0, cs: cs.selector, offset: ret >>> 0, bitness: 32, via: 'call', registers: regs });
  }
  return frames;
}

/**
 * Each frame whose address is in code inlined into its function, as one
 * frame per inlined subroutine (innermost first, on the address's line),
 * then the function's (on the line of the outermost inlined call), as
 * debuggers show inlined calls. Frames without inlined code stay as they are.
 */
export function expandInlined(frames: Frame[], symbols: SymbolService): Frame[] {
  const out: Frame[] = [];
  for (const frame of frames) {
    const at = returnsHere(frame) ? frame.linear - 1 : frame.linear;
    const program = symbols.programAt(at);
    const info = program?.hasInfo ? program.info : undefined;
    const pc = at - (program?.bias ?? 0);
    const fn = info?.functionAt(pc);
    const chain = fn && info ? info.inlinedAt(fn, pc) : [];
    if (!program || !info || !fn || chain.length === 0) {
      out.push(frame);
      continue;
    }
    const scopes = [...chain, fn];
    scopes.forEach((scope, k) => {
      const inlinedCall = k > 0 ? chain[k - 1] : undefined;
      const line = inlinedCall ? info.number(inlinedCall, DW_AT.callLine) : undefined;
      const file = inlinedCall ? info.number(inlinedCall, DW_AT.callFile) : undefined;
      const call = line !== undefined ? { line, ...(file !== undefined ? { path: program.fileName(inlinedCall!.unit, file) } : {}) } : undefined;
      out.push({ ...frame, inline: { scope: scope.offset, name: info.name(scope) ?? '?', inlined: scope !== fn, ...(call ? { call } : {}) } });
    });
  }
  return out;
}
