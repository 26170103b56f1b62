// Running small NASM guests on the PC board with the built-in BIOS. A guest
// is a boot sector (prelude below) plus up to 16 more sectors loaded with
// INT 13h AH=02h; it stores its results in low memory (0000:0600 upwards,
// `R` in the source) and ends by writing to isa-debug-exit (port F4h).

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DiskImage, PcMachine, type MachineEvent } from '../../src/vmm/pc';

const CACHE = path.join(os.tmpdir(), 'vmexit-bios-tests');

/** Where guests put results. */
export const RESULTS = 0x600;

const PRELUDE = `
        bits    16
        org     0x7c00
R       equ     0x0600
start:
        jmp     0x0000:.go
.go:
        mov     [cs:entry_regs + 0], sp
        mov     [cs:entry_regs + 2], ss
        mov     [cs:entry_regs + 4], dx
        pushf
        pop     word [cs:entry_regs + 6]
        mov     [cs:entry_regs + 8], ds
        mov     [cs:entry_regs + 10], es
        xor     ax, ax
        mov     ds, ax
        mov     es, ax
        mov     ss, ax
        mov     sp, 0x7c00
        cld
        mov     [boot_drive], dl
        mov     ax, 0x0210               ; 16 more sectors to 0000:7E00
        mov     cx, 0x0002
        xor     dh, dh
        mov     bx, 0x7e00
        int     0x13
        jc      .load_failed
        jmp     main
.load_failed:
        mov     al, 0x7f
        out     0xf4, al
        jmp     $
done:
        xor     al, al
        out     0xf4, al
        cli
        hlt
        jmp     done
        align   2
entry_regs:     times 6 dw 0
boot_drive:     db 0
        times   510 - ($ - $$) db 0
        dw      0xaa55
main:
`;

const EPILOGUE = `
        times   17 * 512 - ($ - $$) db 0
`;

/** Assemble prelude + body (cached by content). */
export function assembleGuest(body: string): Uint8Array {
  const source = PRELUDE + body + EPILOGUE;
  const key = createHash('sha256').update(source).digest('hex').slice(0, 16);
  fs.mkdirSync(CACHE, { recursive: true });
  const bin = path.join(CACHE, `${key}.bin`);
  if (!fs.existsSync(bin)) {
    const asm = path.join(CACHE, `${key}.asm`);
    fs.writeFileSync(asm, source);
    const r = spawnSync('nasm', ['-f', 'bin', '-o', `${bin}.${process.pid}.tmp`, asm], { encoding: 'utf8' });
    if (r.error || r.status !== 0) throw new Error(`nasm failed: ${r.error?.message ?? r.stderr}`);
    fs.renameSync(`${bin}.${process.pid}.tmp`, bin);
  }
  return new Uint8Array(fs.readFileSync(bin));
}

export interface GuestRun {
  machine: PcMachine;
  event: MachineEvent;
  messages: string[];
  /** Result memory: bytes from 0000:0600. */
  r8(offset: number): number;
  r16(offset: number): number;
  r32(offset: number): number;
  /** The registers at the boot sector's entry: SP, SS, DX, FLAGS, DS, ES. */
  entry: { sp: number; ss: number; dx: number; flags: number; ds: number; es: number };
  floppy: DiskImage | null;
  hardDisk: DiskImage | null;
}

export interface GuestOptions {
  /** Boot from a hard disk of this many sectors (default: a 1.44M floppy). */
  hardDiskSectors?: number;
  /** Another floppy size (bytes), booted from. */
  floppyBytes?: number;
  /** Bytes to place after the program on the image: [lba, bytes]. */
  extra?: [number, Uint8Array][];
  budget?: number;
  memoryBytes?: number;
  /** Keys typed once the guest writes a nonzero byte to 0000:05FE. */
  typeWhenReady?: string;
}

/** Boot a guest and run it to its exit (or the budget). */
export function runGuest(body: string, options: GuestOptions = {}): GuestRun {
  const program = assembleGuest(body);
  const size = options.hardDiskSectors ? options.hardDiskSectors * 512 : (options.floppyBytes ?? 1474560);
  const image = new Uint8Array(size);
  image.set(program);
  for (const [lba, bytes] of options.extra ?? []) image.set(bytes, lba * 512);
  const hard = options.hardDiskSectors !== undefined;
  const floppy = hard ? null : DiskImage.floppy(image, 'test.img');
  const hardDisk = hard ? DiskImage.hard(image, 'test.img') : null;
  const messages: string[] = [];
  const machine = new PcMachine({
    memoryBytes: options.memoryBytes ?? 16 * 1024 * 1024,
    bios: null,
    floppy,
    hardDisk,
    boot: hard ? 'c' : 'a',
    onFirmwareMessage: (t) => messages.push(t),
  });
  const budget = options.budget ?? 20_000_000;
  const start = machine.vcpu.instructions;
  const ram = machine.vm.memory.ram;
  let typed = false;
  let event: MachineEvent = { kind: 'budget' };
  while (machine.vcpu.instructions - start < budget) {
    event = machine.run(Math.min(100_000, budget - (machine.vcpu.instructions - start)));
    if (options.typeWhenReady && !typed && ram[0x5fe] !== 0) {
      machine.typeText(options.typeWhenReady);
      typed = true;
    }
    if (event.kind === 'budget' || event.kind === 'stop') continue;
    if (event.kind === 'idle' && options.typeWhenReady && !typed) continue;
    break;
  }
  const rd16 = (a: number): number => ram[a] | (ram[a + 1] << 8);
  const entryAt = findEntryRegs(program);
  return {
    machine,
    event,
    messages,
    r8: (o) => ram[RESULTS + o],
    r16: (o) => rd16(RESULTS + o),
    r32: (o) => (rd16(RESULTS + o) | (rd16(RESULTS + o + 2) << 16)) >>> 0,
    entry: {
      sp: rd16(entryAt),
      ss: rd16(entryAt + 2),
      dx: rd16(entryAt + 4),
      flags: rd16(entryAt + 6),
      ds: rd16(entryAt + 8),
      es: rd16(entryAt + 10),
    },
    floppy,
    hardDisk,
  };
}

/** The address of `entry_regs` in the prelude: the aligned word block before `boot_drive`. */
function findEntryRegs(program: Uint8Array): number {
  // `mov [cs:entry_regs + 0], sp` is 2E 89 26 lo hi at the prelude's .go (offset 5).
  if (program[5] !== 0x2e || program[6] !== 0x89 || program[7] !== 0x26) throw new Error('prelude layout changed');
  return program[8] | (program[9] << 8);
}

export function hex(v: number, digits = 4): string {
  return v.toString(16).toUpperCase().padStart(digits, '0') + 'h';
}
