// Call frames of a stopped vCPU: the current instruction, then callers found
// by walking the BP/EBP chain, each kept only when the return address follows
// a CALL (so code without frame pointers does not invent callers). DAP-free.

import type { VmexitRuntime } from './runtime';

export interface Frame {
  /** Linear address of the frame's instruction. */
  linear: number;
  /** CS selector and offset to show (the caller's CS is assumed the same for near calls). */
  cs: number;
  offset: number;
  bitness: 16 | 32 | 64;
}

const MAX_FRAMES = 32;

function readUnsigned(runtime: VmexitRuntime, linear: number, size: 2 | 4): number | null {
  const bytes = runtime.readLinear(linear, size);
  if (bytes.some((b) => b === null)) return null;
  return (bytes as number[]).reduceRight((acc, b) => acc * 256 + b, 0);
}

/** True when the bytes before `ret` end in a CALL (E8 rel, or FF /2 with a short ModRM form). */
function followsCall(runtime: VmexitRuntime, ret: number, bitness: 16 | 32 | 64): boolean {
  const before = runtime.readLinear((ret - 7) >>> 0, 7);
  const at = (back: number): number | null => before[7 - back];
  if (at(bitness === 16 ? 3 : 5) === 0xe8) return true;
  for (let back = 2; back <= 7; back++) {
    if (at(back) === 0xff) {
      const modrm = at(back - 1);
      if (modrm !== null && ((modrm >> 3) & 7) === 2) return true;
    }
  }
  return false;
}

export function walkFrames(runtime: VmexitRuntime): Frame[] {
  const regs = runtime.regs();
  const sregs = runtime.sregs();
  const bitness = runtime.codeBitness();
  const frames: Frame[] = [{ linear: runtime.pc(), cs: sregs.cs.selector, offset: regs.eip >>> 0, bitness }];
  if (bitness === 64) return frames;
  const word: 2 | 4 = bitness === 16 ? 2 : 4;
  const mask = word === 2 ? 0xffff : 0xffffffff;
  let bp = regs.ebp & mask;
  const sp = regs.esp & mask;
  const ssBase = sregs.ss.base;
  const seen = new Set<number>();
  while (frames.length < MAX_FRAMES && bp !== 0 && bp >= sp && !seen.has(bp)) {
    seen.add(bp);
    const savedBp = readUnsigned(runtime, (ssBase + bp) >>> 0, word);
    const ret = readUnsigned(runtime, (ssBase + ((bp + word) & mask)) >>> 0, word);
    if (savedBp === null || ret === null) break;
    const linear = (sregs.cs.base + ret) >>> 0;
    if (!followsCall(runtime, linear, bitness)) break;
    frames.push({ linear, cs: sregs.cs.selector, offset: ret, bitness });
    if (savedBp <= bp) break;
    bp = savedBp;
  }
  return frames;
}
