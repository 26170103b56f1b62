// Call stacks from call frame information: where the symbols carry CFI
// (.debug_frame or .eh_frame, as gcc and clang emit for C), each frame's
// caller is computed by the CFA rules of the FDE covering the frame's
// address, so the stack is right at every instruction of a function, its
// first one (before `push ebp`) and its epilogue included, at any
// optimisation level. Each frame keeps its registers (the ones the CFI
// recovers, callee-saved ones carried over), so C variables can be shown in
// any frame. A frame without CFI between C frames (an assembly routine with
// a frame pointer) is stepped over by its frame pointer; where neither the
// current instruction nor its caller has CFI, the conservative walker of
// frames.ts answers as before.
//
// 32-bit code for now: 64-bit registers reach the adapter with long mode
// (the CFI and DWARF code below is width-independent).

import { callEndingAt } from './disassembler';
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

/**
 * One step of the frame-pointer chain for a frame without CFI (an assembly
 * routine between C functions): the caller's PC, SP and frame pointer from
 * [fp + word] and [fp], taken only when the frame pointer is on the stack
 * above SP and the return address follows a near CALL. Other registers are
 * not known in the caller.
 */
function framePointerStep(rt: VmexitRuntime, regs: FrameRegisters, csBase: number, read: (a: number, n: number) => number | undefined): FrameRegisters | undefined {
  const set = registerSet(4);
  const fp = regs.get(set.fp);
  const sp = regs.get(set.sp);
  if (fp === undefined || sp === undefined || fp === 0 || fp < sp) return undefined;
  const ret = read(fp + 4, 4);
  const savedFp = read(fp, 4);
  if (ret === undefined || savedFp === undefined || ret === 0) return undefined;
  if (callEndingAt((l, n) => rt.readLinear(l, n), (csBase + ret) >>> 0, ret, 32) !== 'near') return undefined;
  return new Map([[set.pc, ret], [set.sp, fp + 8], [set.fp, savedFp]]);
}

/**
 * The stopped vCPU's frames (at most `limit`, each with its CFA where the
 * CFI gives one): by CFI where a frame's code has it, by one frame-pointer
 * step where it does not (an assembly routine called by C and calling C);
 * by frames.ts when the current instruction has no CFI and its caller none
 * either (assembly programs keep their interrupt and symbol heuristics).
 */
export function unwindFrames(rt: VmexitRuntime, symbols: SymbolService, limit = MAX_FRAMES): Frame[] {
  if (rt.codeBitness() !== 32) return walkFrames(rt);
  const pc = rt.pc();
  const program = symbols.programAt(pc);
  if (!program) return walkFrames(rt);
  const cs = rt.sregs().cs;
  const set = registerSet(4);
  const read = stackReader(rt);
  let regs = currentRegisters(rt);
  const hasCfi = (linear: number): boolean => symbols.programAt(linear)?.cfiRowAt(linear) !== undefined;
  if (!hasCfi(pc)) {
    const caller = framePointerStep(rt, regs, cs.base, read);
    const ret = caller?.get(set.pc);
    if (ret === undefined || !hasCfi((cs.base + ret - 1) >>> 0)) return walkFrames(rt);
  }
  const frames: Frame[] = [{ linear: pc, cs: cs.selector, offset: rt.regs().eip >>> 0, bitness: 32, registers: regs }];
  while (frames.length <= limit) {
    const frame = frames[frames.length - 1];
    // A caller's address is a return address: its call (and its CFA row) is the byte before.
    const lookup = frames.length === 1 ? frame.linear : frame.linear - 1;
    const row = symbols.programAt(lookup)?.cfiRowAt(lookup);
    let caller: FrameRegisters | undefined;
    if (row) {
      const step = unwindStep(row, regs, 4, read);
      if (step) frame.cfa = step.cfa;
      caller = step?.caller;
    } else caller = framePointerStep(rt, regs, cs.base, read);
    const ret = caller?.get(set.pc);
    const sp = regs.get(set.sp);
    const callerSp = caller?.get(set.sp);
    // The caller's stack pointer is above the callee's (no loop); a zero return address ends a chain.
    if (!caller || ret === undefined || ret === 0 || sp === undefined || callerSp === undefined || callerSp <= sp || frames.length >= limit) break;
    regs = caller;
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
