// What the built-in BIOS needs from the board that carries it.

import type { Cpu } from '../../cpu/cpu';
import type { IoPorts } from '../../cpu/bus';
import type { GuestRam } from '../bus';
import type { CdImage } from '../cdImage';
import type { DiskImage } from '../disk';
import type { DirectBoot } from '../loaders/directBoot';
import type { VgaMode } from '../vgaText';

/**
 * The part of the VGA device the BIOS uses beyond its ports: which view the
 * screen shows (text or mode 13h). Everything else (cursor, start address,
 * palette, the frame buffers in RAM) goes through the VGA's ports and
 * memory, as real firmware does. `VgaText` (src/devices/vgaText.ts) fits.
 */
export interface BiosVga {
  mode: VgaMode;
}

export interface BiosHost {
  /** Guest physical memory (the frame buffers, IVT, BDA and disk buffers are RAM). */
  memory: GuestRam;
  /** The port bus: the BIOS programs the PIC, PIT, RTC, UART and VGA through it. */
  ports: IoPorts;
  /**
   * Run `work` at the next instruction boundary with the CPU stopped (after
   * the OUT to the trap port completes): the firmware service reads and
   * changes the CPU's registers there.
   */
  atBoundary(work: (cpu: Cpu) => void): void;
  /** Drives A: and B: (null: no drive). */
  floppies: (DiskImage | null)[];
  /** Drives 80h, 81h, ... */
  hardDisks: DiskImage[];
  /** A kernel given with --kernel: INT 19h starts it instead of reading a boot sector. */
  directBoot?: DirectBoot | null;
  /** The CD-ROM (INT 13h drive E0h), booted through El Torito. */
  cdrom?: CdImage | null;
  /** The kinds of drive INT 19h tries, in order. */
  bootOrder: ('floppy' | 'hard' | 'cdrom')[];
  /** Guest RAM size in bytes (the memory map, INT 12h/15h). */
  memoryBytes: number;
  /** vCPUs, for the MP table (the APs are left waiting for a Start-up IPI). */
  cpus: number;
  vga: BiosVga;
  /** BIOS diagnostics shown to the user, e.g. "vmexit BIOS: no bootable device". */
  message(text: string): void;
}
