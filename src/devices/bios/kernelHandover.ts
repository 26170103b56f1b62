// The built-in BIOS's hand-over to a kernel given with --kernel. POST runs
// as for any boot (IVT, BDA and EBDA, PIC, PIT, RTC, COM1, VGA: a kernel may
// read the BIOS data); then INT 19h, instead of reading a boot sector, calls
// here: A20 on through port 92h, the loader writes the kernel, its modules or
// initrd and its boot information into RAM, and the CPU is switched straight
// to the state both boot protocols require (Multiboot spec §3.2, Linux
// boot.rst "32-bit boot protocol"): CR0.PE set and paging off, CS a flat
// 4 GiB execute/read segment (selector 10h), DS/ES/FS/GS/SS flat read/write
// (18h), GDTR at the ROM's flat GDT, EFLAGS with IF and VM clear, and the
// protocol's registers (EAX magic and EBX info for Multiboot, ESI the
// boot_params for Linux; the others zero). The INT 19h stub's far jump to
// 0000:7C00 never runs: the CPU continues at the kernel's entry point.

import type { Cpu } from '../../cpu/cpu';
import {
  ATTR_DB, ATTR_G, ATTR_P, ATTR_S, ATTR_TYPE_ACCESSED, ATTR_TYPE_CODE, ATTR_TYPE_WRITABLE, CR0_PE, CR0_PG, FIXED1, Segment,
} from '../../cpu/state';
import type { DirectBoot } from '../loaders/directBoot';
import type { BiosEnv } from './env';
import { ROM_BASE } from './rom';
import { BOOT_STACK_TOP, e820Map } from './system';

/** Selectors of the flat segments in the ROM's GDT (Linux's __BOOT_CS and __BOOT_DS). */
export const BOOT_CS = 0x10;
export const BOOT_DS = 0x18;

function flat(selector: number, code: boolean): Segment {
  const type = ATTR_TYPE_WRITABLE | ATTR_TYPE_ACCESSED | (code ? ATTR_TYPE_CODE : 0);
  return { selector, base: 0, limit: 0xffffffff, attributes: ATTR_P | ATTR_S | ATTR_DB | ATTR_G | type };
}

/** Load the kernel into RAM and enter it in 32-bit protected mode (see above). */
export function startKernel(env: BiosEnv, cpu: Cpu, boot: DirectBoot): void {
  env.outb(0x92, env.inb(0x92) | 0x02);
  const handover = boot.place(env.host.memory, e820Map(env.host.memoryBytes));
  const s = cpu.getSregs();
  const data = flat(BOOT_DS, false);
  cpu.setSregs({
    ...s,
    cs: flat(BOOT_CS, true), ds: data, es: { ...data }, fs: { ...data }, gs: { ...data }, ss: { ...data },
    gdtr: { base: ROM_BASE + env.layout.directBootGdt, limit: 4 * 8 - 1 },
    cr0: ((s.cr0 | CR0_PE) & ~CR0_PG) >>> 0,
  });
  cpu.setRegs({
    eax: handover.eax, ebx: handover.ebx, ecx: 0, edx: 0, esi: handover.esi, edi: 0, ebp: 0,
    esp: BOOT_STACK_TOP, eip: handover.eip, eflags: FIXED1,
  });
}
