// vmexit's own DAP requests (besides the standard ones), for the screen
// panel and the commands of the extension:
//   vmexit.screen            → { mode, rows, cells, cursor }: the VGA text
//                            screen (rows as Unicode, trailing blanks
//                            trimmed; cells per row as the event sends them)
//   vmexit.framebuffer       → { mode: 'graphics', width, height, rgba }: the
//                            mode 13h screen as RGBA in base64 (an error in
//                            text mode). The `vmexit.screen` event says when
//                            either changed (screenWatch.ts).
//   vmexit.setStepInterrupts { enabled } → { enabled }: whether hardware
//                            interrupts may be taken during a step
//   vmexit.input             { text, target: 'serial' | 'keyboard' } →
//                            { queued, skipped }: type into the guest
//   vmexit.keys              { events: [{ code, down }] } → { sent }: press
//                            and release PS/2 keys by DOM `KeyboardEvent.code`
//                            (the screen panel's keyboard, Ctrl+Alt+Del)
//   vmexit.stats             → { state, instructions, guestNs }: for the
//                            status bar's guest MIPS (answered while running)
//   vmexit.machine           → the machine as one tree (machineTree.ts) for
//                            the "x86 Machine" view
// Each handler returns the response body or throws with a message for the
// user. No DAP types here; the adapter wraps them.

import { executionCounters, isKeyName, MODE13H_HEIGHT, MODE13H_WIDTH, mode13hRgba, sendKey, typeOnKeyboard, vgaMode, vgaTextScreen } from '../vmm/inspect';
import { machineTree } from './machineTree';
import type { VmexitRuntime } from './runtime';

export type CustomBody = Record<string, unknown>;

function record(args: unknown): Record<string, unknown> {
  if (args === undefined || args === null) return {};
  if (typeof args !== 'object' || Array.isArray(args)) throw new Error('the arguments must be an object');
  return args as Record<string, unknown>;
}

function screen(rt: VmexitRuntime): CustomBody {
  const mode = vgaMode(rt.machine);
  const text = vgaTextScreen(rt.machine);
  // Each row's cells as the `vmexit.screen` event sends them, so a panel that opens late draws the whole screen.
  const cells = text.rows.map((_, row) => {
    const slice = text.cells.slice(row * text.width, (row + 1) * text.width);
    return Buffer.from(slice.buffer, slice.byteOffset, slice.byteLength).toString('base64');
  });
  return { mode: mode === 'text80x25' ? 'text' : 'graphics', rows: rt.machine.textScreen(), cells, cursor: text.cursor };
}

function framebuffer(rt: VmexitRuntime): CustomBody {
  if (vgaMode(rt.machine) === 'text80x25') throw new Error('vmexit.framebuffer: the screen is in text mode (vmexit.screen gives the text)');
  const rgba = mode13hRgba(rt.machine);
  return { mode: 'graphics', width: MODE13H_WIDTH, height: MODE13H_HEIGHT, rgba: Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength).toString('base64') };
}

function setStepInterrupts(rt: VmexitRuntime, raw: unknown): CustomBody {
  const args = record(raw);
  if (typeof args.enabled !== 'boolean') throw new Error("vmexit.setStepInterrupts: 'enabled' must be true or false");
  rt.stepInterrupts = args.enabled;
  return { enabled: rt.stepInterrupts };
}

function input(rt: VmexitRuntime, raw: unknown): CustomBody {
  const args = record(raw);
  if (typeof args.text !== 'string') throw new Error("vmexit.input: 'text' must be a string");
  const target = args.target ?? 'serial';
  if (target !== 'serial' && target !== 'keyboard') throw new Error(`vmexit.input: 'target' must be "serial" or "keyboard", not ${JSON.stringify(target)}`);
  if (rt.state === 'ended') throw new Error('vmexit.input: the guest has ended');
  if (target === 'serial') {
    const bytes = new Uint8Array(Buffer.from(args.text, 'utf8'));
    rt.machine.serialInput(bytes);
    return { queued: bytes.length, skipped: '' };
  }
  const skipped = typeOnKeyboard(rt.machine, args.text);
  const typed = [...args.text].length - [...skipped].length;
  if (typed === 0 && skipped !== '') throw new Error(`vmexit.input: no key on a US keyboard types ${JSON.stringify(skipped)}`);
  return { queued: typed, skipped };
}

const MAX_KEY_EVENTS = 64;

function keys(rt: VmexitRuntime, raw: unknown): CustomBody {
  const args = record(raw);
  const events = args.events;
  if (!Array.isArray(events) || events.length === 0 || events.length > MAX_KEY_EVENTS) {
    throw new Error(`vmexit.keys: 'events' must be a list of 1 to ${MAX_KEY_EVENTS} { code, down } key events`);
  }
  const checked = events.map((e: unknown, i) => {
    const ev = record(e);
    if (typeof ev.code !== 'string' || !isKeyName(ev.code)) throw new Error(`vmexit.keys: events[${i}].code ${JSON.stringify(ev.code)} is not a PC keyboard key (a KeyboardEvent.code such as "KeyA" or "Delete")`);
    if (typeof ev.down !== 'boolean') throw new Error(`vmexit.keys: events[${i}].down must be true (press) or false (release)`);
    return { code: ev.code, down: ev.down };
  });
  if (rt.state === 'ended') throw new Error('vmexit.keys: the guest has ended');
  for (const ev of checked) sendKey(rt.machine, ev.code, ev.down);
  return { sent: checked.length };
}

function stats(rt: VmexitRuntime): CustomBody {
  return { state: rt.state, ...executionCounters(rt.machine) };
}

function machine(rt: VmexitRuntime): CustomBody {
  return { ...machineTree(rt) };
}

const HANDLERS: Readonly<Record<string, (rt: VmexitRuntime, args: unknown) => CustomBody>> = {
  'vmexit.screen': screen,
  'vmexit.framebuffer': framebuffer,
  'vmexit.setStepInterrupts': setStepInterrupts,
  'vmexit.input': input,
  'vmexit.keys': keys,
  'vmexit.stats': stats,
  'vmexit.machine': machine,
};

/** The handler for a custom command, or undefined for a command vmexit does not know. */
export function customHandler(command: string): ((rt: VmexitRuntime, args: unknown) => CustomBody) | undefined {
  return Object.prototype.hasOwnProperty.call(HANDLERS, command) ? HANDLERS[command] : undefined;
}
