// The custom requests the VS Code extension's panel, status bar and views
// use: vmexit.keys (PS/2 keys by KeyboardEvent.code, and Ctrl+Alt+Del
// rebooting through the BIOS), vmexit.stats (instructions while running) and
// vmexit.machine (the x86 Machine view's tree). Over stdio, as VS Code runs
// the adapter (guest: guests/keys.asm).

import { strict as assert } from 'node:assert';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { adapterHooks, assemble, errorOf, Guest, launchWith } from './dapHarness';

interface Node {
  name: string;
  value: string;
  children?: Node[];
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function until(what: string, test: () => boolean, ms = 10000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function find(nodes: Node[], name: string): Node {
  const n = nodes.find((x) => x.name === name);
  if (!n) throw new Error(`no node '${name}' among ${nodes.map((x) => x.name).join(', ')}`);
  return n;
}

function chord(codes: string[]): { code: string; down: boolean }[] {
  return [...codes.map((code) => ({ code, down: true })), ...[...codes].reverse().map((code) => ({ code, down: false }))];
}

describe('debug adapter: requests for the extension (keys, stats, machine tree)', function () {
  this.timeout(30000);
  let dc: DebugClient;
  let g: Guest;
  adapterHooks({ guests: (dir) => (g = assemble(dir, 'keys')), client: (c) => (dc = c), current: () => dc });

  it('presses keys by code, counts instructions while running, and reboots on Ctrl+Alt+Del', async () => {
    const serial: string[] = [];
    dc.on('vmexit.serial', (e: DebugProtocol.Event) => serial.push((e.body as { text: string }).text));
    await Promise.all([dc.configurationSequence(), dc.launch({ image: g.bin })]);
    await until('the banner', () => serial.join('') === 'boot\r\n');

    const first = (await dc.customRequest('vmexit.stats')).body as { state: string; instructions: number; guestNs: number };
    assert.equal(first.state, 'running');
    assert.ok(first.instructions > 0);
    await sleep(50);
    const second = (await dc.customRequest('vmexit.stats')).body as { instructions: number; guestNs: number };
    assert.ok(second.instructions > first.instructions, 'the count grows while the guest runs (it halts in INT 16h, woken by the timer)');
    assert.ok(second.guestNs > first.guestNs);

    assert.deepEqual((await dc.customRequest('vmexit.keys', { events: chord(['ShiftLeft', 'KeyQ']) })).body, { sent: 4 });
    await dc.customRequest('vmexit.keys', { events: chord(['Digit7']) });
    await until('the echoed keys', () => serial.join('') === 'boot\r\nQ7');

    // Ctrl+Alt+Del: the BIOS resets the machine and the boot sector runs again.
    await dc.customRequest('vmexit.keys', { events: chord(['ControlLeft', 'AltLeft', 'Delete']) });
    await until('the banner after the reboot', () => serial.join('') === 'boot\r\nQ7boot\r\n');

    assert.match(await errorOf(dc.customRequest('vmexit.keys', { events: [{ code: 'KeyÄ', down: true }] })), /not a PC keyboard key/);
    assert.match(await errorOf(dc.customRequest('vmexit.keys', { events: [{ code: 'KeyA' }] })), /down must be true/);
    assert.match(await errorOf(dc.customRequest('vmexit.keys', { events: [] })), /'events' must be a list/);
  });

  it('answers vmexit.machine with the mode, CS:IP, segment caches, tables and devices when stopped, and a state while running', async () => {
    await launchWith(dc, { image: g.bin, stopOnEntry: 'bootsector' });
    const body = (await dc.customRequest('vmexit.machine')).body as { state: string; vcpus: { name: string; mode: string; location: string; nodes: Node[] }[]; devices: Node[] };
    assert.equal(body.state, 'stopped');
    assert.equal(body.vcpus.length, 1);
    const cpu = body.vcpus[0];
    assert.equal(cpu.name, 'vCPU 0');
    assert.equal(cpu.mode, 'real mode');
    assert.equal(cpu.location, '0000:7C00 (linear 0x00007C00)');
    const cs = find(find(cpu.nodes, 'Segments').children ?? [], 'cs');
    assert.equal(find(cs.children ?? [], 'base').value, '0x00000000');
    const system = find(cpu.nodes, 'System').children ?? [];
    assert.ok(system.some((n) => n.name.startsWith('cr0')), `system: ${system.map((n) => n.name).join(', ')}`);
    assert.ok(system.some((n) => n.name.toLowerCase().startsWith('idtr')));
    assert.ok(body.devices.some((n) => /PIC/.test(n.name)), `devices: ${body.devices.map((n) => n.name).join(', ')}`);

    await dc.continueRequest({ threadId: 1 });
    assert.deepEqual((await dc.customRequest('vmexit.machine')).body, { state: 'running' });
  });
});
