// PC keyboard scan codes: every key of a US 102-key keyboard with its set 1
// (XT) and set 2 (AT) make codes, written from the public scan code tables.
// Extended keys carry their 0xE0 prefix in the high byte (0xE048 = E0 48).
// Key names are the DOM `KeyboardEvent.code` values, so a webview can pass
// its events through unchanged.
//
// The 8042's set 2 -> set 1 translation is derived from the same table: the
// controller maps each set 2 code byte to the set 1 code of the same key.

export interface KeyScanCodes {
  readonly set1: number;
  readonly set2: number;
}

export const KEY_SCAN_CODES: Readonly<Record<string, KeyScanCodes>> = {
  Escape: { set1: 0x01, set2: 0x76 },
  Digit1: { set1: 0x02, set2: 0x16 },
  Digit2: { set1: 0x03, set2: 0x1e },
  Digit3: { set1: 0x04, set2: 0x26 },
  Digit4: { set1: 0x05, set2: 0x25 },
  Digit5: { set1: 0x06, set2: 0x2e },
  Digit6: { set1: 0x07, set2: 0x36 },
  Digit7: { set1: 0x08, set2: 0x3d },
  Digit8: { set1: 0x09, set2: 0x3e },
  Digit9: { set1: 0x0a, set2: 0x46 },
  Digit0: { set1: 0x0b, set2: 0x45 },
  Minus: { set1: 0x0c, set2: 0x4e },
  Equal: { set1: 0x0d, set2: 0x55 },
  Backspace: { set1: 0x0e, set2: 0x66 },
  Tab: { set1: 0x0f, set2: 0x0d },
  KeyQ: { set1: 0x10, set2: 0x15 },
  KeyW: { set1: 0x11, set2: 0x1d },
  KeyE: { set1: 0x12, set2: 0x24 },
  KeyR: { set1: 0x13, set2: 0x2d },
  KeyT: { set1: 0x14, set2: 0x2c },
  KeyY: { set1: 0x15, set2: 0x35 },
  KeyU: { set1: 0x16, set2: 0x3c },
  KeyI: { set1: 0x17, set2: 0x43 },
  KeyO: { set1: 0x18, set2: 0x44 },
  KeyP: { set1: 0x19, set2: 0x4d },
  BracketLeft: { set1: 0x1a, set2: 0x54 },
  BracketRight: { set1: 0x1b, set2: 0x5b },
  Enter: { set1: 0x1c, set2: 0x5a },
  ControlLeft: { set1: 0x1d, set2: 0x14 },
  KeyA: { set1: 0x1e, set2: 0x1c },
  KeyS: { set1: 0x1f, set2: 0x1b },
  KeyD: { set1: 0x20, set2: 0x23 },
  KeyF: { set1: 0x21, set2: 0x2b },
  KeyG: { set1: 0x22, set2: 0x34 },
  KeyH: { set1: 0x23, set2: 0x33 },
  KeyJ: { set1: 0x24, set2: 0x3b },
  KeyK: { set1: 0x25, set2: 0x42 },
  KeyL: { set1: 0x26, set2: 0x4b },
  Semicolon: { set1: 0x27, set2: 0x4c },
  Quote: { set1: 0x28, set2: 0x52 },
  Backquote: { set1: 0x29, set2: 0x0e },
  ShiftLeft: { set1: 0x2a, set2: 0x12 },
  Backslash: { set1: 0x2b, set2: 0x5d },
  KeyZ: { set1: 0x2c, set2: 0x1a },
  KeyX: { set1: 0x2d, set2: 0x22 },
  KeyC: { set1: 0x2e, set2: 0x21 },
  KeyV: { set1: 0x2f, set2: 0x2a },
  KeyB: { set1: 0x30, set2: 0x32 },
  KeyN: { set1: 0x31, set2: 0x31 },
  KeyM: { set1: 0x32, set2: 0x3a },
  Comma: { set1: 0x33, set2: 0x41 },
  Period: { set1: 0x34, set2: 0x49 },
  Slash: { set1: 0x35, set2: 0x4a },
  ShiftRight: { set1: 0x36, set2: 0x59 },
  NumpadMultiply: { set1: 0x37, set2: 0x7c },
  AltLeft: { set1: 0x38, set2: 0x11 },
  Space: { set1: 0x39, set2: 0x29 },
  CapsLock: { set1: 0x3a, set2: 0x58 },
  F1: { set1: 0x3b, set2: 0x05 },
  F2: { set1: 0x3c, set2: 0x06 },
  F3: { set1: 0x3d, set2: 0x04 },
  F4: { set1: 0x3e, set2: 0x0c },
  F5: { set1: 0x3f, set2: 0x03 },
  F6: { set1: 0x40, set2: 0x0b },
  F7: { set1: 0x41, set2: 0x83 },
  F8: { set1: 0x42, set2: 0x0a },
  F9: { set1: 0x43, set2: 0x01 },
  F10: { set1: 0x44, set2: 0x09 },
  NumLock: { set1: 0x45, set2: 0x77 },
  ScrollLock: { set1: 0x46, set2: 0x7e },
  Numpad7: { set1: 0x47, set2: 0x6c },
  Numpad8: { set1: 0x48, set2: 0x75 },
  Numpad9: { set1: 0x49, set2: 0x7d },
  NumpadSubtract: { set1: 0x4a, set2: 0x7b },
  Numpad4: { set1: 0x4b, set2: 0x6b },
  Numpad5: { set1: 0x4c, set2: 0x73 },
  Numpad6: { set1: 0x4d, set2: 0x74 },
  NumpadAdd: { set1: 0x4e, set2: 0x79 },
  Numpad1: { set1: 0x4f, set2: 0x69 },
  Numpad2: { set1: 0x50, set2: 0x72 },
  Numpad3: { set1: 0x51, set2: 0x7a },
  Numpad0: { set1: 0x52, set2: 0x70 },
  NumpadDecimal: { set1: 0x53, set2: 0x71 },
  IntlBackslash: { set1: 0x56, set2: 0x61 },
  F11: { set1: 0x57, set2: 0x78 },
  F12: { set1: 0x58, set2: 0x07 },
  NumpadEnter: { set1: 0xe01c, set2: 0xe05a },
  ControlRight: { set1: 0xe01d, set2: 0xe014 },
  NumpadDivide: { set1: 0xe035, set2: 0xe04a },
  AltRight: { set1: 0xe038, set2: 0xe011 },
  Home: { set1: 0xe047, set2: 0xe06c },
  ArrowUp: { set1: 0xe048, set2: 0xe075 },
  PageUp: { set1: 0xe049, set2: 0xe07d },
  ArrowLeft: { set1: 0xe04b, set2: 0xe06b },
  ArrowRight: { set1: 0xe04d, set2: 0xe074 },
  End: { set1: 0xe04f, set2: 0xe069 },
  ArrowDown: { set1: 0xe050, set2: 0xe072 },
  PageDown: { set1: 0xe051, set2: 0xe07a },
  Insert: { set1: 0xe052, set2: 0xe070 },
  Delete: { set1: 0xe053, set2: 0xe071 },
  MetaLeft: { set1: 0xe05b, set2: 0xe01f },
  MetaRight: { set1: 0xe05c, set2: 0xe027 },
  ContextMenu: { set1: 0xe05d, set2: 0xe02f },
};

/** A key name: a DOM `KeyboardEvent.code` value listed in KEY_SCAN_CODES. */
export type KeyName = string;

/** Set 1 make code (with 0xE0 prefix in the high byte) -> key name. */
const KEY_BY_SET1 = new Map<number, string>(Object.entries(KEY_SCAN_CODES).map(([name, c]) => [c.set1, name]));

export function keyForSet1Code(code: number): string | undefined {
  return KEY_BY_SET1.get(code);
}

/**
 * The 8042's translation of one set 2 code byte to set 1 (without the 0x80
 * break bit, which the controller adds after an F0 prefix). Bytes that are
 * not key codes (0xE0, 0xE1, 0xFA, 0xAA, ...) pass through unchanged.
 */
export const SET2_TO_SET1 = ((): Uint8Array => {
  const table = new Uint8Array(256);
  for (let i = 0; i < 256; i++) table[i] = i;
  for (const { set1, set2 } of Object.values(KEY_SCAN_CODES)) table[set2 & 0xff] = set1 & 0xff;
  return table;
})();

/** Bytes a key sends in scan code set 1 or 2 when pressed (`make`) or released. */
export function scanCodeBytes(key: KeyScanCodes, set: 1 | 2, make: boolean): number[] {
  const code = set === 1 ? key.set1 : key.set2;
  const prefix = code > 0xff ? [code >> 8] : [];
  const low = code & 0xff;
  if (make) return [...prefix, low];
  return set === 1 ? [...prefix, low | 0x80] : [...prefix, 0xf0, low];
}

/** One US-layout character as a key and whether Shift is needed. */
export interface TypedKey {
  key: string;
  shift: boolean;
}

const US_SHIFTED: Record<string, string> = {
  '!': 'Digit1',
  '@': 'Digit2',
  '#': 'Digit3',
  $: 'Digit4',
  '%': 'Digit5',
  '^': 'Digit6',
  '&': 'Digit7',
  '*': 'Digit8',
  '(': 'Digit9',
  ')': 'Digit0',
  _: 'Minus',
  '+': 'Equal',
  '{': 'BracketLeft',
  '}': 'BracketRight',
  '|': 'Backslash',
  ':': 'Semicolon',
  '"': 'Quote',
  '~': 'Backquote',
  '<': 'Comma',
  '>': 'Period',
  '?': 'Slash',
};

const US_PLAIN: Record<string, string> = {
  '-': 'Minus',
  '=': 'Equal',
  '[': 'BracketLeft',
  ']': 'BracketRight',
  '\\': 'Backslash',
  ';': 'Semicolon',
  "'": 'Quote',
  '`': 'Backquote',
  ',': 'Comma',
  '.': 'Period',
  '/': 'Slash',
  ' ': 'Space',
  '\n': 'Enter',
  '\r': 'Enter',
  '\t': 'Tab',
  '\b': 'Backspace',
  '\x1b': 'Escape',
};

/** The key (and Shift) that types `ch` on a US keyboard, or undefined. */
export function usKeyForChar(ch: string): TypedKey | undefined {
  if (/^[a-z]$/.test(ch)) return { key: `Key${ch.toUpperCase()}`, shift: false };
  if (/^[A-Z]$/.test(ch)) return { key: `Key${ch}`, shift: true };
  if (/^[0-9]$/.test(ch)) return { key: `Digit${ch}`, shift: false };
  const plain = US_PLAIN[ch];
  if (plain !== undefined) return { key: plain, shift: false };
  const shifted = US_SHIFTED[ch];
  if (shifted !== undefined) return { key: shifted, shift: true };
  return undefined;
}
