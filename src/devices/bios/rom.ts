// The built-in BIOS's ROM image: 64 KiB mapped at F0000-FFFFF (and its alias
// below 4 GiB), generated here with the byte emitter in ./asm.ts.
//
// Every interrupt entry is real x86 code. Services implemented in TypeScript
// begin with `OUT BIOS_TRAP_PORT, AL`: the Bios device answers that OUT by
// running the service at the next instruction boundary, where it reads and
// sets the caller's registers and the FLAGS image on the stack; the stub's
// IRET then returns to the caller. A guest stepping into INT 13h sees
// `out 0EFh, al` / `iret` and comes back to the instruction after its INT.
// The timer interrupt (INT 08h) and the small INT 11h/12h are plain x86 code.
//
// Entry points sit at the offsets of the IBM PC/AT BIOS (F000:E05B POST,
// F000:E3FE INT 13h, F000:FEA5 INT 08h, F000:FFF0 reset vector, ...), since
// some old software jumps to them directly or reads tables there (the model
// byte at F000:FFFE, the diskette parameter table at F000:EFC7).
//
// Fonts: the 8x8, 8x14 and 8x16 font tables exist (INT 10h AX=1130h returns
// pointers to them and INT 1Fh/43h point into them) but hold blank glyphs:
// the front ends draw text from the character codes, not from a ROM font.

import { Asm, Cond } from './asm';
import type { DiskImage } from '../disk';
import { buildMpTables } from './mpTable';

/**
 * The BIOS's private trap port. No PC device or chipset decodes port EFh
 * (the DMA page registers end at 8Fh, the 0xE9 debug console and 0xF4
 * isa-debug-exit are elsewhere, the math coprocessor starts at F0h); an OUT
 * to it from code outside the ROM is ignored.
 */
export const BIOS_TRAP_PORT = 0xef;

export const BIOS_SEGMENT = 0xf000;
export const ROM_BASE = 0xf0000;
export const ROM_SIZE = 0x10000;
/** Where the MP floating pointer and configuration table sit (F000:3000, after the general code area). */
export const MP_TABLE_OFFSET = 0x3000;

/** The services the ROM's stubs trap to. */
export type TrapName =
  | 'post'
  | 'int09'
  | 'int10'
  | 'int13'
  | 'int14'
  | 'int15'
  | 'int15wait'
  | 'int16'
  | 'int17'
  | 'int18'
  | 'int19'
  | 'int1a'
  | 'int70';

/** Offsets (in segment F000h) of the entry points and tables the IVT and the services use. */
export interface RomLayout {
  post: number;
  dummyIret: number;
  int05: number;
  int08: number;
  int09: number;
  int0e: number;
  eoiMaster: number;
  eoiSlave: number;
  int10: number;
  int11: number;
  int12: number;
  int13: number;
  int14: number;
  int15: number;
  int15Wait: number;
  int16: number;
  int16Wait: number;
  int17: number;
  int18: number;
  int19: number;
  int19NoBoot: number;
  int1a: number;
  int40: number;
  int70: number;
  videoParams: number;
  diskettePpt: number;
  hardDiskParams: number[];
  configTable: number;
  font8x8: number;
  font8x8High: number;
  font8x14: number;
  font8x16: number;
  /** The flat GDT of a direct kernel boot (4 entries). */
  directBootGdt: number;
}

export interface BuiltRom {
  image: Uint8Array;
  layout: RomLayout;
  /** Offset just after each trap OUT (the IP a service sees) -> service. */
  traps: Map<number, TrapName>;
}

/** Model byte at F000:FFFE: FCh, an AT-class machine. */
export const MODEL_BYTE = 0xfc;
export const SUBMODEL_BYTE = 0x01;

/**
 * The diskette parameter table (INT 1Eh) for a 1.44M drive: step rate and
 * head unload, head load and DMA, motor-off delay, bytes per sector code,
 * sectors per track, gap length, data length, format gap, format fill byte,
 * head settle time, motor start time.
 */
const DISKETTE_PARAMETERS_1440K = [0xaf, 0x02, 0x25, 0x02, 18, 0x1b, 0xff, 0x6c, 0xf6, 0x0f, 0x08];

/** Feature byte 1 of the configuration table: EBDA allocated, INT 15h/4Fh called by INT 09h, RTC, second 8259. */
const CONFIG_FEATURES_1 = 0x04 | 0x10 | 0x20 | 0x40;

/** An AT fixed-disk parameter table (INT 41h/46h) for a disk's CHS translation. */
function hardDiskTable(disk: DiskImage | undefined): number[] {
  const t = new Array<number>(16).fill(0);
  if (!disk) return t;
  const cylinders = disk.chsCylinders;
  const heads = disk.geometry.heads;
  t[0] = cylinders & 0xff;
  t[1] = cylinders >> 8;
  t[2] = heads;
  t[5] = 0xff; // no write precompensation
  t[6] = 0xff;
  t[8] = heads > 8 ? 0x08 : 0x00; // control byte: more than 8 heads
  t[12] = cylinders & 0xff; // landing zone
  t[13] = cylinders >> 8;
  t[14] = disk.geometry.sectorsPerTrack;
  return t;
}

export function buildRom(hardDisks: readonly DiskImage[], cpus: number): BuiltRom {
  const a = new Asm(ROM_SIZE);
  const traps = new Map<number, TrapName>();
  const trap = (name: TrapName): void => {
    a.outImm(BIOS_TRAP_PORT);
    traps.set(a.pc, name);
  };

  // ---- Identification and fonts at the bottom of the segment.
  a.org(0x0000).ascii('vmexit built-in BIOS\0');
  a.org(0x0100).label('font8x16').space(256 * 16);
  a.label('font8x14').space(256 * 14);
  a.label('font8x8High').space(128 * 8);

  // ---- General code area for the bodies that do not fit at the IBM offsets.
  a.org(0x2400);
  a.label('banner').ascii('vmexit BIOS\0');

  // IRQ 2-7 without a handler: end of interrupt at the master PIC.
  a.label('eoiMaster').pushAx().movAlImm(0x20).outImm(0x20).popAx().iret();
  // IRQ 9-15 without a handler: end of interrupt at both PICs.
  a.label('eoiSlave').pushAx().movAlImm(0x20).outImm(0xa0).outImm(0x20).popAx().iret();

  // INT 70h, the RTC (IRQ8): the service reads register C (acknowledging the
  // RTC) and runs the INT 15h 83h/86h wait counters; then EOI to both PICs.
  a.label('int70').pushAx();
  trap('int70');
  a.movAlImm(0x20).outImm(0xa0).outImm(0x20).popAx().iret();

  // INT 18h: no bootable device. The service prints the message; then halt.
  a.label('int18');
  trap('int18');
  a.label('int18Halt').cli().hlt().jmpShort('int18Halt');

  // INT 19h: the service loads the boot sector to 0000:7C00 and sets DL,
  // DS, ES, SS:SP; on failure it continues at int19NoBoot.
  a.label('int19Body');
  trap('int19');
  a.sti().jmpFar(0x0000, 0x7c00);
  a.label('int19NoBoot').int(0x18).jmpShort('int18Halt');

  // Hard-disk parameter table for a second disk (the first is at E401h).
  a.label('hardDiskParams1').db(...hardDiskTable(hardDisks[1]));

  // The GDT a kernel loaded with --kernel starts on: flat 4 GiB code at 10h and
  // data at 18h, the selectors Linux's 32-bit boot protocol names (__BOOT_CS,
  // __BOOT_DS); Multiboot kernels get the same.
  a.org((a.pc + 7) & ~7).label('directBootGdt').space(16);
  a.db(0xff, 0xff, 0x00, 0x00, 0x00, 0x9b, 0xcf, 0x00);
  a.db(0xff, 0xff, 0x00, 0x00, 0x00, 0x93, 0xcf, 0x00);

  // ---- The MP specification tables (processors, IOAPIC, interrupt routing), on a paragraph boundary.
  a.org(MP_TABLE_OFFSET).label('mpFloatingPointer').db(...buildMpTables(cpus, ROM_BASE + MP_TABLE_OFFSET));

  // ---- IBM PC/AT compatible entry points.
  // POST: everything in the service; then boot.
  a.org(0xe05b).label('post').cli().db(0xfc); // CLD
  trap('post');
  a.int(0x19).int(0x18);
  a.label('postHalt').cli().hlt().jmpShort('postHalt');

  // NMI: nothing to report.
  a.org(0xe2c3).label('nmi').iret();

  // INT 13h, disks (floppies and hard disks in one service).
  a.org(0xe3fe).label('int13');
  trap('int13');
  a.iret();
  a.org(0xe401).label('hardDiskParams0').db(...hardDiskTable(hardDisks[0]));

  // INT 19h bootstrap, and the system configuration table (INT 15h AH=C0h).
  a.org(0xe6f2).label('int19').jmpNear('int19Body');
  a.org(0xe6f5).label('configTable').dw(8).db(MODEL_BYTE, SUBMODEL_BYTE, 0, CONFIG_FEATURES_1, 0, 0, 0, 0);

  // INT 14h, serial ports.
  a.org(0xe739).label('int14');
  trap('int14');
  a.iret();

  // INT 16h, keyboard. A read with an empty buffer continues at int16Wait:
  // interrupts on, halt until the next interrupt (a key, the timer), retry.
  a.org(0xe82e).label('int16');
  trap('int16');
  a.iret();
  a.label('int16Wait').sti().hlt().cli().jmpShort('int16');

  // INT 09h, keyboard IRQ1: read the scan code, offer it to INT 15h AH=4Fh
  // (which returns CF clear to swallow it), then the service translates and
  // buffers it; EOI.
  a.org(0xe987).label('int09').pushAx().inImm(0x60).movAhImm(0x4f).stc().int(0x15);
  a.jcc(Cond.AE, 'int09Done'); // JNC
  trap('int09');
  a.label('int09Done').cli().movAlImm(0x20).outImm(0x20).popAx().iret();

  // INT 40h, the diskette service (INT 13h hands floppies to it on an AT; here the same service).
  a.org(0xec59).label('int40');
  trap('int13');
  a.iret();

  // INT 0Eh, diskette controller IRQ6.
  a.org(0xef57).label('int0e').pushAx().movAlImm(0x20).outImm(0x20).popAx().iret();

  // Diskette parameter table (INT 1Eh).
  a.org(0xefc7).label('diskettePpt').db(...DISKETTE_PARAMETERS_1440K);

  // INT 17h, printer.
  a.org(0xefd2).label('int17');
  trap('int17');
  a.iret();

  // INT 10h, video.
  a.org(0xf065).label('int10');
  trap('int10');
  a.iret();
  // Video parameter table (INT 1Dh): present, not filled in.
  a.org(0xf0a4).label('videoParams');

  // INT 12h: memory size in KiB from 0040:0013.  push ds / mov ax,40h / mov ds,ax / mov ax,[13h] / pop ds / iret
  a.org(0xf841).label('int12').pushDs().db(0xb8, 0x40, 0x00, 0x8e, 0xd8, 0xa1, 0x13, 0x00).popDs().iret();
  // INT 11h: equipment word from 0040:0010.
  a.org(0xf84d).label('int11').pushDs().db(0xb8, 0x40, 0x00, 0x8e, 0xd8, 0xa1, 0x10, 0x00).popDs().iret();

  // INT 15h, system services. AH=86h (and the RTC wait) continues at
  // int15Wait until the RTC's periodic interrupt has counted the time down.
  a.org(0xf859).label('int15');
  trap('int15');
  a.iret();
  a.label('int15Wait').sti().hlt().cli();
  trap('int15wait');
  a.iret();

  // 8x8 font, characters 0-127 (INT 43h).
  a.org(0xfa6e).label('font8x8').space(128 * 8);

  // INT 1Ah, time of day and RTC.
  a.org(0xfe6e).label('int1a');
  trap('int1a');
  a.iret();

  // INT 08h, timer IRQ0: count ticks at 0040:006C with the midnight rollover
  // (1800B0h ticks a day; 0040:0070 is set), call the user hook INT 1Ch, EOI.
  a.org(0xfea5).label('int08');
  a.pushDs().pushAx();
  a.db(0xb8, 0x40, 0x00); //          mov  ax, 0040h
  a.db(0x8e, 0xd8); //                mov  ds, ax
  a.db(0xff, 0x06, 0x6c, 0x00); //    inc  word [006Ch]
  a.jcc(Cond.NE, 'int08NoCarry');
  a.db(0xff, 0x06, 0x6e, 0x00); //    inc  word [006Eh]
  a.label('int08NoCarry');
  a.db(0x83, 0x3e, 0x6e, 0x00, 0x18); // cmp word [006Eh], 18h
  a.jcc(Cond.B, 'int08Hook');
  a.db(0x81, 0x3e, 0x6c, 0x00, 0xb0, 0x00); // cmp word [006Ch], 00B0h
  a.jcc(Cond.B, 'int08Hook');
  a.db(0x31, 0xc0); //                xor  ax, ax
  a.db(0xa3, 0x6c, 0x00); //          mov  [006Ch], ax
  a.db(0xa3, 0x6e, 0x00); //          mov  [006Eh], ax
  a.db(0xc6, 0x06, 0x70, 0x00, 0x01); // mov byte [0070h], 1
  a.label('int08Hook');
  a.int(0x1c);
  a.cli().movAlImm(0x20).outImm(0x20);
  a.popAx().popDs().iret();

  // Dummy handler for unused vectors, and INT 05h (print screen: nothing to print on).
  a.org(0xff53).label('dummyIret').iret();
  a.org(0xff54).label('int05').iret();

  // Reset vector, BIOS date, model byte.
  a.org(0xfff0).label('reset').jmpFar(BIOS_SEGMENT, 0xe05b);
  a.org(0xfff5).ascii('01/01/26');
  a.org(0xfffe).db(MODEL_BYTE);

  const image = a.finish();
  // Checksum byte: the 64 KiB sum to zero, as option-ROM-style checks expect.
  let sum = 0;
  for (let i = 0; i < ROM_SIZE - 1; i++) sum += image[i];
  image[ROM_SIZE - 1] = -sum & 0xff;

  const layout: RomLayout = {
    post: a.addr('post'),
    dummyIret: a.addr('dummyIret'),
    int05: a.addr('int05'),
    int08: a.addr('int08'),
    int09: a.addr('int09'),
    int0e: a.addr('int0e'),
    eoiMaster: a.addr('eoiMaster'),
    eoiSlave: a.addr('eoiSlave'),
    int10: a.addr('int10'),
    int11: a.addr('int11'),
    int12: a.addr('int12'),
    int13: a.addr('int13'),
    int14: a.addr('int14'),
    int15: a.addr('int15'),
    int15Wait: a.addr('int15Wait'),
    int16: a.addr('int16'),
    int16Wait: a.addr('int16Wait'),
    int17: a.addr('int17'),
    int18: a.addr('int18'),
    int19: a.addr('int19'),
    int19NoBoot: a.addr('int19NoBoot'),
    int1a: a.addr('int1a'),
    int40: a.addr('int40'),
    int70: a.addr('int70'),
    videoParams: a.addr('videoParams'),
    diskettePpt: a.addr('diskettePpt'),
    hardDiskParams: [a.addr('hardDiskParams0'), a.addr('hardDiskParams1')],
    configTable: a.addr('configTable'),
    font8x8: a.addr('font8x8'),
    font8x8High: a.addr('font8x8High'),
    font8x14: a.addr('font8x14'),
    font8x16: a.addr('font8x16'),
    directBootGdt: a.addr('directBootGdt'),
  };
  return { image, layout, traps };
}
