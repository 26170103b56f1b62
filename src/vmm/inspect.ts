// What a debugger needs to name the machine's state without reaching into
// the CPU layer: the register and mode types, and the layout of the hidden
// segment attributes (VMX access-rights format); the devices' visible state
// (each one's describe()) and the debug registers. Register values come from
// Vcpu.getRegs/getSregs/mode.

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
import type { Pic8259PairView } from '../devices/pic';
import type { PitView } from '../devices/pit';
import type { CmosRtcView } from '../devices/cmos';
import type { Uart16550View } from '../devices/uart16550';
import type { PcMachine } from './pc';
import { KEY_SCAN_CODES } from '../devices/scancodes';

/**
 * A linear address to the physical address this vCPU's accesses would reach
 * (paging, then A20), or null when it does not translate. No side effects
 * (no page fault, no accessed bits). The debugger's memory writes take this
 * path, so they land where the guest's own would.
 */
export function translateLinear(vcpu: Vcpu, linear: number): number | null {
  const p = vcpu.cpu.physicalOf(linear);
  return p < 0 ? null : p;
}

// ---- Device state and debug registers, for the debugger's views ----------------


export type { Pic8259ChipView, Pic8259PairView } from '../devices/pic';
export type { PitChannelView, PitView } from '../devices/pit';
export type { CmosRtcView } from '../devices/cmos';
export type { Uart16550View } from '../devices/uart16550';

/** The RTC as a debugger shows it: describe() plus registers C and D as the guest would read them (without the read's side effect). */
export interface RtcView extends CmosRtcView {
  registerC: number;
  registerD: number;
}

/** The visible state of the board's in-core and ISA devices, as plain objects (each device's describe()). */
export interface DevicesView {
  pic: Pic8259PairView;
  pit: PitView;
  rtc: RtcView;
  uart: Uart16550View;
}

const RTC_C_IRQF = 0x80;
const RTC_C_EVENTS = 0x70;
/** Register D's VRT bit: the RTC's battery and RAM are good (always, here). */
const RTC_D_VRT = 0x80;

export function describeDevices(machine: PcMachine): DevicesView {
  const rtc = machine.cmos.describe();
  const pending = rtc.pendingFlags & rtc.registerB & RTC_C_EVENTS;
  return {
    pic: machine.vm.pic.describe(),
    pit: machine.vm.pit.describe(),
    rtc: { ...rtc, registerC: rtc.pendingFlags | (pending ? RTC_C_IRQF : 0), registerD: RTC_D_VRT },
    uart: machine.uart.describe(),
  };
}

/** DR0-DR7 as MOV from DRn would read them (DR4/DR5 alias DR6/DR7 with CR4.DE clear). */
export function getDebugRegisters(vcpu: Vcpu): number[] {
  return Array.from(vcpu.cpu.dr, (v) => v >>> 0);
}

/** Write DR0-DR3, DR6 or DR7 (as MOV to DRn would: DR6/DR7 reserved bits forced). */
export function setDebugRegister(vcpu: Vcpu, index: 0 | 1 | 2 | 3 | 6 | 7, value: number): void {
  const dr = vcpu.cpu.dr;
  if (index === 6) dr[6] = (value & 0xe00f) | (0xffff0ff0 | 0);
  else if (index === 7) dr[7] = (value & ~0xd800) | 0x400;
  else dr[index] = value | 0;
}

/** Whether `name` is a key of the PS/2 keyboard (a DOM `KeyboardEvent.code`, e.g. 'KeyA', 'Delete'). */
export function isKeyName(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(KEY_SCAN_CODES, name);
}

/** Press (down) or release one key of the PS/2 keyboard; `code` must pass isKeyName. */
export function sendKey(machine: PcMachine, code: string, down: boolean): void {
  if (down) machine.keyboard.pressKey(code);
  else machine.keyboard.releaseKey(code);
}

/** Instructions executed by all vCPUs since power-on, and the guest's virtual time in ns. */
export function executionCounters(machine: PcMachine): { instructions: number; guestNs: number } {
  let instructions = 0;
  for (const v of machine.vm.vcpus) instructions += v.instructions;
  return { instructions, guestNs: machine.vm.clock.now() };
}

/** Type text on the PS/2 keyboard (US layout); returns the characters no key produces (not typed). */
export function typeOnKeyboard(machine: PcMachine, text: string): string {
  return machine.keyboard.typeText(text);
}

// ---- The VGA screen, for the screen panel ------------------------------------------

export type { TextScreen, VgaMode } from '../devices/vgaText';
export { MODE13H_HEIGHT, MODE13H_WIDTH } from '../devices/vgaText';
import { MODE13H_HEIGHT, MODE13H_WIDTH } from '../devices/vgaText';
import type { TextScreen, VgaMode } from '../devices/vgaText';

/** Which view the screen shows (the BIOS sets it on a mode switch). */
export function vgaMode(machine: PcMachine): VgaMode {
  return machine.vga.mode;
}

/** The 80x25 text screen: rows as Unicode, char+attribute cells, the cursor. */
export function vgaTextScreen(machine: PcMachine): TextScreen {
  return machine.vga.textScreen();
}

/** Mode 13h's 64000 palette indices at 0xA0000: a live view of guest RAM (no copy; do not write). */
export function mode13hPixels(machine: PcMachine): Uint8Array {
  return machine.vm.memory.ram.subarray(0xa0000, 0xa0000 + MODE13H_WIDTH * MODE13H_HEIGHT);
}

/** The DAC palette as 256 8-bit RGB triples (768 bytes, a copy). */
export function vgaPalette(machine: PcMachine): Uint8Array {
  const out = new Uint8Array(768);
  for (let i = 0; i < 256; i++) out.set(machine.vga.paletteRgb(i), i * 3);
  return out;
}

/** Mode 13h as 320x200 RGBA through the DAC. */
export function mode13hRgba(machine: PcMachine): Uint8Array {
  return machine.vga.framebuffer13h();
}
