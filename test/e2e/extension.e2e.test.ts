// The vmexit extension in a real VS Code (code-server + Debian chromium; see
// harness.ts and ../shared/VSCODE-E2E.md), driven as a person would: a
// workspace with examples/try/boot.asm and no launch.json, a breakpoint set
// by clicking the gutter, F5, the Variables view, a step over INT 10h, the
// memory at 0x7C00, the guest's text on the VM Screen panel and in the Debug
// Console, a key typed into the guest, the x86 Machine view after big real
// mode, and the session stopped.
//
// Each `it` is one step of that story and builds on the ones before it; a
// screenshot of every step lands in test-output/e2e/boot-sector/. The first
// run on a machine installs code-server (~2-3 minutes, cached outside the
// repository by scripts/ensure-vscode.sh).

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildVsix, ensureVsCode, openSession, root, Session, vsixPath } from './harness';
import { Workbench, waitFor } from './ui';

const SOURCE = path.join(root, 'examples/try/boot.asm');

/** The 1-based line of boot.asm whose code (comment stripped) matches `re`, after the line `after` when given. */
function lineOf(lines: string[], re: RegExp, after = 0): number {
  const i = lines.findIndex((l, n) => n >= after && re.test(l.replace(/;.*/, '')));
  assert.ok(i >= 0, `boot.asm has a line matching ${re}`);
  return i + 1;
}

/** The address NASM's listing gives source line `line` (the listing numbers the main file's lines). */
function addressOf(listing: string, line: number): number {
  for (const l of listing.split('\n')) {
    const m = /^\s*(\d+)\s+([0-9A-F]{8})\s+[0-9A-F[(]/.exec(l);
    if (m && Number(m[1]) === line) return 0x7c00 + parseInt(m[2], 16);
  }
  throw new Error(`the listing has no code at line ${line}`);
}

const hex4 = (n: number): string => `0x${n.toString(16).toUpperCase().padStart(4, '0')}`;

describe('VS Code extension end to end (code-server, chromium)', function () {
  // Cold: code-server's install (minutes); warm: about 20 s for the session.
  this.timeout(15 * 60 * 1000);

  const lines = fs.readFileSync(SOURCE, 'utf8').split('\n');
  const greetLine = lineOf(lines, /^\s+mov\s+si,\s*msg_hello/); // first line of "2. greet"
  const putChar = lineOf(lines, /^put_char:/);
  const intLine = lineOf(lines, /^\s+int\s+0x10\b/, putChar);
  const afterInt = lineOf(lines, /\S/, intLine); // the next line with code
  let session: Session;
  let ui: Workbench;
  let failed = false;

  /** One step of the story: after a failed step the rest fail at once, naming it, instead of timing out. */
  function step(name: string, fn: () => Promise<void>): void {
    it(name, async function () {
      this.timeout(3 * 60 * 1000);
      if (failed) throw new Error('an earlier step failed; this one depends on it');
      try {
        await session.step(name, fn);
      } catch (e) {
        failed = true;
        throw e;
      }
    });
  }

  before(async function () {
    const install = ensureVsCode();
    buildVsix();
    session = await openSession({
      test: 'boot-sector',
      fixture: path.dirname(SOURCE),
      // No launch.json: F5 goes through the extension's configuration provider.
      omit: ['.vscode', 'build'],
      vsix: vsixPath,
      install,
    });
    ui = new Workbench(session.page);
  });

  after(async function () {
    await session?.close();
  });

  const workspaceFile = (rel: string): string => path.join(session.workspace, rel);

  step('the extension activates (status bar item)', async () => {
    const text = await ui.waitForStatusItem('vmexit');
    assert.match(text, /^vmexit/);
  });

  step('boot.asm opens as NASM', async () => {
    await ui.openFile('boot.asm');
    assert.equal(await waitFor('the language mode', () => ui.languageName(), (n) => n === 'NASM', 10000), 'NASM');
  });

  step('a click in the gutter sets a breakpoint', async () => {
    await ui.toggleBreakpoint(greetLine);
    assert.deepEqual(await ui.breakpointLines(), [greetLine]);
  });

  step('F5 with no launch.json assembles boot.asm and stops at the breakpoint', async () => {
    await ui.pressInEditor('F5');
    await ui.waitStopped(60000);
    // The provider assembled into build/ beside the source.
    assert.ok(fs.existsSync(workspaceFile('build/boot.img')), 'build/boot.img written');
    assert.ok(fs.existsSync(workspaceFile('build/boot.lst')), 'build/boot.lst written');
    const top = await waitFor('the Call Stack to show the greet frame', () => ui.callStack(), (f) => f.length > 0 && /^greet\b/.test(f[0]), 15000);
    assert.match(top[0], /0000:7C[0-9A-F]{2}/);
    // The stop shows in the workspace's boot.asm (the listing in build/ names no path), on the breakpoint's line.
    assert.equal(await waitFor('the current line', () => ui.currentLine(), (l) => l === greetLine, 10000), greetLine);
    assert.deepEqual((await ui.tabTitles()).filter((t) => t.startsWith('boot.asm')), ['boot.asm'], 'no second boot.asm (build/boot.asm) opened');
  });

  step('the Variables view shows the registers and a hidden segment base', async () => {
    const listing = fs.readFileSync(workspaceFile('build/boot.lst'), 'utf8');
    assert.equal(await ui.variable(['Registers', 'ip']), hex4(addressOf(listing, greetLine)));
    assert.equal(await ui.variable(['Registers', 'sp']), '0x7C00'); // set by boot.asm's first lines
    assert.equal(await ui.variable(['Segments', 'cs', 'base']), '0x00000000');
    assert.equal(await ui.variable(['Segments', 'ds', 'limit']), '0x0000FFFF');
  });

  step('a breakpoint on INT 10h is hit, and Step Over moves past it', async () => {
    const listing = fs.readFileSync(workspaceFile('build/boot.lst'), 'utf8');
    await ui.activateTab('boot.asm');
    await ui.toggleBreakpoint(intLine);
    await ui.toolbar('Continue');
    await waitFor('IP at the INT 10h', () => ui.variable(['Registers', 'ip']), (ip) => ip === hex4(addressOf(listing, intLine)), 30000);
    await ui.toolbar('Step Over');
    const ip = await waitFor('IP after the INT 10h', () => ui.variable(['Registers', 'ip']), (v) => v === hex4(addressOf(listing, afterInt)), 30000);
    assert.equal(ip, hex4(addressOf(listing, afterInt)));
    // The teletype call printed the greeting's first character: cell 0 is
    // lit, cell 1 holds the (blinking) cursor, the rest of the row is blank.
    const row0 = await waitFor('the first screen row', () => ui.screenRowShape(0), (s) => s.startsWith('#'), 15000);
    assert.equal(row0.slice(2).trim(), '', `row 0 is "${row0.trimEnd()}"`);
  });

  step('the Disassembly view shows the code at CS:IP with the INT 10h before it', async () => {
    const listing = fs.readFileSync(workspaceFile('build/boot.lst'), 'utf8');
    const here = addressOf(listing, afterInt);
    // An editor command: it needs a focused editor of a language the debugger supports.
    await ui.activateTab('boot.asm');
    await ui.focusEditor();
    await ui.runCommand('Open Disassembly View');
    const rows = await waitFor('the instruction at CS:IP in the Disassembly view', () => ui.disassemblyRows(), (r) => r.some((l) => /mov\s+dx,\s*0x3fd/.test(l)), 15000);
    const at = rows.findIndex((l) => /mov\s+dx,\s*0x3fd/.test(l));
    assert.match(rows[at], new RegExp(`0x0*${here.toString(16)}`, 'i'), `the row shows its address: ${rows[at]}`);
    assert.match(rows[at - 1], /int\s+0x10/, `the row before is the INT 10h: ${rows[at - 1]}`);
  });

  step('Open Memory at 0x7C00 shows the boot sector bytes', async () => {
    const image = fs.readFileSync(workspaceFile('build/boot.img'));
    const bytes = [...image.subarray(0, 16)].map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ');
    await ui.runCommand('vmexit: Open Memory at…');
    await ui.answerInput('0x7C00');
    const text = await waitFor(
      'a hex dump line at 00007C00',
      () => ui.editorText(),
      (t) => t.split('\n').some((l) => l.replace(/\s+/g, ' ').startsWith(`00007C00 ${bytes}`)),
      15000,
    );
    assert.ok(text.includes('00007C00'));
  });

  step('the guest greets on the VM Screen and in the Debug Console, then waits for a key', async () => {
    // Clear both breakpoints (the INT 10h one would stop on every character).
    await ui.activateTab('boot.asm');
    await ui.toggleBreakpoint(intLine);
    await ui.toggleBreakpoint(greetLine);
    assert.deepEqual(await ui.breakpointLines(), []);
    await ui.toolbar('Continue');
    await ui.waitRunning();
    const serial = await waitFor('the serial console to ask for a key', () => ui.serialText(), (t) => t.includes('Type a key:'), 30000);
    assert.match(serial, /Hello from vmexit!\s+Big real mode: FS reaches 4 GiB\s+Type a key:/);
    // The VGA screen (a canvas): rows 0-2 are lit where the text has characters.
    for (const [row, text] of ['Hello from vmexit!', 'Big real mode: FS reaches 4 GiB', 'Type a key:'].entries()) {
      const shape = text.replace(/\S/g, '#');
      assert.equal(await waitFor(`screen row ${row}`, () => ui.screenRowShape(row), (s) => s.trimEnd() === shape, 10000).then((s) => s.trimEnd()), shape);
    }
    const debugConsole = await waitFor('the Debug Console to show the greeting', () => ui.debugConsoleText(), (t) => t.includes('Type a key:'), 15000);
    assert.match(debugConsole, /Hello from vmexit!/);
  });

  step('a key typed into the serial console is echoed by the guest', async () => {
    await ui.typeSerial('x');
    const serial = await waitFor('the echo on the serial console', () => ui.serialText(), (t) => t.includes('You typed: x'), 20000);
    assert.match(serial, /You typed: x/);
    assert.match(await waitFor('the echo in the Debug Console', () => ui.debugConsoleText(), (t) => t.includes('You typed: x'), 15000), /You typed: x/);
  });

  step('a key typed on the screen (PS/2 keyboard) is echoed by the guest', async () => {
    await ui.typeScreen('k');
    const serial = await waitFor('the keyboard echo on the serial console', () => ui.serialText(), (t) => t.includes('You typed: k'), 20000);
    assert.match(serial, /You typed: k/);
  });

  step('paused, the x86 Machine view shows big real mode', async () => {
    await ui.toolbar('Pause');
    await ui.waitStopped();
    // FS keeps the 4 GiB limit the protected-mode load gave its hidden cache.
    assert.equal(await waitFor('the FS limit', () => ui.variable(['Segments', 'fs', 'limit']), (v) => v === '0xFFFFFFFF', 40000), '0xFFFFFFFF');
    const mode = await ui.treePath('x86 Machine', ['vCPU 0', 'Mode']);
    assert.equal(mode.text, 'Mode big real mode');
  });

  step('Stop ends the session', async () => {
    await ui.toolbar('Stop');
    await ui.waitNoSession();
    // The status bar item stays (the extension is still up) and no longer tells a guest's state.
    const idle = await waitFor('the status bar item to go idle', () => ui.waitForStatusItem('vmexit'), (t) => !/stopped|running/i.test(t), 15000);
    assert.match(idle, /^vmexit/);
  });
});
