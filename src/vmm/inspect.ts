// What a debugger needs to name the machine's state without reaching into
// the CPU layer: the register and mode types, and the layout of the hidden
// segment attributes (VMX access-rights format). Type re-exports only; the
// values come from Vcpu.getRegs/getSregs/mode.

export type { CpuMode, DescriptorTableRegister, Regs, Segment, Sregs } from '../cpu/state';

export {
  ATTR_AVL,
  ATTR_DB,
  ATTR_DPL_SHIFT,
  ATTR_G,
  ATTR_L,
  ATTR_P,
  ATTR_S,
  ATTR_TYPE_CODE,
  ATTR_TYPE_MASK,
  ATTR_UNUSABLE,
} from '../cpu/state';

import type { Vcpu } from './vcpu';

/**
 * A linear address to the physical address this vCPU's accesses would reach
 * (A20 applied; paging once the core has it), or null when it does not
 * translate. The debugger's memory writes take this path, so they land where
 * the guest's own would.
 */
export function translateLinear(vcpu: Vcpu, linear: number): number | null {
  try {
    return (vcpu.cpu.translate(linear | 0) & vcpu.cpu.a20Mask) >>> 0;
  } catch {
    return null;
  }
}
