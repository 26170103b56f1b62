// The PIIX3 south bridge's PCI functions on QEMU's `pc` board (Intel 82371SB
// datasheet, 290550; reset values as QEMU's hw/isa/piix.c and hw/ide/piix.c
// give them):
//
// - 00:01.0, the PCI-to-ISA bridge, 8086:7000, class 0601h, header type 80h
//   (function 0 of a multi-function device). Its PIRQ route control
//   registers 60h-63h map PCI interrupts PIRQA#-PIRQD# to ISA IRQs (bit 7 set:
//   not routed; 80h at reset; SeaBIOS writes 10, 10, 11, 11). irqOfPirq reads
//   that routing for the PCI devices that raise interrupts.
// - 00:01.1, the IDE controller, 8086:7010, class 0101h with programming
//   interface 80h: both channels in legacy (compatibility) mode at
//   1F0h/3F6h IRQ 14 and 170h/376h IRQ 15, and the bus-master capability
//   whose 16-byte I/O BAR 4 firmware sizes and assigns. The configuration
//   space is here; the ATA channels behind the legacy ports are the disk
//   controller's (a separate device), and bus-master DMA is not modelled
//   (SeaBIOS drives the disks by PIO).

import { PCI_COMMAND, PCI_STATUS, PciFunction } from './pciFunction';

export const PIIX3_PIRQ_ROUTE = 0x60;

export class Piix3IsaBridge extends PciFunction {
  constructor() {
    super('piix3', { vendor: 0x8086, device: 0x7000, revision: 0x00, classCode: 0x060100, headerType: 0x80 });
    const c = this.config;
    this.set16(PCI_COMMAND, 0x0007); // I/O, memory, bus master
    this.set16(PCI_STATUS, 0x0200); // DEVSEL# medium
    c[0x4c] = 0x4d; // ISA I/O recovery timer
    c[0x4e] = 0x03; // X-bus chip select (BIOS ROM, keyboard controller)
    c.fill(0x80, PIIX3_PIRQ_ROUTE, PIIX3_PIRQ_ROUTE + 4);
    c[0x69] = 0x02; // top of memory
    c[0x70] = 0x80; // motherboard device IRQ route (MBIRQ0): disabled
    c[0x76] = 0x0c; // motherboard DMA control
    c[0x77] = 0x0c;
    c[0x78] = 0x02; // programmable chip select
    c[0xa0] = 0x08; // SMI control
    c[0xa8] = 0x0f; // system event enable
    this.sealResetState();
  }

  /** The ISA IRQ PIRQ `pirq` (0-3 for A-D) is routed to, or null when its route is disabled or reserved. */
  irqOfPirq(pirq: number): number | null {
    const route = this.config[PIIX3_PIRQ_ROUTE + pirq];
    if (route & 0x80) return null;
    const irq = route & 0x0f;
    // IRQ 0-2, 8 and 13 are reserved encodings (datasheet 2.2.13).
    return irq < 3 || irq === 8 || irq === 13 ? null : irq;
  }
}

export class Piix3Ide extends PciFunction {
  constructor() {
    super('piix3-ide', { vendor: 0x8086, device: 0x7010, revision: 0x00, classCode: 0x010180, headerType: 0x00 });
    this.set16(PCI_STATUS, 0x0280); // DEVSEL# medium, fast back-to-back
    this.ioBar(4, 16); // bus-master IDE registers
    this.sealResetState();
  }
}
