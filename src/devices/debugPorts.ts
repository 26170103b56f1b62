// Small ports that guests and test programs use to talk to the emulator or
// the chipset:
// - 0xE9, the Bochs/QEMU debug console: each byte written is output; a read
//   returns 0xE9 so a guest can detect the port. The board also answers at
//   0x402, where QEMU users put isa-debugcon for SeaBIOS's log (SeaBIOS
//   checks that a read gives 0xE9 before writing there).
// - 0xF4, QEMU's isa-debug-exit: writing v ends the run with exit status
//   (v << 1) | 1 (so a guest cannot exit with status 0).
// - 0x80, the POST code port: firmware writes progress codes.
// - 0x92, "system control port A" (PS/2 fast A20 and fast reset).

import type { Device, IoSize, PortHandler } from './bus';

const SIZE_MASKS: Record<IoSize, number> = { 1: 0xff, 2: 0xffff, 4: 0xffffffff };

export interface DebugConsoleState {
  bytesWritten: number;
}

/** The 0xE9 debug console. */
export class DebugConsole implements Device<DebugConsoleState>, PortHandler {
  readonly name = 'debugcon';
  readonly ports: readonly number[];
  private bytesWritten = 0;

  /** `onOutput` receives each byte the guest writes. */
  /** `alsoPorts`: more ports that act the same (QEMU's isa-debugcon at 402h, where SeaBIOS writes its log). */
  constructor(
    public onOutput: (byte: number) => void = () => {},
    readonly port = 0xe9,
    alsoPorts: readonly number[] = [],
  ) {
    this.ports = [port, ...alsoPorts];
  }

  reset(): void {}

  ioRead(_port: number, _size: IoSize): number {
    // Bochs and QEMU answer with the port number so guests can detect the console.
    return 0xe9;
  }

  ioWrite(_port: number, size: IoSize, value: number): void {
    // A wider OUT writes its bytes in order, low first.
    for (let i = 0; i < size; i++) {
      this.onOutput((value >>> (8 * i)) & 0xff);
      this.bytesWritten++;
    }
  }

  saveState(): DebugConsoleState {
    return { bytesWritten: this.bytesWritten };
  }

  loadState(state: DebugConsoleState): void {
    this.bytesWritten = state.bytesWritten;
  }

  describe(): { port: number; bytesWritten: number } {
    return { port: this.port, bytesWritten: this.bytesWritten };
  }
}

export interface IsaDebugExitState {
  exitStatus: number | null;
}

/** QEMU's isa-debug-exit device (default port 0xF4, any access size). */
export class IsaDebugExit implements Device<IsaDebugExitState>, PortHandler {
  readonly name = 'isa-debug-exit';
  readonly ports: readonly number[];
  /** The status of the last exit request, or null. */
  exitStatus: number | null = null;

  /** `onExit(status)` must end the run (the VMM stops the CPU and reports `status`). */
  constructor(
    public onExit: (status: number) => void,
    readonly port = 0xf4,
  ) {
    this.ports = [port];
  }

  reset(): void {
    this.exitStatus = null;
  }

  ioRead(_port: number, _size: IoSize): number {
    return 0;
  }

  ioWrite(_port: number, size: IoSize, value: number): void {
    const v = (value & SIZE_MASKS[size]) >>> 0;
    // QEMU computes (v << 1) | 1 in a C int; keep the same 32-bit result.
    const status = ((v << 1) | 1) >>> 0;
    this.exitStatus = status;
    this.onExit(status);
  }

  saveState(): IsaDebugExitState {
    return { exitStatus: this.exitStatus };
  }

  loadState(state: IsaDebugExitState): void {
    this.exitStatus = state.exitStatus;
  }

  describe(): { port: number; exitStatus: number | null } {
    return { port: this.port, exitStatus: this.exitStatus };
  }
}

export interface PostCodePortState {
  lastCode: number | null;
}

/** Port 0x80: remembers the last POST code. */
export class PostCodePort implements Device<PostCodePortState>, PortHandler {
  readonly name = 'post';
  readonly ports: readonly number[] = [0x80];
  lastCode: number | null = null;

  constructor(public onPostCode: ((code: number) => void) | null = null) {}

  reset(): void {
    this.lastCode = null;
  }

  ioRead(_port: number, _size: IoSize): number {
    return this.lastCode ?? 0xff;
  }

  ioWrite(_port: number, _size: IoSize, value: number): void {
    // Port 0x80 is also the classic "I/O delay" port: writes are frequent and harmless.
    this.lastCode = value & 0xff;
    if (this.onPostCode) this.onPostCode(this.lastCode);
  }

  saveState(): PostCodePortState {
    return { lastCode: this.lastCode };
  }

  loadState(state: PostCodePortState): void {
    this.lastCode = state.lastCode;
  }

  describe(): { lastCode: number | null } {
    return { lastCode: this.lastCode };
  }
}

export interface SystemControlPortAState {
  /** Bits 2-7 as written, bit 1 = A20 as this port last set or was told. */
  value: number;
}

export interface SystemControlPortACallbacks {
  /** The guest changed the A20 gate through bit 1. */
  setA20: (enabled: boolean) => void;
  /** The guest set bit 0 (fast reset). */
  requestReset: () => void;
}

/** Port 0x92: bit 1 gates A20, a 0->1 change of bit 0 resets the CPU. */
export class SystemControlPortA implements Device<SystemControlPortAState>, PortHandler {
  readonly name = 'port92';
  readonly ports: readonly number[] = [0x92];
  private value: number;

  constructor(
    private readonly callbacks: SystemControlPortACallbacks,
    private readonly initialA20 = false,
  ) {
    this.value = initialA20 ? 0x02 : 0x00;
  }

  reset(): void {
    this.value = this.initialA20 ? 0x02 : 0x00;
  }

  /** The board tells this port the A20 state set by another path (the 8042) so reads agree. */
  syncA20(enabled: boolean): void {
    this.value = enabled ? this.value | 0x02 : this.value & ~0x02;
  }

  get a20Enabled(): boolean {
    return (this.value & 0x02) !== 0;
  }

  ioRead(_port: number, _size: IoSize): number {
    // Bit 0 reads 0: the reset has happened (or was never asked for).
    return this.value & 0xfe;
  }

  ioWrite(_port: number, _size: IoSize, value: number): void {
    value &= 0xff;
    const a20Before = this.a20Enabled;
    this.value = value & 0xfe;
    if (this.a20Enabled !== a20Before) this.callbacks.setA20(this.a20Enabled);
    if (value & 0x01) this.callbacks.requestReset();
  }

  saveState(): SystemControlPortAState {
    return { value: this.value };
  }

  loadState(state: SystemControlPortAState): void {
    this.value = state.value;
  }

  describe(): { a20: boolean; value: number } {
    return { a20: this.a20Enabled, value: this.value };
  }
}
