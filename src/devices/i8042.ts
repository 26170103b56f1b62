// The 8042 keyboard controller at 0x60 (data) and 0x64 (status/command) with
// a PS/2 keyboard on its first port and a minimal PS/2 mouse on the second.
//
// The keyboard produces scan code set 2 (or set 1 when the guest selects it);
// with the configuration byte's translate bit set, the controller turns set 2
// into set 1 as real controllers do — responses included, so the keyboard's
// identify answer AB 83 reaches the guest as AB 41.
//
// The controller has one output buffer. Bytes wait in three queues, drained
// into that buffer when the guest has read the previous byte: controller
// replies first, then keyboard bytes (unless the keyboard interface is
// disabled, config bit 4), then mouse bytes (config bit 5). IRQ1 follows a
// full buffer holding non-mouse data when config bit 0 is set, IRQ12 a buffer
// holding mouse data when bit 1 is set. The input buffer is never busy: a
// write is processed before the OUT returns. Keys are delivered as fast as the
// guest reads them (no typematic repeat, no inter-byte delay).

import type { Device, IoSize, IrqLine, PortHandler } from './bus';
import { KEY_SCAN_CODES, SET2_TO_SET1, keyForSet1Code, scanCodeBytes, usKeyForChar } from './scancodes';
import type { KeyName, KeyScanCodes } from './scancodes';

const STATUS_OUTPUT_FULL = 0x01;
const STATUS_SYSTEM_FLAG = 0x04;
const STATUS_LAST_WAS_COMMAND = 0x08;
const STATUS_NOT_INHIBITED = 0x10;
const STATUS_AUX_DATA = 0x20;

const CONFIG_KBD_IRQ = 0x01;
const CONFIG_AUX_IRQ = 0x02;
const CONFIG_SYSTEM_FLAG = 0x04;
const CONFIG_KBD_DISABLED = 0x10;
const CONFIG_AUX_DISABLED = 0x20;
const CONFIG_TRANSLATE = 0x40;

const OUTPUT_PORT_RESET = 0x01; // 0 = hold the CPU in reset
const OUTPUT_PORT_A20 = 0x02;

const ACK = 0xfa;
const RESEND = 0xfe;
const SELF_TEST_PASSED = 0xaa;

/** Where a byte in the output buffer came from. */
type Source = 'controller' | 'keyboard' | 'aux';

export interface I8042Callbacks {
  /** The guest changed the A20 gate (output port bit 1, or commands 0xDD/0xDF). */
  setA20: (enabled: boolean) => void;
  /** The guest pulsed the CPU reset line (0xFE, or output port bit 0 written as 0). */
  requestReset: () => void;
}

export interface I8042State {
  config: number;
  outputPort: number;
  /** Internal RAM bytes 1-31 (byte 0 is the configuration byte). */
  ram: number[];
  controllerQueue: number[];
  /** Raw bytes from the keyboard, before translation. */
  keyboardQueue: number[];
  auxQueue: number[];
  outputBuffer: number | null;
  outputSource: Source;
  lastOutput: number;
  /** A controller command waiting for its data byte. */
  pendingCommand: number | null;
  lastWriteWasCommand: boolean;
  /** Translation saw an F0 prefix: the next code is a break. */
  translateBreak: boolean;
  irq1High: boolean;
  irq12High: boolean;
  keyboard: {
    scanSet: 1 | 2 | 3;
    scanning: boolean;
    /** A keyboard command waiting for its parameter byte. */
    pendingCommand: number | null;
    leds: number;
    typematic: number;
    lastSent: number;
  };
  aux: {
    pendingCommand: number | null;
    reporting: boolean;
    sampleRate: number;
    resolution: number;
  };
}

export interface I8042View {
  status: number;
  config: number;
  outputPort: number;
  a20: boolean;
  outputBuffer: number | null;
  outputSource: Source;
  queued: { controller: number; keyboard: number; aux: number };
  pendingCommand: number | null;
  translate: boolean;
  keyboardEnabled: boolean;
  scanSet: number;
  scanning: boolean;
  leds: { scrollLock: boolean; numLock: boolean; capsLock: boolean };
}

function powerOnState(): I8042State {
  return {
    // IRQ1 on, system flag, translation on: what firmware leaves, so a guest
    // started without a BIOS that programs the controller still gets keys.
    config: CONFIG_KBD_IRQ | CONFIG_SYSTEM_FLAG | CONFIG_TRANSLATE,
    outputPort: OUTPUT_PORT_RESET | 0xcc,
    ram: new Array<number>(32).fill(0),
    controllerQueue: [],
    keyboardQueue: [],
    auxQueue: [],
    outputBuffer: null,
    outputSource: 'controller',
    lastOutput: 0,
    pendingCommand: null,
    lastWriteWasCommand: false,
    translateBreak: false,
    irq1High: false,
    irq12High: false,
    keyboard: { scanSet: 2, scanning: true, pendingCommand: null, leds: 0, typematic: 0x2b, lastSent: 0 },
    aux: { pendingCommand: null, reporting: false, sampleRate: 100, resolution: 2 },
  };
}

export class I8042 implements Device<I8042State>, PortHandler {
  readonly name = 'i8042';
  readonly ports: readonly number[] = [0x60, 0x64];

  private state: I8042State = powerOnState();

  constructor(
    private readonly irq1: IrqLine,
    private readonly irq12: IrqLine | null,
    private readonly callbacks: I8042Callbacks,
    initialA20 = false,
  ) {
    if (initialA20) this.state.outputPort |= OUTPUT_PORT_A20;
  }

  reset(): void {
    const a20 = (this.state.outputPort & OUTPUT_PORT_A20) !== 0;
    this.state = powerOnState();
    // A20 belongs to the board; the board re-syncs it after a reset.
    if (a20) this.state.outputPort |= OUTPUT_PORT_A20;
    this.updateIrqs();
  }

  /** The board tells the controller the A20 state set by another path (port 0x92). */
  syncA20(enabled: boolean): void {
    if (enabled) this.state.outputPort |= OUTPUT_PORT_A20;
    else this.state.outputPort &= ~OUTPUT_PORT_A20;
  }

  get a20Enabled(): boolean {
    return (this.state.outputPort & OUTPUT_PORT_A20) !== 0;
  }

  // ---- host input ----

  /** Press a key: a key name (DOM `code`, e.g. 'KeyA', 'ArrowUp') or a set 1 make code (0xE0xx for extended keys). */
  pressKey(key: KeyName | number): void {
    this.sendKey(key, true);
  }

  releaseKey(key: KeyName | number): void {
    this.sendKey(key, false);
  }

  /** Type ASCII text on a US layout: press and release each key, with Shift where needed. Returns the characters skipped. */
  typeText(text: string): string {
    let skipped = '';
    for (const ch of text) {
      const typed = usKeyForChar(ch);
      if (typed === undefined) {
        skipped += ch;
        continue;
      }
      if (typed.shift) this.pressKey('ShiftLeft');
      this.pressKey(typed.key);
      this.releaseKey(typed.key);
      if (typed.shift) this.releaseKey('ShiftLeft');
    }
    return skipped;
  }

  private sendKey(key: KeyName | number, make: boolean): void {
    const name = typeof key === 'number' ? keyForSet1Code(key) : key;
    const codes: KeyScanCodes | undefined = name === undefined ? undefined : KEY_SCAN_CODES[name];
    if (codes === undefined) throw new RangeError(`i8042: unknown key ${typeof key === 'number' ? `0x${key.toString(16)}` : key}`);
    const kbd = this.state.keyboard;
    if (!kbd.scanning) return;
    // Scan code set 3 is not modelled: the keyboard keeps sending set 2.
    const bytes = scanCodeBytes(codes, kbd.scanSet === 1 ? 1 : 2, make);
    this.fromKeyboard(...bytes);
  }

  // ---- output buffer ----

  private fromKeyboard(...bytes: number[]): void {
    for (const b of bytes) this.state.keyboard.lastSent = b;
    this.state.keyboardQueue.push(...bytes);
    this.fillOutputBuffer();
  }

  private fromAux(...bytes: number[]): void {
    this.state.auxQueue.push(...bytes);
    this.fillOutputBuffer();
  }

  private fromController(byte: number): void {
    this.state.controllerQueue.push(byte & 0xff);
    this.fillOutputBuffer();
  }

  /** Move the next byte into an empty output buffer, translating keyboard bytes as configured. */
  private fillOutputBuffer(): void {
    const s = this.state;
    while (s.outputBuffer === null) {
      if (s.controllerQueue.length > 0) {
        s.outputBuffer = s.controllerQueue.shift() as number;
        s.outputSource = 'controller';
      } else if (s.keyboardQueue.length > 0 && !(s.config & CONFIG_KBD_DISABLED)) {
        const raw = s.keyboardQueue.shift() as number;
        if (!(s.config & CONFIG_TRANSLATE)) {
          s.outputBuffer = raw;
        } else if (raw === 0xf0) {
          s.translateBreak = true;
          continue;
        } else {
          s.outputBuffer = (SET2_TO_SET1[raw] ?? raw) | (s.translateBreak ? 0x80 : 0);
          s.translateBreak = false;
        }
        s.outputSource = 'keyboard';
      } else if (s.auxQueue.length > 0 && !(s.config & CONFIG_AUX_DISABLED)) {
        s.outputBuffer = s.auxQueue.shift() as number;
        s.outputSource = 'aux';
      } else {
        break;
      }
    }
    this.updateIrqs();
  }

  private updateIrqs(): void {
    const s = this.state;
    const full = s.outputBuffer !== null;
    const irq1 = full && s.outputSource !== 'aux' && (s.config & CONFIG_KBD_IRQ) !== 0;
    const irq12 = full && s.outputSource === 'aux' && (s.config & CONFIG_AUX_IRQ) !== 0;
    if (irq1 !== s.irq1High) {
      s.irq1High = irq1;
      this.irq1.setLevel(irq1);
    }
    if (irq12 !== s.irq12High) {
      s.irq12High = irq12;
      if (this.irq12) this.irq12.setLevel(irq12);
    }
  }

  private status(): number {
    const s = this.state;
    let status = STATUS_NOT_INHIBITED;
    if (s.outputBuffer !== null) {
      status |= STATUS_OUTPUT_FULL;
      if (s.outputSource === 'aux') status |= STATUS_AUX_DATA;
    }
    if (s.config & CONFIG_SYSTEM_FLAG) status |= STATUS_SYSTEM_FLAG;
    if (s.lastWriteWasCommand) status |= STATUS_LAST_WAS_COMMAND;
    return status;
  }

  // ---- ports ----

  ioRead(port: number, _size: IoSize): number {
    const s = this.state;
    if (port === 0x64) return this.status();
    if (port !== 0x60) return 0xff;
    if (s.outputBuffer === null) return s.lastOutput; // a stale read gives the last byte again
    const value = s.outputBuffer;
    s.lastOutput = value;
    s.outputBuffer = null;
    // The IRQ line drops with OBF, so the next byte gives the PIC a fresh edge.
    this.updateIrqs();
    this.fillOutputBuffer();
    return value;
  }

  ioWrite(port: number, _size: IoSize, value: number): void {
    value &= 0xff;
    if (port === 0x64) {
      this.state.lastWriteWasCommand = true;
      this.controllerCommand(value);
    } else if (port === 0x60) {
      this.state.lastWriteWasCommand = false;
      this.dataWrite(value);
    }
  }

  private setConfig(value: number): void {
    this.state.config = value;
    this.state.ram[0] = value;
    // Enabling an interface lets queued bytes through; IRQ enables may have changed.
    this.fillOutputBuffer();
  }

  private writeOutputPort(value: number): void {
    const s = this.state;
    const a20Before = this.a20Enabled;
    s.outputPort = value | OUTPUT_PORT_RESET;
    if (this.a20Enabled !== a20Before) this.callbacks.setA20(this.a20Enabled);
    if ((value & OUTPUT_PORT_RESET) === 0) this.callbacks.requestReset();
  }

  private setA20(enabled: boolean): void {
    this.writeOutputPort(enabled ? this.state.outputPort | OUTPUT_PORT_A20 : this.state.outputPort & ~OUTPUT_PORT_A20);
  }

  private controllerCommand(command: number): void {
    const s = this.state;
    s.pendingCommand = null;
    if (command === 0x20) {
      this.fromController(s.config);
    } else if (command > 0x20 && command < 0x40) {
      this.fromController(s.ram[command & 0x1f] ?? 0);
    } else if ((command >= 0x60 && command < 0x80) || (command >= 0xd1 && command <= 0xd4)) {
      s.pendingCommand = command;
    } else if (command >= 0xf0) {
      // Pulse output port bits 0-3 low where the command's bit is 0; bit 0 is the CPU reset.
      if ((command & 1) === 0) this.callbacks.requestReset();
    } else {
      switch (command) {
        case 0xa7:
          this.setConfig(s.config | CONFIG_AUX_DISABLED);
          break;
        case 0xa8:
          this.setConfig(s.config & ~CONFIG_AUX_DISABLED);
          break;
        case 0xa9: // aux interface test: no error
        case 0xab: // keyboard interface test: no error
          this.fromController(0x00);
          break;
        case 0xaa: // controller self test
          s.config |= CONFIG_SYSTEM_FLAG;
          s.ram[0] = s.config;
          this.fromController(0x55);
          break;
        case 0xad:
          this.setConfig(s.config | CONFIG_KBD_DISABLED);
          break;
        case 0xae:
          this.setConfig(s.config & ~CONFIG_KBD_DISABLED);
          break;
        case 0xc0: // input port: keyboard not inhibited
          this.fromController(0x80);
          break;
        case 0xd0: {
          const obf = s.outputBuffer !== null ? (s.outputSource === 'aux' ? 0x20 : 0x10) : 0;
          this.fromController((s.outputPort & 0xcf) | obf);
          break;
        }
        case 0xdd:
          this.setA20(false);
          break;
        case 0xdf:
          this.setA20(true);
          break;
        case 0xe0: // test inputs
          this.fromController(0x00);
          break;
        default:
          // Unknown or vendor commands are ignored, as most controllers do.
          break;
      }
    }
  }

  private dataWrite(value: number): void {
    const s = this.state;
    const command = s.pendingCommand;
    s.pendingCommand = null;
    if (command === null) {
      this.keyboardCommand(value);
    } else if (command >= 0x60 && command < 0x80) {
      if (command === 0x60) this.setConfig(value);
      else s.ram[command & 0x1f] = value;
    } else if (command === 0xd1) {
      this.writeOutputPort(value);
    } else if (command === 0xd2) {
      this.fromKeyboardAsIs(value);
    } else if (command === 0xd3) {
      this.fromAux(value);
    } else if (command === 0xd4) {
      this.auxCommand(value);
    }
  }

  /** 0xD2: the byte appears as if the keyboard sent it (not translated: it is already what the guest wants). */
  private fromKeyboardAsIs(value: number): void {
    this.state.controllerQueue.push(value);
    this.fillOutputBuffer();
  }

  // ---- the keyboard ----

  private keyboardCommand(value: number): void {
    const kbd = this.state.keyboard;
    const pending = kbd.pendingCommand;
    if (pending !== null) {
      kbd.pendingCommand = null;
      switch (pending) {
        case 0xed:
          kbd.leds = value & 7;
          this.fromKeyboard(ACK);
          return;
        case 0xf3:
          kbd.typematic = value & 0x7f;
          this.fromKeyboard(ACK);
          return;
        case 0xf0:
          if (value === 0) {
            this.fromKeyboard(ACK, kbd.scanSet);
          } else if (value >= 1 && value <= 3) {
            kbd.scanSet = value as 1 | 2 | 3;
            this.fromKeyboard(ACK);
          } else {
            this.fromKeyboard(RESEND);
          }
          return;
        default:
          break;
      }
    }
    switch (value) {
      case 0xed:
      case 0xf3:
      case 0xf0:
        kbd.pendingCommand = value;
        this.fromKeyboard(ACK);
        break;
      case 0xee: // echo
        this.fromKeyboard(0xee);
        break;
      case 0xf2: // identify: MF2 keyboard
        this.fromKeyboard(ACK, 0xab, 0x83);
        break;
      case 0xf4:
        kbd.scanning = true;
        this.fromKeyboard(ACK);
        break;
      case 0xf5: // disable scanning and restore defaults
        kbd.scanning = false;
        kbd.typematic = 0x2b;
        this.fromKeyboard(ACK);
        break;
      case 0xf6:
        kbd.typematic = 0x2b;
        this.fromKeyboard(ACK);
        break;
      case 0xfe:
        this.fromKeyboard(kbd.lastSent);
        break;
      case 0xff:
        kbd.scanSet = 2;
        kbd.scanning = true;
        kbd.leds = 0;
        kbd.typematic = 0x2b;
        this.state.keyboardQueue.length = 0;
        this.fromKeyboard(ACK, SELF_TEST_PASSED);
        break;
      default:
        // Set-3-only and unknown commands: acknowledged and ignored.
        this.fromKeyboard(ACK);
        break;
    }
  }

  // ---- the mouse, just enough to answer ----

  private auxCommand(value: number): void {
    const aux = this.state.aux;
    const pending = aux.pendingCommand;
    if (pending !== null) {
      aux.pendingCommand = null;
      if (pending === 0xf3) aux.sampleRate = value;
      else if (pending === 0xe8) aux.resolution = value & 3;
      this.fromAux(ACK);
      return;
    }
    switch (value) {
      case 0xff:
        aux.reporting = false;
        aux.sampleRate = 100;
        aux.resolution = 2;
        this.fromAux(ACK, SELF_TEST_PASSED, 0x00);
        break;
      case 0xf2: // identify: standard PS/2 mouse
        this.fromAux(ACK, 0x00);
        break;
      case 0xe9: // status request
        this.fromAux(ACK, aux.reporting ? 0x20 : 0x00, aux.resolution, aux.sampleRate);
        break;
      case 0xeb: // read data: no movement
        this.fromAux(ACK, 0x08, 0x00, 0x00);
        break;
      case 0xf3:
      case 0xe8:
        aux.pendingCommand = value;
        this.fromAux(ACK);
        break;
      case 0xf4:
        aux.reporting = true;
        this.fromAux(ACK);
        break;
      case 0xf5:
        aux.reporting = false;
        this.fromAux(ACK);
        break;
      default:
        this.fromAux(ACK);
        break;
    }
  }

  // ---- state ----

  saveState(): I8042State {
    return JSON.parse(JSON.stringify(this.state)) as I8042State;
  }

  loadState(state: I8042State): void {
    this.state = JSON.parse(JSON.stringify(state)) as I8042State;
    this.irq1.setLevel(this.state.irq1High);
    if (this.irq12) this.irq12.setLevel(this.state.irq12High);
  }

  describe(): I8042View {
    const s = this.state;
    return {
      status: this.status(),
      config: s.config,
      outputPort: s.outputPort,
      a20: this.a20Enabled,
      outputBuffer: s.outputBuffer,
      outputSource: s.outputSource,
      queued: { controller: s.controllerQueue.length, keyboard: s.keyboardQueue.length, aux: s.auxQueue.length },
      pendingCommand: s.pendingCommand,
      translate: (s.config & CONFIG_TRANSLATE) !== 0,
      keyboardEnabled: (s.config & CONFIG_KBD_DISABLED) === 0,
      scanSet: s.keyboard.scanSet,
      scanning: s.keyboard.scanning,
      leds: {
        scrollLock: (s.keyboard.leds & 1) !== 0,
        numLock: (s.keyboard.leds & 2) !== 0,
        capsLock: (s.keyboard.leds & 4) !== 0,
      },
    };
  }
}
