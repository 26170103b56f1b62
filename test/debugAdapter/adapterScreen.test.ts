// The throttled `vmexit.screen` event while the guest runs (only the text
// rows that changed, plus the cursor; a mode 13h change as a notice) and the
// `vmexit.framebuffer` request, over stdio as VS Code runs the adapter
// (guest: guests/screen.asm).

import { strict as assert } from 'node:assert';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { adapterHooks, assemble, errorOf, Guest, launchWith, waitStop } from './dapHarness';

interface RowChange {
  row: number;
  text: string;
  cells: string;
}

interface ScreenBody {
  mode: 'text' | 'graphics';
  width: number;
  height: number;
  full?: boolean;
  rows?: RowChange[];
  cursor?: { row: number; col: number; visible: boolean };
  changed?: boolean;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

describe('debug adapter: screen events and the framebuffer', function () {
  this.timeout(30000);
  let dc: DebugClient;
  let g: Guest;
  adapterHooks({ guests: (dir) => (g = assemble(dir, 'screen')), client: (c) => (dc = c), current: () => dc });

  it('sends changed text rows at most every 100 ms while running, then a mode 13h notice, then nothing while the screen stays', async () => {
    const events: { at: number; body: ScreenBody }[] = [];
    dc.on('vmexit.screen', (e: DebugProtocol.Event) => events.push({ at: performance.now(), body: e.body as ScreenBody }));
    await Promise.all([dc.configurationSequence(), dc.launch({ image: g.bin, symbols: [g.lst] })]);
    const deadline = performance.now() + 20000;
    while (!events.some((e) => e.body.mode === 'graphics') && performance.now() < deadline) await sleep(20);
    const graphicsAt = events.findIndex((e) => e.body.mode === 'graphics');
    assert.ok(graphicsAt > 0, `a mode 13h event after text events (${events.length} events)`);

    const text = events.slice(0, graphicsAt).map((e) => e.body);
    assert.ok(text.length >= 3, `several text events while row 5 changes (${text.length})`);
    assert.equal(text[0].full, true, 'the first event is the whole screen');
    assert.equal(text[0].rows?.length, 25);
    for (const [i, b] of text.entries()) {
      assert.equal(b.mode, 'text');
      assert.ok(b.cursor, 'the cursor comes with every text event');
      if (i === 0) continue;
      assert.equal(b.full, false);
      // Row 5 changes; the BIOS's own output may still change the rows it prints on at the start.
      assert.ok(b.rows?.every((r) => r.row === 5 || i < 2), `only row 5 changes: ${JSON.stringify(b.rows?.map((r) => r.row))}`);
    }
    const last = text[text.length - 1].rows?.find((r) => r.row === 5);
    assert.ok(last, 'row 5 in the last text event');
    const cells = Buffer.from(last.cells, 'base64');
    assert.equal(cells.length, 160, 'char+attribute pairs of 80 columns');
    assert.equal(last.text.length, 80);
    for (let i = 1; i < events.length; i++) {
      assert.ok(events[i].at - events[i - 1].at >= 80, `events ${events[i].at - events[i - 1].at} ms apart`);
    }

    // The drawn screen does not change any more: no events while the guest spins.
    const count = events.length;
    await sleep(450);
    assert.equal(events.length, count, 'no event while the screen stays the same');

    const fb = (await dc.customRequest('vmexit.framebuffer')) as DebugProtocol.Response;
    const body = fb.body as { mode: string; width: number; height: number; rgba: string };
    assert.equal(body.mode, 'graphics');
    assert.equal(body.width, 320);
    assert.equal(body.height, 200);
    const rgba = Buffer.from(body.rgba, 'base64');
    assert.equal(rgba.length, 320 * 200 * 4);
    const p = (20 * 320 + 10) * 4;
    assert.deepEqual([...rgba.subarray(p, p + 4)], [0xaa, 0, 0, 0xff], 'palette colour 4 (red) at (10, 20)');
    assert.deepEqual([...rgba.subarray(0, 4)], [0, 0, 0, 0xff], 'mode 13h clears the screen');

    // A stop sends the change at once: a pixel written by writeMemory shows up in the next stop's event.
    await waitStop(dc, dc.pauseRequest({ threadId: 1 }));
    const seen = events.length;
    await dc.customRequest('writeMemory', { memoryReference: '0xA0000', data: Buffer.from([1]).toString('base64') });
    await waitStop(dc, dc.nextRequest({ threadId: 1, granularity: 'instruction' }));
    await sleep(50);
    assert.equal(events.length, seen + 1, 'one event for the changed pixel');
    assert.equal(events[seen].body.mode, 'graphics');
  });

  it('answers vmexit.framebuffer in text mode with an error, and vmexit.screen with the text and the cursor', async () => {
    await launchWith(dc, { image: g.bin, symbols: [g.lst], stopOnEntry: 'bootsector' });
    assert.match(await errorOf(dc.customRequest('vmexit.framebuffer')), /text mode/);
    const screen = (await dc.customRequest('vmexit.screen')).body as { mode: string; rows: string[]; cells: string[]; cursor: { row: number; col: number } };
    assert.equal(screen.mode, 'text');
    assert.equal(screen.rows.length, 25);
    assert.equal(screen.cells.length, 25);
    // Each row's cells: 80 character+attribute pairs whose characters are the row's text.
    for (let row = 0; row < 25; row++) {
      const bytes = Buffer.from(screen.cells[row], 'base64');
      assert.equal(bytes.length, 160);
      const chars = Array.from({ length: 80 }, (_, i) => bytes[i * 2]);
      assert.equal(String.fromCharCode(...chars).trimEnd(), screen.rows[row].trimEnd(), `row ${row}`);
    }
    assert.equal(typeof screen.cursor.row, 'number');
  });
});
