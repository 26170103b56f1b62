// Call frames of a stopped vCPU: the current instruction, then the frames
// the stack can prove. DAP-free. Conservative by design (no frame rather
// than a wrong one):
//
// - The BP/EBP chain: at each saved BP, the return address above it is taken
//   as a near return (IP, same CS) when the bytes before CS:IP decode as a
//   near CALL ending exactly there (E8, FF /2); else as a far return (IP, CS)
//   when the bytes before that CS:IP decode as a far CALL (9A, FF /3); else
//   as an interrupt return (IP, CS, FLAGS) under the interrupt rule below.
//   The chain ends at the first saved BP that proves none of these.
// - Interrupt frames (INT n): a triple IP, CS, FLAGS whose CS:IP follows an
//   `INT n` (CD n), whose FLAGS look like pushed flags (bit 1 set, bits 3, 5
//   and 15 clear), and whose vector n in the IVT (real mode) or the IDT
//   (protected mode, a 16- or 32-bit interrupt/trap gate) points into the
//   code segment the handler runs in. When the BP chain proves no caller, the
//   top of the stack (64 words) is searched for such a frame, so a handler
//   without a frame pointer (a BIOS service just entered) still shows the
//   code it interrupted; the BP chain then goes on in that code.
// - Hardware interrupt frames: the same triple, wherever CS:IP points, when
//   an IRQ is in service at the PIC (its ISR bit set, not yet acknowledged
//   with an EOI) and its vector leads into the handler's code segment; the
//   frame is named after the IRQ. After the handler's EOI (its tail: pops
//   and IRET) the IRQ is no longer in service; the triple is then taken
//   when its FLAGS have IF set (a hardware interrupt is only taken so), its
//   CS:IP is code the symbols cover, and some IRQ's vector leads into the
//   handler's segment; the frame is named 'via interrupt'.
// - Return addresses the symbols explain: when neither proves a caller (a
//   routine without a frame pointer, as most boot code is), the top of the
//   stack (RETURN_SCAN_WORDS) is searched for near return addresses into
//   code the symbols cover (a source line) that follow a near CALL; a direct
//   CALL (E8) must also lead to at most 4 KiB before the code that was
//   called, so code bytes or data above the stack are not taken for frames.
// - Far calls and interrupts between code of different sizes (16-bit code
//   calling a 32-bit code segment): the caller's size comes from its code
//   segment's descriptor, and a far return address is read at that size.
// - 64-bit code: the current frame only, for now.

import { describeDevices } from '../vmm/inspect';
import { callEndingAt } from './disassembler';
import type { VmexitRuntime } from './runtime';

export interface Frame {
  /** Linear address of the frame's instruction. */
  linear: number;
  /** CS selector and offset to show. */
  cs: number;
  offset: number;
  bitness: 16 | 32 | 64;
  /** How the frame was reached from the one above it (undefined for the current instruction). */
  via?: 'call' | 'far call' | 'interrupt' | `INT ${string}` | `IRQ ${number}`;
  /** The frame's registers by DWARF number, when call frame information unwound it (see cFrames.ts). */
  registers?: ReadonlyMap<number, number>;
  /** The frame's canonical frame address (its caller's stack pointer before the call), from the CFI. */
  cfa?: number;
  /**
   * A frame of code inlined into a function (and that function's own frame
   * around it), sharing the machine frame: the DWARF scope it shows (an
   * inlined subroutine or the function), its name, and, for all but the
   * innermost, the source place of the inlined call.
   */
  inline?: { scope: number; name: string; inlined: boolean; call?: { path?: string; line: number } };
}

/** Whether a frame's code address is a return address (the call before it is the frame's place: look up address - 1). */
export function returnsHere(frame: Frame): boolean {
  return frame.via === 'call' || frame.via === 'far call' || (frame.via?.startsWith('INT ') ?? false);
}

const MAX_FRAMES = 32;
/** Words of stack searched for an interrupt frame when the BP chain proves nothing. */
const INTERRUPT_SCAN_WORDS = 64;
/** Words of stack searched for return addresses the symbols explain. */
const RETURN_SCAN_WORDS = 32;
/** A direct CALL's target is at most this far before the code it called (the callee's frame). */
const MAX_CALLEE_SPAN = 4096;

/** The code context a frame runs in. */
interface CodeContext {
  cs: number;
  base: number;
  bitness: 16 | 32;
}

class FrameWalker {
  private readonly word: 2 | 4;
  private readonly mask: number;
  private readonly ssBase: number;
  private readonly realLike: boolean;
  readonly frames: Frame[];

  constructor(private readonly rt: VmexitRuntime) {
    const regs = rt.regs();
    const sregs = rt.sregs();
    const bitness = rt.codeBitness();
    this.frames = [{ linear: rt.pc(), cs: sregs.cs.selector, offset: regs.eip >>> 0, bitness }];
    this.word = sregs.ss.attributes & (1 << 14) ? 4 : 2;
    this.mask = this.word === 2 ? 0xffff : 0xffffffff;
    this.ssBase = sregs.ss.base;
    this.realLike = rt.realAddressing();
  }

  private read(offset: number, size: 2 | 4): number | null {
    const bytes = this.rt.readLinear((this.ssBase + (offset & this.mask)) >>> 0, size);
    if (bytes.some((b) => b === null)) return null;
    return (bytes as number[]).reduceRight((acc, b) => acc * 256 + b, 0);
  }

  private segmentBase(selector: number): number | undefined {
    return this.realLike ? selector * 16 : this.rt.descriptorBase(selector);
  }

  private push(ctx: CodeContext, offset: number, via: Frame['via']): void {
    this.frames.push({ linear: (ctx.base + offset) >>> 0, cs: ctx.cs, offset, bitness: ctx.bitness, via });
  }

  /**
   * The code size of the code segment `cs` names: 16 in real mode; in
   * protected mode its descriptor's (`fallback` when it cannot be read);
   * undefined for 64-bit code, which this walker does not follow.
   */
  private codeSize(cs: number, fallback: 16 | 32): 16 | 32 | undefined {
    if (this.realLike) return 16;
    const bits = this.rt.descriptorBitness(cs) ?? fallback;
    return bits === 64 ? undefined : bits;
  }

  /** A return address at stack offset `at` (near, then far): the caller's context, or null. */
  private callReturn(at: number, ctx: CodeContext): CodeContext | null {
    const size: 2 | 4 = ctx.bitness === 16 ? 2 : 4;
    const ip = this.read(at, size);
    if (ip === null) return null;
    if (callEndingAt((l, n) => this.rt.readLinear(l, n), (ctx.base + ip) >>> 0, ip, ctx.bitness) === 'near') {
      this.push(ctx, ip, 'call');
      return ctx;
    }
    // A far CALL pushed CS:IP at its own operand size, which is the caller's code size (no 66h
    // prefix assumed): a 16-bit caller of 32-bit code left 2-byte IP and CS. Same size first.
    for (const farSize of this.realLike ? ([2] as const) : size === 4 ? ([4, 2] as const) : ([2, 4] as const)) {
      const farIp = this.read(at, farSize);
      const cs = this.read(at + farSize, 2);
      if (farIp === null || cs === null) continue;
      const base = this.segmentBase(cs);
      const bitness = this.codeSize(cs, ctx.bitness);
      if (base === undefined || bitness === undefined || (!this.realLike && bitness !== farSize * 8)) continue;
      const caller: CodeContext = { cs, base, bitness };
      if (callEndingAt((l, n) => this.rt.readLinear(l, n), (base + farIp) >>> 0, farIp, bitness) === 'far') {
        this.push(caller, farIp, 'far call');
        return caller;
      }
    }
    return null;
  }

  /** The handler segment and frame size vector `n` delivers to, or undefined. */
  private vectorTarget(n: number): { cs: number; size: 2 | 4 } | undefined {
    const idtr = this.rt.sregs().idtr;
    if (this.realLike) {
      if (n * 4 + 3 > idtr.limit) return undefined;
      const b = this.rt.readLinear((idtr.base + n * 4) >>> 0, 4);
      if (b.some((x) => x === null)) return undefined;
      return { cs: (b[2] as number) | ((b[3] as number) << 8), size: 2 };
    }
    if (n * 8 + 7 > idtr.limit) return undefined;
    const b = this.rt.readLinear((idtr.base + n * 8) >>> 0, 8);
    if (b.some((x) => x === null)) return undefined;
    const type = (b[5] as number) & 0x1f;
    if (!((b[5] as number) & 0x80)) return undefined;
    const size = type === 0x06 || type === 0x07 ? 2 : type === 0x0e || type === 0x0f ? 4 : 0;
    if (size === 0) return undefined;
    return { cs: (b[2] as number) | ((b[3] as number) << 8), size };
  }

  /** IRQs at the PIC pair (highest priority first) with their vectors: those in service, or all of them. */
  private irqs(inServiceOnly: boolean): { irq: number; vector: number }[] {
    const { master, slave } = describeDevices(this.rt.machine).pic;
    const masterIsr = inServiceOnly ? master.isr : 0xff;
    const slaveIsr = inServiceOnly ? slave.isr : 0xff;
    const out: { irq: number; vector: number }[] = [];
    for (let i = 0; i < 8; i++) {
      if (i === 2 && slaveIsr) {
        for (let j = 0; j < 8; j++) if (slaveIsr & (1 << j)) out.push({ irq: 8 + j, vector: (slave.vectorBase + j) & 0xff });
      } else if (masterIsr & (1 << i)) out.push({ irq: i, vector: (master.vectorBase + i) & 0xff });
    }
    return out;
  }

  /** An IRET frame (IP, CS, FLAGS) at stack offset `at` for a handler running in `handlerCs`: the interrupted context, or null. */
  private interruptReturn(at: number, handlerCs: number): CodeContext | null {
    // The frame's size comes from the gate, so try both and let the vector decide.
    for (const size of this.realLike ? ([2] as const) : ([4, 2] as const)) {
      const ip = this.read(at, size);
      const cs = this.read(at + size, 2);
      const flags = this.read(at + 2 * size, size);
      if (ip === null || cs === null || flags === null) continue;
      if (!(flags & 2) || flags & 0x8028 || (size === 4 && flags >>> 22)) continue;
      const base = this.segmentBase(cs);
      if (base === undefined) continue;
      const leadsHere = (vector: number): boolean => {
        const target = this.vectorTarget(vector);
        return target !== undefined && target.size === size && (target.cs & ~3) === (handlerCs & ~3);
      };
      // The interrupted code's own size (a 32-bit gate may interrupt 16-bit code).
      const bitness = this.codeSize(cs, size === 4 ? 32 : 16);
      if (bitness === undefined) continue;
      const ctx: CodeContext = { cs, base, bitness };
      const intAt = this.rt.readLinear((base + ip - 2) >>> 0, 2);
      if (intAt[0] === 0xcd && intAt[1] !== null && leadsHere(intAt[1])) {
        this.push(ctx, ip, `INT ${intAt[1].toString(16).toUpperCase().padStart(2, '0')}h`);
        return ctx;
      }
      const irq = this.irqs(true).find((x) => leadsHere(x.vector));
      if (irq) {
        this.push(ctx, ip, `IRQ ${irq.irq}`);
        return ctx;
      }
      // After the EOI: IF was set, the code is the user's, an IRQ leads here.
      if (flags & 0x200 && this.rt.lineLookup((base + ip) >>> 0) && this.irqs(false).some((x) => leadsHere(x.vector))) {
        this.push(ctx, ip, 'interrupt');
        return ctx;
      }
    }
    return null;
  }

  /** Follow the BP chain from `bp` (above `floor`) in `ctx`. */
  chain(bp: number, floor: number, ctx: CodeContext): void {
    const seen = new Set<number>();
    bp &= this.mask;
    while (this.frames.length < MAX_FRAMES && bp !== 0 && bp >= floor && !seen.has(bp)) {
      seen.add(bp);
      const savedBp = this.read(bp, this.word);
      if (savedBp === null) return;
      const next = this.callReturn(bp + this.word, ctx) ?? this.interruptReturn(bp + this.word, ctx.cs);
      if (!next) return;
      ctx = next;
      if (savedBp <= bp) return;
      bp = savedBp;
    }
  }

  /**
   * The target of a direct near CALL (E8) ending at `ip` in `ctx`, null for
   * another call form (indirect: FF /2), undefined when unreadable.
   */
  private directCallTarget(ip: number, ctx: CodeContext): number | null | undefined {
    const size = ctx.bitness === 16 ? 2 : 4;
    const b = this.rt.readLinear((ctx.base + ip - size - 1) >>> 0, size + 1);
    if (b.some((x) => x === null)) return undefined;
    if (b[0] !== 0xe8) return null;
    const rel = size === 2 ? (((b[1] as number) | ((b[2] as number) << 8)) << 16) >> 16 : (b[1] as number) | ((b[2] as number) << 8) | ((b[3] as number) << 16) | ((b[4] as number) << 24);
    return (ip + rel) & (size === 2 ? 0xffff : 0xffffffff);
  }

  /** Near return addresses above `sp` that the symbols explain (see the top of the file), as frames. */
  scanSymbolReturns(sp: number, ctx: CodeContext): void {
    let callee = this.frames[this.frames.length - 1].offset;
    const size: 2 | 4 = ctx.bitness === 16 ? 2 : 4;
    for (let i = 0; i < RETURN_SCAN_WORDS && this.frames.length < MAX_FRAMES; i++) {
      const at = (sp + i * this.word) & this.mask;
      if (at < sp) return;
      const ip = this.read(at, size);
      if (ip === null) return;
      const linear = (ctx.base + ip) >>> 0;
      if (!this.rt.lineLookup(linear)) continue;
      if (callEndingAt((l, n) => this.rt.readLinear(l, n), linear, ip, ctx.bitness) !== 'near') continue;
      const target = this.directCallTarget(ip, ctx);
      if (target === undefined) continue;
      if (target !== null && !(target <= callee && callee - target < MAX_CALLEE_SPAN)) continue;
      this.push(ctx, ip, 'call');
      callee = ip;
    }
  }

  /** Search the top of the stack for an interrupt frame of the current handler; its stack offset or null. */
  scanInterrupt(sp: number, ctx: CodeContext): { at: number; ctx: CodeContext } | null {
    for (let i = 0; i < INTERRUPT_SCAN_WORDS; i++) {
      const at = (sp + i * this.word) & this.mask;
      if (at < sp) return null; // wrapped past the top of a 16-bit stack
      const found = this.interruptReturn(at, ctx.cs);
      if (found) return { at, ctx: found };
    }
    return null;
  }
}

export function walkFrames(runtime: VmexitRuntime): Frame[] {
  const walker = new FrameWalker(runtime);
  const bitness = runtime.codeBitness();
  if (bitness === 64) return walker.frames;
  const regs = runtime.regs();
  const sregs = runtime.sregs();
  const ctx: CodeContext = { cs: sregs.cs.selector, base: sregs.cs.base, bitness };
  const stackMask = sregs.ss.attributes & (1 << 14) ? 0xffffffff : 0xffff;
  const sp = (regs.esp & stackMask) >>> 0;
  walker.chain(regs.ebp, sp, ctx);
  if (walker.frames.length === 1) {
    const found = walker.scanInterrupt(sp, ctx);
    if (found) walker.chain(regs.ebp, found.at + 1, found.ctx);
    else walker.scanSymbolReturns(sp, ctx);
  }
  return walker.frames;
}
