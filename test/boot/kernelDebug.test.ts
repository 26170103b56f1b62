// The debugger on a kernel started with 'kernel' in launch.json: the ELF's
// own symbols are loaded without a 'symbols' argument, so a function
// breakpoint on the entry symbol stops there, in 32-bit protected mode with
// the Multiboot magic in EAX.

import { strict as assert } from 'node:assert';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import { evaluate, launchWith, prepare, startClient } from '../debugAdapter/dapHarness';
import { BOOT_CACHE, buildKernel } from './harness';

describe('debugger: --kernel with its own symbols', function () {
  this.timeout(120_000);
  let cleanup: () => void = () => {};
  let dc: DebugClient | null = null;
  before(function () {
    this.timeout(300_000);
    cleanup = prepare().cleanup;
  });
  after(() => cleanup());
  afterEach(async () => {
    await dc?.stop();
    dc = null;
  });

  it('a function breakpoint on _start stops at the kernel entry with EAX = 2BADB002h', async () => {
    const kernel = buildKernel('multiboot1', 'elf');
    dc = await startClient();
    const client = dc;
    const stop = await launchWith(client, { kernel, append: 'x', cwd: BOOT_CACHE }, async () => {
      const r = await client.setFunctionBreakpointsRequest({ breakpoints: [{ name: '_start' }] });
      assert.equal(r.body.breakpoints[0].verified, true, 'the kernel ELF symbol _start is known');
    });
    assert.equal(stop.body.reason, 'breakpoint');
    assert.match(await evaluate(client, 'eax'), /^0x2BADB002/i);
    assert.match(await evaluate(client, 'eip'), /^0x0010000C/i);
  });
});
