// INT 09h's scan code translation (set 1, US layout), driven directly with
// scan code bytes over a plain RAM: shift states, locks, Ctrl and Alt
// combinations, gray keys, the keypad.

import { strict as assert } from 'node:assert';
import type { GuestRam } from '../../src/devices/bus';
import { BiosEnv } from '../../src/devices/bios/env';
import type { BiosHost } from '../../src/devices/bios/host';
import { KBD_FLAGS3_POWER_ON, KeyboardService } from '../../src/devices/bios/keyboard';
import { buildRom } from '../../src/devices/bios/rom';

class PlainRam implements GuestRam {
  readonly bytes = new Uint8Array(0x100000);
  get ramSize(): number {
    return this.bytes.length;
  }
  readPhysical(address: number, length: number): (number | null)[] {
    return Array.from(this.bytes.subarray(address, address + length));
  }
  writePhysical(address: number, data: Uint8Array): boolean {
    this.bytes.set(data, address);
    return true;
  }
}

function setup(): { kbd: KeyboardService; ram: PlainRam; keys: () => number[] } {
  const ram = new PlainRam();
  const host: BiosHost = {
    memory: ram,
    ports: { portIn: () => 0xff, portOut: () => {} },
    atBoundary: () => {},
    floppies: [],
    hardDisks: [],
    bootOrder: [],
    memoryBytes: 0x100000,
    cpus: 1,
    vga: { mode: 'text80x25' },
    message: () => {},
  };
  const env = new BiosEnv(host, buildRom([], 1).layout);
  env.setBda16(0x1a, 0x1e);
  env.setBda16(0x1c, 0x1e);
  env.setBda16(0x80, 0x1e);
  env.setBda16(0x82, 0x3e);
  env.setBda8(0x96, KBD_FLAGS3_POWER_ON);
  const kbd = new KeyboardService(env);
  /** Every queued keystroke, emptying the buffer. */
  const keys = (): number[] => {
    const out: number[] = [];
    while (env.bda16(0x1a) !== env.bda16(0x1c)) {
      const head = env.bda16(0x1a);
      out.push(env.bda16(head));
      env.setBda16(0x1a, head + 2 >= 0x3e ? 0x1e : head + 2);
    }
    return out;
  };
  return { kbd, ram, keys };
}

function press(kbd: KeyboardService, ...codes: number[]): void {
  for (const c of codes) kbd.scanCode(c);
}

describe('BIOS INT 09h scan code translation', () => {
  it('letters, digits and punctuation with and without shift', () => {
    const { kbd, keys } = setup();
    press(kbd, 0x1e, 0x9e); // a
    press(kbd, 0x2a, 0x1e, 0x9e, 0xaa); // shift a
    press(kbd, 0x02, 0x82); // 1
    press(kbd, 0x36, 0x02, 0x82, 0xb6); // right shift 1
    press(kbd, 0x2a, 0x28, 0xa8, 0xaa); // shift '
    press(kbd, 0x39, 0xb9); // space
    assert.deepEqual(keys(), [0x1e61, 0x1e41, 0x0231, 0x0221, 0x2822, 0x3920]);
  });

  it('Caps Lock toggles on the press only and inverts shift for letters only', () => {
    const { kbd, ram, keys } = setup();
    press(kbd, 0x3a, 0x3a, 0xba); // caps pressed (with a repeat), released
    assert.equal(ram.bytes[0x417] & 0x40, 0x40);
    press(kbd, 0x1e, 0x9e, 0x2a, 0x1e, 0x9e, 0x02, 0x82, 0xaa);
    assert.deepEqual(keys(), [0x1e41, 0x1e61, 0x0221]);
    press(kbd, 0x3a, 0xba);
    assert.equal(ram.bytes[0x417] & 0x40, 0);
  });

  it('Ctrl and Alt combinations, and the shift flags while held', () => {
    const { kbd, ram, keys } = setup();
    press(kbd, 0x1d);
    assert.equal(ram.bytes[0x417] & 0x04, 0x04);
    assert.equal(ram.bytes[0x418] & 0x01, 0x01);
    press(kbd, 0x2e, 0xae, 0x9d); // ctrl c
    press(kbd, 0x38, 0x2d, 0xad, 0xb8); // alt x
    press(kbd, 0x38, 0x02, 0x82, 0xb8); // alt 1
    press(kbd, 0xe0, 0x1d, 0x1c, 0x9c, 0xe0, 0x9d); // right ctrl enter
    assert.deepEqual(keys(), [0x2e03, 0x2d00, 0x7800, 0x1c0a]);
    assert.equal(ram.bytes[0x417] & 0x0f, 0);
    assert.equal(ram.bytes[0x496] & 0x0c, 0);
  });

  it('gray keys carry E0h; the keypad gives digits with Num Lock, cursor codes without', () => {
    const { kbd, keys } = setup();
    press(kbd, 0xe0, 0x48, 0xe0, 0xc8); // gray up
    press(kbd, 0x48, 0xc8); // keypad 8 without num lock: up
    press(kbd, 0x45, 0xc5); // num lock on
    press(kbd, 0x48, 0xc8); // keypad 8
    press(kbd, 0xe0, 0x2a, 0xe0, 0x48, 0xe0, 0xc8, 0xe0, 0xaa); // gray up with the fake shift around it
    press(kbd, 0xe0, 0x1c, 0xe0, 0x9c); // keypad enter
    press(kbd, 0xe0, 0x35, 0xe0, 0xb5); // keypad /
    press(kbd, 0x3b, 0xbb, 0x57, 0xd7); // F1, F11
    assert.deepEqual(keys(), [0x48e0, 0x4800, 0x4838, 0x48e0, 0xe00d, 0xe02f, 0x3b00, 0x8500]);
  });

  it('ignores controller replies and the Pause sequence', () => {
    const { kbd, keys } = setup();
    press(kbd, 0xfa, 0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5, 0x10, 0x90);
    assert.deepEqual(keys(), [0x1071]);
  });

  it('drops keystrokes when the buffer is full (15 of them)', () => {
    const { kbd, keys } = setup();
    for (let i = 0; i < 20; i++) press(kbd, 0x1e, 0x9e);
    assert.equal(keys().length, 15);
  });
});
