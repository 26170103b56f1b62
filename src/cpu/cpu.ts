// The x86 core: architectural state, slice control, instruction fetch and
// dispatch, and ModRM operands. Around it: lazy flags (./flags.ts) and
// registers, memory access and the stack (./memoryAccess.ts), the base
// classes; the run loop (./runLoop.ts); effective addresses (./modrm.ts);
// segment descriptors and the sregs view (./segments.ts); interrupt and
// exception delivery (./interrupts.ts); guest debug (./debug.ts); and the
// thrown signals (./faults.ts). The instruction handlers live in ./ops/*, one
// table indexed by opcode (0x000-0x0FF one-byte, 0x100-0x1FF after 0F), built
// by ./ops/table.ts; Cpu.dispatch calls the common ones directly.
//
// Hot-path rules: no allocation, no closures, no exceptions except for guest
// faults (rare) and the ends of a run.

import { IoPorts, InterruptAcknowledge, PageKind, PhysicalMemory } from './bus';
import { CpuDebug, CpuDebugEvent } from './debug';
import { GuestFault, InternalErrorInfo, Unimplemented } from './faults';
import { MemoryAccess } from './memoryAccess';
import { X87 } from './fpu/x87';
import { decodeEa16, decodeEa32 } from './modrm';
import * as interrupts from './interrupts';
import { aluForm, aluGroup1, incDecRegister, testForm } from './ops/arith';
import { conditionalJumpNear, conditionalJumpShort, nearBranch } from './ops/control';
import { moveExtend, moveForm, moveImmediate } from './ops/move';
import { shiftGroup } from './ops/shift';
import { CPUID_SIGNATURE } from './ops/misc';
import { loadPdptes } from './paePaging';
import { pushPopRegister } from './ops/stack';
import { stringInstruction } from './ops/string';
import * as runLoop from './runLoop';
import { loadVm86Segment } from './vm86';
import { StopReason } from './runLoop';
import { getSregs, ioBitmapAllows, loadSegmentProtected, setSregs } from './segments';
import {
  ATTR_DB, ATTR_REAL_CODE, ATTR_UNUSABLE, ATTR_REAL_DATA, CR0_ET, CR0_PE, CR0_PG, CR4_PAE, CS, CpuMode, CpuState, DS, ES, FIXED1, FS,
  GS, IF, Regs, SS, Segment, Sregs, TF, VEC_GP, VEC_UD, VM,
} from './state';

export { StopReason } from './runLoop';
export { GuestFault, RESTART_INSTRUCTION, Unimplemented } from './faults';

export type OpHandler = (cpu: Cpu) => void;

/** Byte offsets of the 8-bit registers AL CL DL BL AH CH DH BH in the register file. */
const REG8_OFFSET = new Uint8Array([0, 4, 8, 12, 1, 5, 9, 13]);

/** IA32_PAT after reset, each half: WB WT UC- UC (SDM vol. 3 §11.12.4). */
const PAT_DEFAULT = 0x00070406;

/**
 * Which instructions may take LOCK (SDM vol. 2, LOCK): per opcode (0x000-0x0FF,
 * 0x100 | byte after 0F), a mask of the ModRM reg values allowed — the
 * read-modify-write forms: the ALU ops (not CMP), XCHG, NOT/NEG, INC/DEC,
 * BTS/BTR/BTC, CMPXCHG, XADD, CMPXCHG8B. Their destination must be memory.
 */
const LOCKABLE_REG = new Uint8Array(0x200);
for (const op of [0x00, 0x01, 0x08, 0x09, 0x10, 0x11, 0x18, 0x19, 0x20, 0x21, 0x28, 0x29, 0x30, 0x31, 0x86, 0x87,
  0x1ab, 0x1b3, 0x1bb, 0x1b0, 0x1b1, 0x1c0, 0x1c1]) LOCKABLE_REG[op] = 0xff;
for (const op of [0x80, 0x81, 0x82, 0x83]) LOCKABLE_REG[op] = 0x7f; // all but /7 CMP
LOCKABLE_REG[0xf6] = LOCKABLE_REG[0xf7] = 0x0c; // /2 NOT, /3 NEG
LOCKABLE_REG[0xfe] = LOCKABLE_REG[0xff] = 0x03; // /0 INC, /1 DEC
LOCKABLE_REG[0x1ba] = 0xe0; // /5 BTS, /6 BTR, /7 BTC
LOCKABLE_REG[0x1c7] = 0x02; // /1 CMPXCHG8B

/** Prefix bytes (segment overrides, 66, 67, LOCK, REPNE, REP). */
const IS_PREFIX = new Uint8Array(256);
for (const p of [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3]) IS_PREFIX[p] = 1;

export class Cpu extends MemoryAccess {
  // The general registers, segment caches, CR0, SS.B, the A20 mask and the bus are in MemoryAccess.
  eip = 0;

  // ---- LDTR, TR and the descriptor-table registers. ----
  ldtr: Segment = { selector: 0, base: 0, limit: 0xffff, attributes: 0x82 };
  tr: Segment = { selector: 0, base: 0, limit: 0xffff, attributes: 0x8b };
  gdtrBase = 0;
  gdtrLimit = 0xffff;
  idtrBase = 0;
  idtrLimit = 0x3ff;

  // ---- Control and model state. ----
  efer = 0;
  /** IA32_APIC_BASE: base FEE00000h, EN (bit 11), BSP (bit 8, set by the VMM on the bootstrap processor). */
  apicBase = 0xfee00900;
  /** The initial APIC ID CPUID leaf 1 reports in EBX[31:24] (set by the VMM per vCPU). */
  apicId = 0;
  /** Told when WRMSR changes IA32_APIC_BASE (the local APIC follows its enable bit). */
  onApicBaseChange: () => void = () => {};
  /** SYSENTER_CS/ESP/EIP MSRs (174h-176h) and IA32_PAT (277h, low and high dwords); see ops/system.ts. */
  sysenterCs = 0;
  sysenterEsp = 0;
  sysenterEip = 0;
  patLo = PAT_DEFAULT;
  patHi = PAT_DEFAULT;
  /**
   * The P6 performance counters PerfCtr0/1 (MSRs C1h, C2h; 40 bits, held as
   * whole numbers) and their event selects PerfEvtSel0/1 (186h, 187h). No
   * event is modelled, so the counters count nothing: enabling them (EN,
   * PerfEvtSel0 bit 22) is an internal error (ops/system.ts); RDPMC reads them.
   */
  readonly perfCtr = [0, 0];
  readonly perfEvtSel = [0, 0];
  readonly dr = new Int32Array(8);
  /** CS.D: default operand and address size of the code being run. */
  code32 = false;
  /** Time-stamp counter offset: TSC = instructions retired + tscOffset. */
  tscOffset = 0;

  // ---- Per-instruction decode state. ----
  opsize32 = false;
  addr32 = false;
  /** Segment override prefix, or -1. */
  segPrefix = -1;
  /** 0, 0xF2 (REPNE) or 0xF3 (REP/REPE). */
  repPrefix = 0;
  lockPrefix = false;
  modrm = 0;
  /** Effective address of a memory ModRM operand: segment index and offset. */
  eaSeg = DS;
  eaOff = 0;
  /** EIP and ESP at the first byte of the current instruction (prefixes included). */
  startEip = 0;
  startEsp = 0;

  // ---- Instruction fetch window: EIPs in [fetchLo, fetchHi] are at ram[fetchDelta + eip]. ----
  // fetchLo and fetchHi are set only by fetch8Slow and invalidateFetch.
  fetchLo = 1;
  fetchHi = 0;
  private fetchDelta = 0;
  /**
   * With guest debug armed: EIPs in [quietLo, quietHi] (inside the fetch
   * window) start no instruction the debugger must look at — no breakpoint
   * there, no mode-change intercept — so they run without the guest-debug
   * step (runSlice in ./runLoop.ts). Set by fetch8Slow for a page without
   * breakpoints, and by the guest-debug step for the breakpoint-free stretch
   * around the current instruction (./debug.ts).
   */
  quietLo = 1;
  quietHi = 0;

  // ---- Run state. ----
  halted = false;
  /** Level of the INTR pin. */
  intr = false;
  /** An NMI is latched for delivery at the next instruction boundary. */
  nmiPending = false;
  /** Inside an NMI handler: further NMIs wait for the next IRET (SDM vol. 3 §6.7.1). */
  nmiBlocked = false;
  /** Interrupts are inhibited at the boundary where `retired()` equals this (STI, MOV SS, POP SS). */
  shadowAt = -1;
  /** Set by INT n/INT3/INTO/faults during an instruction: no single-step trap after it. */
  suppressTrap = false;
  // sliceBudget, instructionBase and stopReason belong to the run loop (./runLoop.ts) and the
  // slice-control methods below (retired, endSlice, limitSlice, requestStop, debugStop).
  /** Instructions in the current slice when it started (or was last shortened). */
  sliceBudget = 0;
  /** Instructions left in the current slice; decremented before each instruction. */
  sliceLeft = 0;
  /** Instructions retired before the current slice. */
  instructionBase = 0;
  stopReason: StopReason = StopReason.Budget;
  internalError: InternalErrorInfo | null = null;
  /** Set while delivering an exception, to turn a nested fault into #DF or a triple fault. */
  deliveringException = -1;

  /** Guest debug (breakpoints, intercepts); consulted only while `debugArmed`. */
  readonly debug = new CpuDebug();
  debugArmed = false;
  /**
   * Breakpoints or the mode-change intercept are armed: instructions go
   * through the guest-debug loop (./runLoop.ts). The other intercepts are
   * checked where they happen and cost nothing per instruction.
   */
  debugStepChecks = false;

  /** The x87 FPU (./fpu): its registers, control, status and tag words. */
  readonly fpu = new X87();
  /**
   * FERR#: told when a waiting x87 instruction finds an unmasked exception
   * pending with CR0.NE clear (the PC board routes it to IRQ 13). Null when
   * nothing is wired.
   */
  onFerr: (() => void) | null = null;

  /** The opcode table; see ./ops/table.ts. */
  ops: readonly OpHandler[] = [];

  constructor(
    memory: PhysicalMemory,
    readonly io: IoPorts,
    readonly pic: InterruptAcknowledge,
  ) {
    super(memory);
    this.reset();
  }

  // =====================================================================
  // Reset and state
  // =====================================================================

  /** Power-on reset (SDM vol. 3 §9.1.1): real mode, CS:IP = F000:FFF0 with CS base FFFF0000. */
  reset(): void {
    this.flushTlb();
    this.reg32.fill(0);
    this.reg32[2] = CPUID_SIGNATURE; // EDX: the processor signature, as after RESET (SDM vol. 3 §9.1.4)
    this.eip = 0xfff0;
    this.flags = FIXED1;
    this.lazy = 0;
    for (let s = 0; s < 6; s++) this.loadSegmentCache(s, 0, 0, 0xffff, ATTR_REAL_DATA);
    this.loadSegmentCache(CS, 0xf000, 0xffff0000, 0xffff, ATTR_REAL_CODE);
    this.ldtr = { selector: 0, base: 0, limit: 0xffff, attributes: 0x82 };
    this.tr = { selector: 0, base: 0, limit: 0xffff, attributes: 0x8b };
    this.gdtrBase = 0;
    this.gdtrLimit = 0xffff;
    this.idtrBase = 0;
    this.idtrLimit = 0xffff;
    this.cr0 = CR0_ET | 0x60000000; // CD and NW set at reset
    this.cr2 = this.cr3 = this.cr4 = this.efer = 0;
    this.sysenterCs = this.sysenterEsp = this.sysenterEip = 0;
    this.patLo = this.patHi = PAT_DEFAULT;
    this.perfCtr.fill(0);
    this.perfEvtSel.fill(0);
    this.dr.fill(0);
    this.dr[6] = 0xffff0ff0 | 0;
    this.dr[7] = 0x400;
    this.cpl = 0;
    this.apicBase = 0xfee00800 | (this.apicBase & 0x100);
    this.halted = false;
    this.nmiPending = this.nmiBlocked = false;
    this.shadowAt = -1;
    this.deliveringException = -1;
    this.internalError = null;
    this.fpu.reset();
  }

  /**
   * INIT (SDM vol. 3 §9.1, table 9-1): the registers as after RESET, but the
   * MSRs (APIC base, SYSENTER, PAT), the x87 state and the time-stamp counter keep their values.
   */
  init(): void {
    const { apicBase, sysenterCs, sysenterEsp, sysenterEip, patLo, patHi } = this;
    const fpu = this.fpu.getState();
    this.reset();
    this.fpu.setState(fpu); // INIT leaves the x87 state alone
    this.apicBase = apicBase;
    this.sysenterCs = sysenterCs;
    this.sysenterEsp = sysenterEsp;
    this.sysenterEip = sysenterEip;
    this.patLo = patLo;
    this.patHi = patHi;
    // The instruction that sent the INIT may be this CPU's own: end its slice there.
    this.endSlice();
  }

  /**
   * Set a segment register's selector and hidden cache directly (reset,
   * protected-mode loads, VMM setSregs). An unusable segment (ATTR_UNUSABLE:
   * loaded with a null selector) keeps a limit of -1 in `segLimit`, so the
   * one limit comparison of every access faults it with no extra check.
   */
  loadSegmentCache(seg: number, selector: number, base: number, limit: number, attributes: number): void {
    this.segSel[seg] = selector;
    this.segBase[seg] = base | 0;
    this.segLimit[seg] = attributes & ATTR_UNUSABLE ? -1 : limit >>> 0;
    this.segAttr[seg] = attributes;
    if (seg === CS) {
      this.code32 = (attributes & ATTR_DB) !== 0;
      this.opsize32 = this.addr32 = this.code32;
      this.invalidateFetch();
    }
    else if (seg === SS) this.stack32 = (attributes & ATTR_DB) !== 0;
  }

  /**
   * A real-mode (or vm86) segment load: base = selector * 16; limit and
   * attributes stay (big real mode). A segment left unusable by protected
   * mode becomes a usable 64 KiB read/write one again (its old limit is
   * gone; Bochs keeps it, QEMU has 0 and does not check it in real mode).
   */
  loadSegmentReal(seg: number, selector: number): void {
    if (this.flags & VM) {
      loadVm86Segment(this, seg, selector); // limit FFFFh, DPL 3 (./vm86.ts)
      return;
    }
    if (this.segAttr[seg] & ATTR_UNUSABLE) {
      this.segAttr[seg] = seg === CS ? ATTR_REAL_CODE : ATTR_REAL_DATA;
      this.segLimit[seg] = 0xffff;
    }
    this.segSel[seg] = selector & 0xffff;
    this.segBase[seg] = (selector & 0xffff) << 4;
    if (seg === CS) this.invalidateFetch();
  }

  get protectedMode(): boolean {
    return (this.cr0 & CR0_PE) !== 0;
  }

  mode(): CpuMode {
    if (this.efer & 0x400) return 'long';
    if (this.protectedMode) {
      if (this.flags & VM) return 'vm86';
      return this.code32 ? 'protected32' : 'protected16';
    }
    for (let s = 0; s < 6; s++) if (this.segLimit[s] > 0xffff) return 'big-real';
    return this.code32 ? 'big-real' : 'real';
  }

  getRegs(): Regs {
    const r = this.reg32;
    return {
      eax: r[0] >>> 0, ecx: r[1] >>> 0, edx: r[2] >>> 0, ebx: r[3] >>> 0,
      esp: r[4] >>> 0, ebp: r[5] >>> 0, esi: r[6] >>> 0, edi: r[7] >>> 0,
      eip: this.eip >>> 0, eflags: this.getFlags() >>> 0,
    };
  }

  setRegs(regs: Regs): void {
    const r = this.reg32;
    r[0] = regs.eax; r[1] = regs.ecx; r[2] = regs.edx; r[3] = regs.ebx;
    r[4] = regs.esp; r[5] = regs.ebp; r[6] = regs.esi; r[7] = regs.edi;
    this.eip = regs.eip >>> 0;
    this.setFlags(regs.eflags);
  }

  getSregs(): Sregs {
    return getSregs(this);
  }

  setSregs(s: Sregs): void {
    setSregs(this, s);
    // A CR3/CR4/CR0 set from outside loads the PDPTEs as MOV CR3 would (an invalid table leaves them as they were).
    if ((this.cr0 & CR0_PG) !== 0 && (this.cr4 & CR4_PAE) !== 0) loadPdptes(this, this.cr3);
    this.flushTlb(); // CR0, CR3 or CR4 may have changed
    this.invalidateFetch();
  }

  setA20(enabled: boolean): void {
    this.a20Mask = enabled ? -1 : ~(1 << 20);
    this.invalidateFetch();
  }

  saveState(): CpuState {
    return {
      regs: this.getRegs(), sregs: this.getSregs(), halted: this.halted, intr: this.intr,
      nmiPending: this.nmiPending, nmiBlocked: this.nmiBlocked,
      a20: this.a20Mask === -1, interruptShadow: this.shadowAt === this.retired(),
      instructions: this.retired(), tsc: this.tscOffset, dr: Array.from(this.dr, (v) => v >>> 0),
      pdptes: [0, 1, 2, 3].flatMap((i) => [this.pdpteLo[i] >>> 0, this.pdpteHi[i] >>> 0]),
      msrs: {
        sysenterCs: this.sysenterCs >>> 0, sysenterEsp: this.sysenterEsp >>> 0, sysenterEip: this.sysenterEip >>> 0,
        pat: [this.patLo >>> 0, this.patHi >>> 0],
        perf: [this.perfCtr[0], this.perfCtr[1], this.perfEvtSel[0] >>> 0, this.perfEvtSel[1] >>> 0],
      },
      fpu: this.fpu.getState(),
    };
  }

  loadState(state: CpuState): void {
    this.setSregs(state.sregs);
    this.setRegs(state.regs);
    this.halted = state.halted;
    this.intr = state.intr;
    this.nmiPending = state.nmiPending ?? false;
    this.nmiBlocked = state.nmiBlocked ?? false;
    this.setA20(state.a20);
    this.instructionBase = state.instructions;
    this.sliceBudget = this.sliceLeft = 0;
    this.shadowAt = state.interruptShadow ? state.instructions : -1;
    this.tscOffset = state.tsc;
    for (let i = 0; i < 8; i++) this.dr[i] = state.dr[i] | 0;
    if (state.pdptes) {
      for (let i = 0; i < 4; i++) {
        this.pdpteLo[i] = state.pdptes[2 * i] | 0;
        this.pdpteHi[i] = state.pdptes[2 * i + 1] | 0;
      }
      this.flushTlb();
    }
    const m = state.msrs;
    this.sysenterCs = m ? m.sysenterCs | 0 : 0;
    this.sysenterEsp = m ? m.sysenterEsp | 0 : 0;
    this.sysenterEip = m ? m.sysenterEip | 0 : 0;
    this.patLo = m ? m.pat[0] | 0 : PAT_DEFAULT;
    this.patHi = m ? m.pat[1] | 0 : PAT_DEFAULT;
    for (let i = 0; i < 2; i++) {
      this.perfCtr[i] = m?.perf?.[i] ?? 0;
      this.perfEvtSel[i] = (m?.perf?.[2 + i] ?? 0) | 0;
    }
    if (state.fpu) this.fpu.setState(state.fpu);
    else this.fpu.reset();
  }

  // =====================================================================
  // Slices and stops (the loop itself is in ./runLoop.ts)
  // =====================================================================

  /** Instructions retired since power-on (counting the one executing now). */
  retired(): number {
    return this.instructionBase + (this.sliceBudget - this.sliceLeft);
  }

  /** End the current slice after the instruction now executing (or at once, between slices). */
  endSlice(): void {
    this.instructionBase += this.sliceBudget - this.sliceLeft;
    this.sliceBudget = this.sliceLeft = 0;
  }

  /** Shorten the current slice to at most `n` more instructions (a timer was armed earlier). */
  limitSlice(n: number): void {
    if (this.sliceLeft > n) {
      this.instructionBase += this.sliceBudget - this.sliceLeft;
      this.sliceBudget = this.sliceLeft = Math.max(0, n);
    }
  }

  /** Stop `run` after the current instruction with StopReason.Requested. */
  requestStop(): void {
    this.stopReason = StopReason.Requested;
    this.endSlice();
  }

  /** Latch an NMI: taken at the next instruction boundary, waking a HLT. */
  raiseNmi(): void {
    this.nmiPending = true;
    this.endSlice();
  }

  setIntr(level: boolean): void {
    this.intr = level;
    // A raised line must be looked at soon: end the slice if interrupts are enabled.
    if (level && (this.flags & IF) !== 0) this.endSlice();
  }

  /**
   * Run until `budget` instructions have retired or something stops the CPU
   * (see ./runLoop.ts).
   */
  run(budget: number): StopReason {
    return runLoop.run(this, budget);
  }

  /**
   * Execute exactly one instruction, or take one pending interrupt when
   * `allowInterrupts` (see ./runLoop.ts).
   */
  stepOnce(allowInterrupts: boolean): StopReason {
    return runLoop.stepOnce(this, allowInterrupts);
  }

  /** End the run for a guest-debug event after the current instruction (or before it, if it backed out). */
  debugStop(event: CpuDebugEvent): void {
    this.debug.event = event;
    this.stopReason = StopReason.Debug;
    this.endSlice();
  }

  /** Arm or disarm guest debug. */
  setDebug(config: Parameters<CpuDebug['configure']>[0]): void {
    this.debug.configure(config);
    this.debugArmed = this.debug.armed;
    this.debugStepChecks = this.debug.needsStepChecks;
    this.invalidateFetch(); // its quiet range was for the old breakpoints
  }

  // =====================================================================
  // Decode and dispatch
  // =====================================================================

  /** Decode and execute one instruction (prefixes, opcode, operands). */
  step(): void {
    this.startEip = this.eip;
    this.startEsp = this.reg32[4];
    // The prefix state is at its defaults between instructions (see resetPrefixes),
    // so an instruction without prefixes pays nothing for it.
    let op = this.fetch8();
    if (IS_PREFIX[op] === 0) {
      this.dispatch(op);
      return;
    }
    // A lone operand-size prefix (32-bit operations in real-mode code) has its own short path.
    if (op === 0x66) {
      this.opsize32 = !this.code32;
      op = this.fetch8();
      if (IS_PREFIX[op] === 0) {
        this.dispatch(op);
        this.opsize32 = this.code32;
        return;
      }
    }
    // Prefixes: an instruction is at most 15 bytes (SDM vol. 2 §2.3.11).
    for (let n = 1; ; n++) {
      switch (op) {
        case 0x26: this.segPrefix = ES; break;
        case 0x2e: this.segPrefix = CS; break;
        case 0x36: this.segPrefix = SS; break;
        case 0x3e: this.segPrefix = DS; break;
        case 0x64: this.segPrefix = FS; break;
        case 0x65: this.segPrefix = GS; break;
        case 0x66: this.opsize32 = !this.code32; break;
        case 0x67: this.addr32 = !this.code32; break;
        case 0xf0: this.lockPrefix = true; break;
        default: this.repPrefix = op; break; // F2, F3
      }
      // Too many prefixes: the instruction would exceed 15 bytes (#GP(0), SDM vol. 2 §2.3.11).
      if (n >= 14) throw new GuestFault(VEC_GP, 0);
      op = this.fetch8();
      if (IS_PREFIX[op] === 0) {
        if (this.lockPrefix) this.dispatchLocked(op);
        else this.dispatch(op);
        this.resetPrefixes();
        return;
      }
    }
  }

  /**
   * LOCK belongs only on the read-modify-write instructions with a memory
   * destination (LOCKABLE_REG): anything else is #UD, decided here once.
   */
  private dispatchLocked(op: number): void {
    const index = op === 0x0f ? 0x100 | this.fetch8() : op;
    // Look at the ModRM byte without consuming it: the handler decodes it.
    const modrm = this.fetch8();
    this.eip = (this.eip - 1) >>> 0;
    if (modrm >= 0xc0 || (LOCKABLE_REG[index] & (1 << ((modrm >> 3) & 7))) === 0) throw new GuestFault(VEC_UD, -1);
    if (index >= 0x100) this.dispatch0f(index & 0xff);
    else this.dispatch(op);
  }

  /**
   * Execute the opcode. The common families are called directly, by a dense
   * switch on the high nibble (a jump table): each call site is monomorphic
   * and calls a named function. The rest go through the table.
   */
  private dispatch(op: number): void {
    switch (op >> 4) {
      case 0: case 1: case 2: case 3:
        if ((op & 7) < 6) {
          aluForm(this, op);
          return;
        }
        if (op === 0x0f) {
          this.dispatch0f(this.fetch8());
          return;
        }
        break;
      case 4:
        incDecRegister(this, op);
        return;
      case 5:
        pushPopRegister(this, op);
        return;
      case 7:
        conditionalJumpShort(this, op);
        return;
      case 8:
        if (op < 0x84) aluGroup1(this, op);
        else if (op < 0x86) testForm(this, op);
        else if (op >= 0x88 && op < 0x8c) moveForm(this, op);
        else break;
        return;
      case 0xa:
        if (op < 0xa4 || op === 0xa8 || op === 0xa9) break;
        stringInstruction(this, op);
        return;
      case 0xb:
        moveImmediate(this, op);
        return;
      case 0xc:
        if (op < 0xc2) shiftGroup(this, op);
        else if (op < 0xc4) nearBranch(this, op);
        else break;
        return;
      case 0xd:
        if (op >= 0xd4) break;
        shiftGroup(this, op);
        return;
      case 0xe:
        if (op < 0xe4 || op === 0xe8 || op === 0xe9 || op === 0xeb) {
          nearBranch(this, op);
          return;
        }
        break;
    }
    this.ops[op](this);
  }

  /** The second byte of an 0F opcode: Jcc rel16/32 and MOVZX/MOVSX directly, the rest through the table. */
  private dispatch0f(op: number): void {
    if ((op & 0xf0) === 0x80) conditionalJumpNear(this, op);
    else if (op === 0xb6 || op === 0xb7 || op === 0xbe || op === 0xbf) moveExtend(this, op);
    else this.ops[0x100 | op](this);
  }

  /** Back to the default prefix state, after a prefixed instruction or a fault inside one. */
  resetPrefixes(): void {
    this.opsize32 = this.addr32 = this.code32;
    this.segPrefix = -1;
    this.repPrefix = 0;
    this.lockPrefix = false;
  }

  // =====================================================================
  // Instruction fetch
  // =====================================================================

  fetch8(): number {
    const eip = this.eip;
    if (eip <= this.fetchHi && eip >= this.fetchLo) {
      this.eip = eip + 1;
      return this.ram[this.fetchDelta + eip];
    }
    return this.fetch8Slow();
  }

  /**
   * Fetch through the segment limit, translation and memory map, and open a
   * window over the code page when it is RAM or ROM, so the following bytes
   * of the page come straight from `ram` (bounded by the CS limit).
   */
  private fetch8Slow(): number {
    const eip = this.eip;
    const limit = this.segLimit[CS];
    if (eip > limit) this.fetchBeyondLimit();
    const lin = (this.segBase[CS] + eip) | 0;
    const p = this.translate(lin) & this.a20Mask;
    this.eip = (eip + 1) >>> 0;
    if (this.pageKind[p >>> 12] <= PageKind.ReadFast) {
      const pageOffset = lin & 0xfff;
      this.fetchLo = Math.max(0, eip - pageOffset);
      this.fetchHi = Math.min(limit, eip + (0xfff - pageOffset));
      this.fetchDelta = p - eip;
      if (!this.debug.modeChanges && !this.debug.hasBreakpointOnPage(lin, p)) {
        this.quietLo = this.fetchLo;
        this.quietHi = this.fetchHi;
      } else {
        this.quietLo = 1;
        this.quietHi = 0;
      }
      return this.ram[p];
    }
    return this.readSlowLinear(lin, p, 1, true);
  }

  /** Close the fetch window: CS, A20, the memory map or translation changed. */
  invalidateFetch(): void {
    this.fetchLo = this.quietLo = 1;
    this.fetchHi = this.quietHi = 0;
  }

  fetch16(): number {
    const lo = this.fetch8();
    return lo | (this.fetch8() << 8);
  }

  fetch32(): number {
    const lo = this.fetch16();
    return (lo | (this.fetch16() << 16)) | 0;
  }

  /** Sign-extended 8-bit immediate. */
  fetchS8(): number {
    return (this.fetch8() << 24) >> 24;
  }

  private fetchBeyondLimit(): never {
    throw new GuestFault(VEC_GP, 0);
  }

  // =====================================================================
  // ModRM and effective addresses
  // =====================================================================

  /** Read the ModRM byte and, for a memory operand, its effective address (eaSeg:eaOff). */
  decodeModRm(): void {
    const modrm = this.fetch8();
    this.modrm = modrm;
    if (modrm >= 0xc0) return;
    if (this.addr32) decodeEa32(this, modrm);
    else decodeEa16(this, modrm);
  }

  /** The ModRM reg field. */
  get regField(): number {
    return (this.modrm >> 3) & 7;
  }

  // ---- ModRM operand access, sized. ----

  readE8(): number {
    const m = this.modrm;
    return m >= 0xc0 ? this.reg8[REG8_OFFSET[m & 7]] : this.read8(this.eaSeg, this.eaOff);
  }
  readE16(): number {
    const m = this.modrm;
    return m >= 0xc0 ? this.reg16[(m & 7) << 1] : this.read16(this.eaSeg, this.eaOff);
  }
  readE32(): number {
    const m = this.modrm;
    return m >= 0xc0 ? this.reg32[m & 7] : this.read32(this.eaSeg, this.eaOff);
  }
  writeE8(v: number): void {
    const m = this.modrm;
    if (m >= 0xc0) this.reg8[REG8_OFFSET[m & 7]] = v;
    else this.write8(this.eaSeg, this.eaOff, v);
  }
  writeE16(v: number): void {
    const m = this.modrm;
    if (m >= 0xc0) this.reg16[(m & 7) << 1] = v;
    else this.write16(this.eaSeg, this.eaOff, v);
  }
  writeE32(v: number): void {
    const m = this.modrm;
    if (m >= 0xc0) this.reg32[m & 7] = v;
    else this.write32(this.eaSeg, this.eaOff, v);
  }

  /** Operand-size-dispatched: 16 or 32 by `opsize32`. */
  readEv(): number {
    return this.opsize32 ? this.readE32() : this.readE16();
  }
  writeEv(v: number): void {
    if (this.opsize32) this.writeE32(v);
    else this.writeE16(v);
  }
  pushV(v: number): void {
    if (this.opsize32) this.push32(v);
    else this.push16(v);
  }
  popV(): number {
    return this.opsize32 ? this.pop32() : this.pop16();
  }

  getReg8(r: number): number {
    return this.reg8[REG8_OFFSET[r]];
  }
  setReg8(r: number, v: number): void {
    this.reg8[REG8_OFFSET[r]] = v;
  }
  getReg16(r: number): number {
    return this.reg16[r << 1];
  }
  setReg16(r: number, v: number): void {
    this.reg16[r << 1] = v;
  }
  /** 16 or 32-bit register by operand size (32-bit values are returned signed). */
  getRegV(r: number): number {
    return this.opsize32 ? this.reg32[r] : this.reg16[r << 1];
  }
  setRegV(r: number, v: number): void {
    if (this.opsize32) this.reg32[r] = v;
    else this.reg16[r << 1] = v;
  }

  /** Operand-size immediate (zero-extended 16 or 32-bit). */
  fetchImmV(): number {
    return this.opsize32 ? this.fetch32() : this.fetch16();
  }

  // =====================================================================
  // Flags (the lazy part is in ./flags.ts)
  // =====================================================================

  /** Replace EFLAGS (no privilege filtering: callers such as POPF apply their own masks). */
  setFlags(v: number): void {
    const was = this.flags;
    this.flags = (v & ~(1 << 3 | 1 << 5 | 1 << 15) & 0x3f7fd7) | FIXED1;
    this.lazy = 0;
    // IF going 0 -> 1 with INTR raised: the run loop must look at it after this instruction.
    if ((was & IF) === 0 && (this.flags & IF) !== 0 && this.intr) this.endSlice();
    // TF going 0 -> 1: from the next instruction on, the run loop steps one at a time.
    if ((was & TF) === 0 && (this.flags & TF) !== 0) this.endSlice();
  }

  // =====================================================================
  // Control transfer helpers
  // =====================================================================

  /** Jump to a near target within CS, masked to the operand size; #GP past the CS limit. */
  jumpNear(target: number): void {
    this.eip = this.nearTarget(target);
  }

  /** A near branch target masked to the operand size, checked against the CS limit (#GP). */
  nearTarget(target: number): number {
    const t = this.opsize32 ? target >>> 0 : target & 0xffff;
    if (t > this.segLimit[CS]) throw new GuestFault(VEC_GP, 0);
    return t;
  }

  /**
   * Far jump/call/return target load in real and virtual-8086 mode; protected
   * mode goes through the descriptor tables (./farTransfers.ts).
   */
  loadCsFar(selector: number, offset: number): void {
    this.loadSegmentReal(CS, selector);
    if (offset > this.segLimit[CS]) throw new GuestFault(VEC_GP, 0);
    this.eip = offset >>> 0;
  }

  /** Load a data or stack segment register (MOV Sreg, POP Sreg, LDS ...), in the current mode. */
  loadSegment(seg: number, selector: number): void {
    if (this.protectedMode && (this.flags & VM) === 0) loadSegmentProtected(this, seg, selector);
    else this.loadSegmentReal(seg, selector);
  }

  // =====================================================================
  // Interrupts and exceptions (delivery is in ./interrupts.ts)
  // =====================================================================

  /**
   * Deliver an exception (see ./interrupts.ts). `intercepted`: a guest-debug
   * intercept already stopped for it.
   */
  deliverException(vector: number, errorCode: number, intercepted = false): void {
    interrupts.deliverException(this, vector, errorCode, intercepted);
  }

  /** End the run with an internal error: the core does not implement `what`. */
  unimplemented(what: string): never {
    throw new Unimplemented(what);
  }

  /** Assert FERR# (an x87 exception reported with CR0.NE clear). */
  signalFerr(): void {
    if (this.onFerr) this.onFerr();
  }

  /** Shorthand for handlers: raise #UD. */
  undefinedOpcode(): never {
    throw new GuestFault(6, -1);
  }

  /** Shorthand for handlers: raise #GP(code). */
  generalProtection(code = 0): never {
    throw new GuestFault(VEC_GP, code);
  }

  /** The current privilege level allows I/O (real mode always; CPL <= IOPL otherwise). */
  ioAllowed(): boolean {
    if (!this.protectedMode) return true;
    return this.cpl <= ((this.flags >> 12) & 3) && (this.flags & VM) === 0;
  }

  /**
   * IN/OUT/INS/OUTS of `size` bytes at `port` may proceed: by IOPL, or else
   * (and always in vm86) by the TSS's I/O permission bitmap (./segments.ts).
   */
  ioPortAllowed(port: number, size: number): boolean {
    return this.ioAllowed() || ioBitmapAllows(this, port, size);
  }
}

