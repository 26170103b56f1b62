// The i440FX PCI and memory controller (PMC), 00:00.0, as QEMU's `pc` board
// presents it (Intel 82441FX datasheet, 290549; QEMU hw/pci-host/i440fx.c
// for the values): 8086:1237 revision 02h, class 0600h (host bridge), and
// the registers firmware programs:
//
// - PAM0-PAM6 (59h-5Fh), the programmable attribute map of upper memory:
//   PAM0 bits 5-4 decode F0000h-FFFFFh (the BIOS), and each of PAM1-PAM6 has
//   a nibble per 16 KiB of C0000h-EFFFFh (low nibble the lower half). In a
//   nibble, bit 0 (RE) sends reads to DRAM and bit 1 (WE) sends writes to
//   DRAM; a clear bit leaves the access to the PCI bus, where the ROMs are.
//   At reset every nibble is 0: the BIOS runs from ROM, then SeaBIOS sets
//   RE|WE, copies itself into the DRAM below and makes it read-only (RE).
// - SMRAM (72h), 02h at reset (the C_BASE_SEG code for A0000h): kept as a
//   register. Without SMM in the CPU nothing sees SMRAM, so its D_OPEN and
//   G_SMRAME bits do not remap A0000h-BFFFFh (the VGA window stays there).
// - 57h, the RAM size in 8 MiB units (255 at most), which QEMU sets for old
//   coreboot.

import type { ShadowControl, ShadowMode } from '../bus';
import { PciFunction, type PciFunctionState, overlaps } from './pciFunction';

export const I440FX_PAM0 = 0x59;
export const I440FX_SMRAM = 0x72;
const PAM_COUNT = 7;

export interface I440fxState extends PciFunctionState {
  /** base64 of the DRAM behind C0000h-FFFFFh, and the per-page decoding. */
  shadowDram?: string;
  shadowBits?: number[];
}

/** The upper-memory ranges PAM nibbles decode: [register, high nibble?, start, length]. */
function pamRanges(): [number, boolean, number, number][] {
  const out: [number, boolean, number, number][] = [[I440FX_PAM0, true, 0xf0000, 0x10000]];
  for (let i = 0; i < 12; i++) out.push([I440FX_PAM0 + 1 + (i >> 1), (i & 1) === 1, 0xc0000 + i * 0x4000, 0x4000]);
  return out;
}
const PAM_RANGES = pamRanges();

export class I440fxHostBridge extends PciFunction {
  constructor(
    private readonly memory: ShadowControl,
    ramBytes: number,
  ) {
    super('i440fx', { vendor: 0x8086, device: 0x1237, revision: 0x02, classCode: 0x060000, headerType: 0x00 });
    this.config[I440FX_SMRAM] = 0x02;
    this.config[0x57] = Math.min(255, Math.floor(ramBytes / (8 << 20)));
    this.sealResetState();
  }

  /** The decoding a PAM nibble asks for. */
  static modeOf(nibble: number): ShadowMode {
    return { readDram: (nibble & 1) !== 0, writeDram: (nibble & 2) !== 0 };
  }

  protected override written(offset: number, size: number): void {
    if (overlaps(offset, size, I440FX_PAM0, PAM_COUNT)) this.applyPam();
  }

  private applyPam(): void {
    for (const [register, high, start, length] of PAM_RANGES) {
      const value = this.config[register];
      this.memory.setShadow(start, length, I440fxHostBridge.modeOf(high ? value >> 4 : value));
    }
  }

  override saveState(): I440fxState {
    const shadow = this.memory.saveShadow();
    return {
      ...super.saveState(),
      ...(shadow ? { shadowDram: Buffer.from(shadow.dram).toString('base64'), shadowBits: shadow.bits } : {}),
    };
  }

  override loadState(state: I440fxState): void {
    super.loadState(state);
    // RAM (the read view of upper memory) is restored already; only the DRAM store and decoding follow.
    if (state.shadowDram && state.shadowBits) this.memory.loadShadow({ dram: new Uint8Array(Buffer.from(state.shadowDram, 'base64')), bits: state.shadowBits });
  }
}
