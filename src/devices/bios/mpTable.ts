// The Intel MultiProcessor Specification 1.4 tables the built-in BIOS
// leaves in its ROM, so an OS finds the processors and the IOAPIC (MP spec
// chapter 4): the MP floating pointer structure ("_MP_", on a 16-byte
// boundary in F0000-FFFFF, where §4 tells the OS to search) and the MP
// configuration table ("PCMP") it points to, with processor entries (the
// BSP flag on vCPU 0), one ISA bus, the IOAPIC, the ISA interrupt
// assignments and the local interrupt assignments. Every checksum makes
// its structure sum to zero.

import { CPUID_APIC, CPUID_FEATURES_EDX, CPUID_SIGNATURE } from '../../cpu/ops/misc';
import { APIC_BASE_ADDRESS, APIC_VERSION } from '../lapic';
import { IOAPIC_BASE_ADDRESS, IOAPIC_VERSION, ioApicPinOfIsaIrq } from '../ioapic';

/** Entry types (MP spec table 4-3). */
const PROCESSOR = 0, BUS = 1, IO_APIC = 2, IO_INTERRUPT = 3, LOCAL_INTERRUPT = 4;
/** Interrupt types (table 4-9). */
const INT = 0, NMI = 1, EXTINT = 3;

class Bytes {
  readonly out: number[] = [];
  u8(...v: number[]): this {
    for (const b of v) this.out.push(b & 0xff);
    return this;
  }
  u16(v: number): this {
    return this.u8(v, v >> 8);
  }
  u32(v: number): this {
    return this.u8(v, v >> 8, v >> 16, v >>> 24);
  }
  ascii(s: string, length: number): this {
    for (let i = 0; i < length; i++) this.u8(i < s.length ? s.charCodeAt(i) : 0x20);
    return this;
  }
}

/** Set byte `at` so that the bytes [start, end) sum to zero modulo 256. */
function checksum(bytes: number[], start: number, end: number, at: number): void {
  let sum = 0;
  for (let i = start; i < end; i++) if (i !== at) sum += bytes[i];
  bytes[at] = (0x100 - (sum & 0xff)) & 0xff;
}

/**
 * The floating pointer followed by the configuration table, for physical
 * address `address` (16-byte aligned): the pointer's field names the table
 * 16 bytes further on.
 */
export function buildMpTables(cpus: number, address: number): Uint8Array {
  if (address % 16 !== 0) throw new Error('the MP floating pointer must be on a 16-byte boundary');
  const ioApicId = cpus; // after the processors' IDs 0 .. cpus-1
  const entries = new Bytes();
  let count = 0;
  for (let id = 0; id < cpus; id++) {
    // Enabled; the bootstrap processor flagged. Signature and features as CPUID leaf 1 reports them.
    entries.u8(PROCESSOR, id, APIC_VERSION & 0xff, 1 | (id === 0 ? 2 : 0)).u32(CPUID_SIGNATURE).u32(CPUID_FEATURES_EDX | CPUID_APIC).u32(0).u32(0);
    count++;
  }
  entries.u8(BUS, 0).ascii('ISA', 6);
  entries.u8(IO_APIC, ioApicId, IOAPIC_VERSION & 0xff, 1).u32(IOAPIC_BASE_ADDRESS);
  count += 2;
  // ISA IRQs, edge-triggered active-high ("conforms to the bus", flags 0); IRQ2 is the cascade, not a device line.
  for (let irq = 0; irq < 16; irq++) {
    if (irq === 2) continue;
    entries.u8(IO_INTERRUPT, INT).u16(0).u8(0, irq, ioApicId, ioApicPinOfIsaIrq(irq));
    count++;
  }
  // The 8259 reaches the BSP's LINT0 (virtual wire); LINT1 is the NMI input of every local APIC.
  entries.u8(LOCAL_INTERRUPT, EXTINT).u16(0).u8(0, 0, 0, 0);
  entries.u8(LOCAL_INTERRUPT, NMI).u16(0).u8(0, 0, 0xff, 1);
  count += 2;

  const tableAddress = address + 16;
  const header = new Bytes()
    .ascii('PCMP', 4)
    .u16(44 + entries.out.length)
    .u8(4, 0) // spec revision 1.4, checksum
    .ascii('VMEXIT', 8)
    .ascii('PC', 12)
    .u32(0) // no OEM table
    .u16(0)
    .u16(count)
    .u32(APIC_BASE_ADDRESS)
    .u16(0) // no extended table
    .u8(0, 0);
  const table = [...header.out, ...entries.out];
  checksum(table, 0, table.length, 7);

  const pointer = new Bytes()
    .ascii('_MP_', 4)
    .u32(tableAddress)
    .u8(1, 4, 0) // length in paragraphs, revision 1.4, checksum
    .u8(0) // feature byte 1: the configuration table is present (no default configuration)
    .u8(0) // feature byte 2: IMCRP clear, virtual wire mode
    .u8(0, 0, 0).out;
  checksum(pointer, 0, 16, 10);
  return Uint8Array.from([...pointer, ...table]);
}
