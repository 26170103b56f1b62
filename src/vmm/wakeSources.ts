// Can anything still wake a guest whose vCPUs have all stopped? Asked only
// when no vCPU can run (every one halted or waiting for a Start-up IPI), off
// the instruction path. A halted vCPU wakes on an interrupt or an NMI (SDM
// vol. 3 §9.7 HLT, §6.3); with every vCPU stopped nobody can send an IPI, a
// SIPI or an NMI, so what is left are the board's interrupt sources, and each
// has a mask on its way to a CPU:
// - a device's ISA line -> the 8259 pair (IMR; IRQ8-15 also through the
//   master's cascade input) -> LINT0 of vCPU 0's local APIC (passed through
//   while the APIC is disabled or LINT0 is ExtINT, else its LVT entry);
// - the same line -> its IOAPIC pin (redirection entry mask) -> a local APIC;
// - each local APIC's timer (LVT timer mask; an APIC software-disabled has
//   every LVT entry masked);
// - a request already pending in a local APIC (counted as a way out, since
//   only the guest's EOI or TPR write would free a blocked one: we do not
//   call a guest dead on a guess).
// A line no device drives (vm.wiredIsaIrqs) carries nothing. The answer is
// null when something can wake the guest, else why nothing can, in words.

import { IF } from '../cpu/state';
import { ioApicPinOfIsaIrq } from '../devices/ioapic';
import type { Vm } from './vm';

function list(numbers: readonly number[]): string {
  return numbers.join(', ');
}

function hex2(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}

/**
 * Null when a stopped guest can still be woken (or a vCPU can run); else the
 * reason nothing can wake it, e.g. "every 8259 interrupt line is masked
 * (IMR FFh/FFh); every IOAPIC entry is masked; no local APIC timer is armed".
 */
export function nothingWakes(vm: Vm): string | null {
  const waiting = vm.vcpus.filter((v) => v.state === 'halted' && (v.cpu.flags & IF) !== 0);
  // A vCPU that can run, or none waiting with interrupts on (that is the plain "halted" case).
  if (waiting.length === 0 || vm.vcpus.some((v) => v.runnable || v.state === 'running')) return null;
  if (waiting.some((v) => v.cpu.nmiPending)) return null;

  const wired = vm.wiredIsaIrqs();
  const picOpen = vm.pic.openLines();
  const picLive = picOpen.filter((irq) => wired.has(irq));
  const ioapicOpen = new Set(vm.ioapic.unmaskedPins());
  const ioapicLive = [...wired].filter((irq) => ioapicOpen.has(ioApicPinOfIsaIrq(irq)));

  const maskedTimers: number[] = [];
  for (const v of waiting) {
    const paths = v.lapic.wakePaths();
    if (paths.pending || paths.timer === 'armed') return null;
    if (paths.timer === 'masked') maskedTimers.push(v.index);
    if (v.index === 0 && paths.lint0 && picLive.length > 0) return null;
    if (v.lapic.present && ioapicLive.length > 0) return null;
  }

  const why: string[] = [];
  const [masterImr, slaveImr] = vm.pic.masks();
  if (picOpen.length === 0) why.push(`every 8259 interrupt line is masked (IMR ${hex2(masterImr)}h/${hex2(slaveImr)}h)`);
  else if (picLive.length === 0) why.push(`the unmasked 8259 lines (IRQ ${list(picOpen)}) have no device on them`);
  else if (!waiting.some((v) => v.index === 0)) why.push(`the 8259 (IRQ ${list(picLive)} open) reaches only vCPU 0, which is not waiting for it`);
  else why.push(`the 8259 (IRQ ${list(picLive)} open) cannot reach the CPU: LINT0 is masked in vCPU 0's local APIC`);
  if (ioapicOpen.size === 0) why.push('every IOAPIC redirection entry is masked');
  else if (ioapicLive.length === 0) why.push('the unmasked IOAPIC entries have no device on their pins');
  else why.push('the local APICs that could take IOAPIC interrupts are disabled');
  why.push(maskedTimers.length > 0 ? `the local APIC timer is armed but masked (vCPU ${list(maskedTimers)})` : 'no local APIC timer is armed');
  const sipi = vm.vcpus.filter((v) => v.state === 'waiting-for-sipi').map((v) => v.index);
  if (sipi.length > 0) why.push(`vCPU ${list(sipi)} wait${sipi.length === 1 ? 's' : ''} for a Start-up IPI nobody can send`);
  const off = vm.vcpus.filter((v) => v.state === 'halted' && (v.cpu.flags & IF) === 0).map((v) => v.index);
  if (off.length > 0) why.push(`vCPU ${list(off)} halted with interrupts disabled`);
  if (vm.clock.nextDeadline() !== Infinity) why.push('timers still count, but their interrupts are masked');
  return why.join('; ');
}
