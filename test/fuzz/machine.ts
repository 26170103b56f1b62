// The fuzzer's machine: a Vm (src/vmm) set up through the VMM API for one
// mode, with its descriptor tables, interrupt stubs and page tables in ROM
// (random guest writes cannot break the harness; the CPU's accessed-bit
// writes are dropped), and random register state.
//
// Physical layout (2 MiB of RAM):
//   00000-0FFFF  data (random registers often point here)
//   10000-1FFFF  code: the stream of random instructions
//   20000-2FFFF  stack
//   30000-3FFFF  ROM: IVT (30000), interrupt stubs (30800 + vector: HLT),
//                GDT (31000), IDT (32000), TSS (33000), page directory
//                (34000) and the page table of 0-4 MiB (35000)
// Every vector, real or protected, leads to the HLT at 30800 + vector with
// interrupts off, so the run exits 'hlt' there and the fuzzer records the
// vector and resumes the stream after the instruction. A vm86 stream (CR0.PE
// and EFLAGS.VM, segments at real-mode bases) leaves through the IDT to the
// same stubs at ring 0 on the TSS's stack, with the vm86 frame the fuzzer
// returns through.

import { ATTR_DB, ATTR_G, ATTR_REAL_CODE, ATTR_REAL_DATA, Regs, Segment, Sregs } from '../../src/cpu/state';
import { Vm } from '../../src/vmm/vm';
import { Rng } from './generator';

export type FuzzMode = 'real' | 'pm16' | 'pm32' | 'paging' | 'vm86';
export const FUZZ_MODES: readonly FuzzMode[] = ['real', 'pm16', 'pm32', 'paging', 'vm86'];

/** Modes whose code segment is based at CODE and runs 16-bit code from offset 0. */
export const isSegmentedMode = (mode: FuzzMode): boolean => mode === 'real' || mode === 'pm16' || mode === 'vm86';

/** EFLAGS.VM: a vm86 stream runs with it set. */
export const EFLAGS_VM = 0x20000;
/** The segments of a vm86 task: real-mode bases, 64 KiB limits, DPL 3 data attributes (as the core loads them). */
const ATTR_VM86 = 0xf3;

export const RAM_BYTES = 2 << 20;
export const DATA = 0x00000;
export const CODE = 0x10000;
export const CODE_BYTES = 0x10000;
export const STACK = 0x20000;
export const ROM = 0x30000;
export const STUBS = 0x30800;
const GDT = 0x31000;
const IDT = 0x32000;
const TSS = 0x33000;
const PAGE_DIR = 0x34000;
const PAGE_TABLE = 0x35000;

// Selectors of the GDT.
const SEL_CODE32 = 0x08, SEL_DATA32 = 0x10, SEL_CODE16 = 0x18, SEL_DATA16 = 0x20, SEL_TSS = 0x28, SEL_STACK16 = 0x70;

interface Descriptor { base: number; limit: number; access: number; flags: number }

/** The GDT: flat and 16-bit segments at DPL 0 and 3, a TSS, odd ones (expand-down, not present, conforming). */
const GDT_ENTRIES: Descriptor[] = [
  { base: 0, limit: 0, access: 0, flags: 0 },
  { base: 0, limit: 0xfffff, access: 0x9b, flags: 0xc }, // 08 code32 flat
  { base: 0, limit: 0xfffff, access: 0x93, flags: 0xc }, // 10 data32 flat
  { base: CODE, limit: 0xffff, access: 0x9b, flags: 0 }, // 18 code16 at CODE
  { base: 0, limit: 0xffff, access: 0x93, flags: 0 }, // 20 data16
  { base: TSS, limit: 0x67, access: 0x8b, flags: 0 }, // 28 TSS (busy)
  { base: 0, limit: 0xfffff, access: 0xfb, flags: 0xc }, // 30 code32 DPL 3
  { base: 0, limit: 0xfffff, access: 0xf3, flags: 0xc }, // 38 data32 DPL 3
  { base: 0, limit: 0x0fff, access: 0x97, flags: 0x4 }, // 40 data32 expand-down
  { base: 0, limit: 0xffff, access: 0x13, flags: 0 }, // 48 data16, not present
  { base: 0, limit: 0xfffff, access: 0x9f, flags: 0xc }, // 50 code32 conforming
  { base: CODE, limit: 0xffff, access: 0xfb, flags: 0 }, // 58 code16 DPL 3
  { base: 0, limit: 0xffff, access: 0xf3, flags: 0 }, // 60 data16 DPL 3
  { base: 0x1000, limit: 0x10, access: 0x91, flags: 0 }, // 68 read-only data, tiny
  { base: STACK, limit: 0xffff, access: 0x93, flags: 0 }, // 70 stack16 at STACK
];

function putDescriptor(rom: Uint8Array, at: number, d: Descriptor): void {
  rom[at] = d.limit & 0xff;
  rom[at + 1] = (d.limit >> 8) & 0xff;
  rom[at + 2] = d.base & 0xff;
  rom[at + 3] = (d.base >> 8) & 0xff;
  rom[at + 4] = (d.base >> 16) & 0xff;
  rom[at + 5] = d.access | (d.access & 0x10 ? 1 : 0); // code/data: accessed already (the CPU's write would be dropped)
  rom[at + 6] = ((d.limit >> 16) & 0xf) | (d.flags << 4);
  rom[at + 7] = (d.base >>> 24) & 0xff;
}

/** The ROM image (tables, stubs, page tables) for one stream; paging attributes are random. */
export function buildRom(r: Rng): Uint8Array {
  const rom = new Uint8Array(0x10000);
  const w32 = (at: number, v: number) => {
    rom[at - ROM] = v & 0xff; rom[at - ROM + 1] = (v >> 8) & 0xff; rom[at - ROM + 2] = (v >> 16) & 0xff; rom[at - ROM + 3] = (v >>> 24) & 0xff;
  };
  for (let v = 0; v < 256; v++) {
    // IVT: vector v -> 3000:0800+v. IDT: a 32-bit interrupt gate, DPL 3, to 08:30800+v.
    w32(ROM + v * 4, ((STUBS - ROM + v) & 0xffff) | ((ROM >> 4) << 16));
    rom[STUBS - ROM + v] = 0xf4; // HLT
    const offset = STUBS + v;
    w32(IDT + v * 8, (offset & 0xffff) | (SEL_CODE32 << 16));
    w32(IDT + v * 8 + 4, (offset & 0xffff0000) | 0xee00);
  }
  GDT_ENTRIES.forEach((d, i) => putDescriptor(rom, GDT - ROM + i * 8, d));
  // TSS: SS0:ESP0 for interrupts from CPL 3.
  w32(TSS + 4, STACK + 0xff00);
  w32(TSS + 8, SEL_DATA32);
  // Paging: 0-4 MiB through a page table (4 KiB pages), two 4 MiB (PSE) aliases of it, the rest not present.
  w32(PAGE_DIR, PAGE_TABLE | 0x27);
  w32(PAGE_DIR + 4, 0x00000083 | randomPageBits(r)); // 4-8 MiB -> 0 (PSE)
  w32(PAGE_DIR + 0x100 * 4, 0x00000083 | randomPageBits(r)); // 1 GiB -> 0 (PSE)
  for (let page = 0; page < 1024; page++) {
    const a = page << 12;
    let bits = 0x67; // present, writable, user, accessed, dirty
    if (a >= CODE && a < ROM + 0x10000) bits = 0x63; // code, stack and ROM: supervisor, present, writable
    else if (!r.chance(0.8)) bits = 0; // not present
    else bits = 0x61 | randomPageBits(r);
    w32(PAGE_TABLE + page * 4, a | bits);
  }
  return rom;
}

/** Random R/W and U/S bits of a page entry. */
function randomPageBits(r: Rng): number {
  return (r.chance(0.7) ? 2 : 0) | (r.chance(0.4) ? 4 : 0);
}

function segment(selector: number, base: number, limit: number, attributes: number): Segment {
  return { selector, base, limit, attributes };
}

const DATA32_ATTR = ATTR_REAL_DATA | ATTR_DB | ATTR_G;
const CODE32_ATTR = ATTR_REAL_CODE | ATTR_DB | ATTR_G;

/** The segment and control registers a stream of `mode` starts with (and returns to after a triple fault). */
export function modeSregs(mode: FuzzMode, base: Sregs, cr4Pse: boolean): Sregs {
  const s: Sregs = { ...base };
  s.gdtr = { base: GDT, limit: GDT_ENTRIES.length * 8 - 1 };
  s.tr = segment(SEL_TSS, TSS, 0x67, 0x8b);
  s.ldtr = segment(0, 0, 0xffff, 0x82);
  s.cr2 = 0;
  s.efer = 0;
  if (mode === 'real') {
    s.cr0 = 0x60000010;
    s.cr3 = 0;
    s.cr4 = 0;
    s.idtr = { base: ROM, limit: 0x3ff };
    s.cs = segment(CODE >> 4, CODE, 0xffff, ATTR_REAL_CODE);
    s.ds = segment(0, 0, 0xffff, ATTR_REAL_DATA);
    s.es = segment(0, 0, 0xffff, ATTR_REAL_DATA);
    s.fs = segment(0x100, 0x1000, 0xffff, ATTR_REAL_DATA);
    s.gs = segment(0, 0, 0xffff, ATTR_REAL_DATA);
    s.ss = segment(STACK >> 4, STACK, 0xffff, ATTR_REAL_DATA);
    return s;
  }
  s.idtr = { base: IDT, limit: 0x7ff };
  if (mode === 'vm86') {
    s.cr0 = 0x00000011;
    s.cr3 = 0;
    s.cr4 = 0;
    s.cs = segment(CODE >> 4, CODE, 0xffff, ATTR_VM86);
    s.ds = segment(0, 0, 0xffff, ATTR_VM86);
    s.es = segment(0, 0, 0xffff, ATTR_VM86);
    s.fs = segment(0x100, 0x1000, 0xffff, ATTR_VM86);
    s.gs = segment(0, 0, 0xffff, ATTR_VM86);
    s.ss = segment(STACK >> 4, STACK, 0xffff, ATTR_VM86);
    return s;
  }
  s.cr0 = 0x00000011 | (mode === 'paging' ? 0x80000000 : 0);
  s.cr3 = mode === 'paging' ? PAGE_DIR : 0;
  s.cr4 = mode === 'paging' && cr4Pse ? 0x10 : 0;
  const flat = segment(SEL_DATA32, 0, 0xffffffff, DATA32_ATTR);
  if (mode === 'pm16') {
    s.cs = segment(SEL_CODE16, CODE, 0xffff, ATTR_REAL_CODE);
    s.ss = segment(SEL_STACK16, STACK, 0xffff, ATTR_REAL_DATA);
    s.ds = segment(SEL_DATA16, 0, 0xffff, ATTR_REAL_DATA);
    s.es = { ...flat };
  } else {
    s.cs = segment(SEL_CODE32, 0, 0xffffffff, CODE32_ATTR);
    s.ss = { ...flat };
    s.ds = { ...flat };
    s.es = { ...flat };
  }
  s.fs = { ...flat };
  s.gs = segment(SEL_DATA16, 0, 0xffff, ATTR_REAL_DATA);
  return s;
}

/** EIP of code offset `off` in `mode` (the code segment is based at CODE in real, pm16 and vm86 mode, flat otherwise). */
export function codeEip(mode: FuzzMode, off: number): number {
  return isSegmentedMode(mode) ? off : CODE + off;
}

/** A random value for a general register: small, in the data area, anything, or an edge value. */
function randomRegister(r: Rng): number {
  const k = r.below(10);
  if (k < 4) return r.below(0x10000);
  if (k < 7) return DATA + r.below(0x10000);
  if (k < 9) return r.next32();
  // Edge values, and the MSR numbers the core has (for RDMSR/WRMSR/RDPMC through ECX).
  return r.pick([0, 0xffffffff, 0x80000000, 0x7fffffff, 0xffff, 0x8000, 1, 0x10, 0x1b, 0x174, 0x175, 0x176, 0x277, 0xc0000080, 0xc1, 0xc2, 0x186, 0x187]);
}

/** Random general registers and flags (IF mostly off, TF and NT rarely: they are worth a little, not a lot). */
export function randomRegs(r: Rng, mode: FuzzMode, eip: number): Regs {
  const regs: Regs = {
    eax: randomRegister(r), ecx: randomRegister(r), edx: randomRegister(r), ebx: randomRegister(r),
    esp: r.chance(0.9) ? 0x1000 + r.below(0xe000) + (isSegmentedMode(mode) ? 0 : STACK) : randomRegister(r),
    ebp: randomRegister(r), esi: randomRegister(r), edi: randomRegister(r), eip, eflags: 0,
  };
  let flags = 2 | (r.next32() & 0x8d5); // CF PF AF ZF SF DF OF
  if (r.chance(0.15)) flags |= 0x200; // IF
  if (r.chance(0.01)) flags |= 0x100; // TF
  if (r.chance(0.01)) flags |= 0x4000; // NT
  if (r.chance(0.05)) flags |= 0x40000; // AC
  if (mode !== 'real') flags |= r.below(4) << 12; // IOPL (in vm86: which instructions trap to the monitor)
  if (mode === 'vm86') flags |= EFLAGS_VM;
  regs.eflags = flags;
  return regs;
}

/** A Vm for one stream of `mode`: tables in ROM, code in RAM; the caller sets the registers. */
export function newFuzzVm(mode: FuzzMode, rom: Uint8Array, code: Uint8Array, cr4Pse: boolean): Vm {
  const vm = new Vm({ memoryBytes: RAM_BYTES });
  vm.memory.mapRom(ROM, rom);
  vm.memory.writePhysical(CODE, code);
  const vcpu = vm.vcpus[0];
  vcpu.setSregs(modeSregs(mode, vcpu.getSregs(), cr4Pse));
  return vm;
}
