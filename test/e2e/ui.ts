// Helpers that drive VS Code's workbench the way a person does (keys, clicks
// on the gutter, the command palette) and read back what it shows from the
// DOM. Each wait is for a positive sign on the page (a row, a decoration, a
// text), never a fixed sleep; each read returns text for the test to assert.
//
// The selectors are VS Code 1.139's (code-server 4.139.1, pinned in
// scripts/ensure-vscode.sh); when code-server is updated, these are what to
// check first.

import type { FrameLocator, Locator, Page } from 'playwright-core';

export interface TreeRow {
  /** The list's own index of the row (data-index). */
  index: number;
  /** aria-level: 1 for the top rows. */
  level: number;
  /** The row's text, as shown (label and description joined by a space). */
  text: string;
  expanded: boolean | undefined;
}

/** Poll `read` until `accept` holds, returning the value; throws with the last value seen. */
export async function waitFor<T>(what: string, read: () => Promise<T>, accept: (v: T) => boolean, timeout = 20000): Promise<T> {
  const deadline = Date.now() + timeout;
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await read();
      if (accept(last)) return last;
      lastError = undefined;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      const seen = lastError !== undefined ? `error: ${lastError instanceof Error ? lastError.message : String(lastError)}` : `last seen: ${JSON.stringify(last)}`;
      throw new Error(`timed out after ${timeout} ms waiting for ${what} (${seen})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

/**
 * How long a click on a tree row may wait for it. Short: a view that
 * refreshes (the Variables view when the guest resumes) replaces its rows,
 * and the caller's own wait should try again rather than spend its whole
 * time on a row that is gone.
 */
const ROW_CLICK_MS = 3000;

export class Workbench {
  constructor(readonly page: Page) {}

  // --- the workbench ---------------------------------------------------------

  /**
   * Wait for a status-bar item whose text starts with `prefix`: the extension
   * shows one once it is activated, the one sign that the extension host is
   * up (F5 pressed before that is lost).
   */
  async waitForStatusItem(prefix: string, timeout = 60000): Promise<string> {
    const items = this.page.locator('.part.statusbar .statusbar-item');
    return waitFor(
      `a status-bar item starting with "${prefix}"`,
      async () => (await items.allInnerTexts()).map((t) => t.trim()).find((t) => t.startsWith(prefix)) ?? '',
      (t) => t !== '',
      timeout,
    );
  }

  /**
   * Run a command by its palette title ("vmexit: Open Memory at…"): F1, the
   * title typed, Enter once the focused row is that command. Tried again
   * when the palette closes under us (a webview taking focus closes it).
   */
  async runCommand(title: string): Promise<void> {
    const widget = this.page.locator('.quick-input-widget');
    const input = widget.locator('.quick-input-box input');
    for (let attempt = 1; ; attempt++) {
      try {
        if (!(await input.isVisible())) await this.page.keyboard.press('F1');
        await input.waitFor({ timeout: 5000 });
        await input.fill(`>${title}`);
        await waitFor(
          `"${title}" to be the palette's first row`,
          async () => widget.locator('.quick-input-list .monaco-list-row.focused').first().getAttribute('aria-label', { timeout: 1000 }),
          (label) => label !== null && label.startsWith(title),
          5000,
        );
        await input.press('Enter');
        return;
      } catch (e) {
        if (attempt >= 3) throw e;
        await this.page.keyboard.press('Escape');
      }
    }
  }

  /** Answer the input box a command opened (e.g. the address for Open Memory). */
  async answerInput(text: string): Promise<void> {
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor();
    await input.fill(text);
    await this.page.keyboard.press('Enter');
    await this.page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
  }

  /** The texts of the notifications on screen (toasts), e.g. an error the extension shows. */
  async notifications(): Promise<string[]> {
    return this.page.locator('.notification-toast .notification-list-item-message').allInnerTexts();
  }

  // --- editors -----------------------------------------------------------------

  /** The editor of the active editor group. */
  get editor(): Locator {
    return this.page.locator('.part.editor .editor-group-container.active .monaco-editor').first();
  }

  /** Open a workspace file with Quick Open and wait for its tab to be the active one. */
  async openFile(name: string): Promise<void> {
    await this.page.keyboard.press('Control+P');
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor();
    await input.fill(name);
    const row = this.page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first();
    await row.waitFor({ timeout: 10000 });
    await row.click();
    await this.page.locator('.part.editor .tab.active', { hasText: name }).waitFor();
    await this.editor.locator('.view-lines').waitFor();
  }

  /** The active editor's language, as the status bar names it ("NASM", "Plain Text"). */
  async languageName(): Promise<string> {
    return (await this.page.locator('.part.statusbar #status\\.editor\\.mode').innerText()).trim();
  }

  /** Scroll `line` into view and put the cursor there (Go to Line). */
  async revealLine(line: number): Promise<void> {
    await this.editor.locator('.view-lines').click();
    await this.page.keyboard.press('Control+G');
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor();
    await input.fill(`:${line}`);
    await this.page.keyboard.press('Enter');
    await this.lineNumber(line).waitFor();
  }

  private lineNumber(line: number): Locator {
    return this.editor.locator('.margin-view-overlays .line-numbers').filter({ hasText: new RegExp(`^\\s*${line}\\s*$`) });
  }

  /** The line numbers shown, with the vertical centre of each, top to bottom. */
  private async visibleLines(): Promise<{ line: number; y: number }[]> {
    const boxes = await this.editor.locator('.margin-view-overlays .line-numbers').evaluateAll((els) =>
      els.map((el) => {
        const r = el.getBoundingClientRect();
        return { line: Number(el.textContent), y: r.top + r.height / 2 };
      }),
    );
    return boxes.filter((b) => Number.isInteger(b.line) && b.line > 0).sort((a, b) => a.y - b.y);
  }

  /** Editor lines that carry an element matching `selector` (a decoration in the glyph margin or the line overlays). */
  async linesWith(selector: string): Promise<number[]> {
    const lines = await this.visibleLines();
    const ys = await this.editor.locator(selector).evaluateAll((els) =>
      els.map((el) => {
        const r = el.getBoundingClientRect();
        return r.height > 0 ? r.top + r.height / 2 : NaN;
      }),
    );
    const out = new Set<number>();
    for (const y of ys) {
      if (Number.isNaN(y)) continue;
      const near = lines.find((l) => Math.abs(l.y - y) < 6);
      if (near) out.add(near.line);
    }
    return [...out].sort((a, b) => a - b);
  }

  /** Lines with a breakpoint glyph (verified or not). */
  breakpointLines(): Promise<number[]> {
    return this.linesWith('.glyph-margin-widgets [class*="codicon-debug-breakpoint"]');
  }

  /** Click the gutter (glyph margin) at `line`, as a person sets a breakpoint, and wait for its glyph. */
  async toggleBreakpoint(line: number): Promise<void> {
    await this.revealLine(line);
    const had = (await this.breakpointLines()).includes(line);
    const num = await this.lineNumber(line).boundingBox();
    const margin = await this.editor.locator('.glyph-margin').boundingBox();
    if (!num || !margin) throw new Error(`line ${line} or the glyph margin is not on screen`);
    await this.page.mouse.click(margin.x + margin.width / 2, num.y + num.height / 2);
    await waitFor(`the breakpoint glyph at line ${line} to ${had ? 'go' : 'appear'}`, () => this.breakpointLines(), (l) => l.includes(line) !== had, 5000);
  }

  /** The line of the top stack frame (the yellow highlight), or undefined when none is shown. */
  async currentLine(): Promise<number | undefined> {
    const lines = await this.linesWith('.view-overlays .debug-top-stack-frame-line');
    return lines[0];
  }

  /** The editor's text as rendered (visible lines only), top to bottom. */
  async editorText(): Promise<string> {
    const rows = await this.editor.locator('.view-lines .view-line').evaluateAll((els) =>
      els
        .map((el) => ({ top: el.getBoundingClientRect().top, text: (el.textContent ?? '').replace(/\u00a0/g, ' ') }))
        .sort((a, b) => a.top - b.top)
        .map((r) => r.text),
    );
    return rows.join('\n');
  }

  // --- debugging -------------------------------------------------------------

  /** Click into the editor (keys go to the workbench only with focus there) and press a key. */
  async pressInEditor(key: string): Promise<void> {
    await this.focusEditor();
    await this.page.keyboard.press(key);
  }

  /** Click into the active editor's text. */
  async focusEditor(): Promise<void> {
    await this.editor.locator('.view-lines').click();
  }

  /** The debug toolbar's action titles ("Continue (F5)", "Step Over (F10)", …); empty when no session. */
  async toolbarActions(): Promise<string[]> {
    return this.page.locator('.debug-toolbar .action-item .action-label').evaluateAll((els) => els.map((el) => el.getAttribute('aria-label') ?? el.getAttribute('title') ?? ''));
  }

  /** Wait until the session is stopped: the toolbar offers Continue instead of Pause. */
  async waitStopped(timeout = 30000): Promise<void> {
    await waitFor('the debug toolbar to show Continue (stopped)', () => this.toolbarActions(), (a) => a.some((t) => t.startsWith('Continue')), timeout);
  }

  /** Wait until the guest runs: the toolbar offers Pause. */
  async waitRunning(timeout = 30000): Promise<void> {
    await waitFor('the debug toolbar to show Pause (running)', () => this.toolbarActions(), (a) => a.some((t) => t.startsWith('Pause')), timeout);
  }

  /** Click a debug toolbar action by the start of its title ("Step Over", "Stop", "Pause"). */
  async toolbar(action: string): Promise<void> {
    await this.page.locator(`.debug-toolbar .action-item .action-label[aria-label^="${action}"]`).first().click();
  }

  /** Wait until no debug session is left (the toolbar is gone). */
  async waitNoSession(timeout = 30000): Promise<void> {
    await this.page.locator('.debug-toolbar').waitFor({ state: 'hidden', timeout });
  }

  /** Show the Run and Debug sidebar. */
  async showRunAndDebug(): Promise<void> {
    const title = this.page.locator('.part.sidebar .composite.title', { hasText: /run and debug/i });
    if (await title.isVisible()) return;
    await this.runCommand('View: Show Run and Debug');
    await title.waitFor();
  }

  /** A view pane of the side bar by its title ("Variables", "x86 Machine"). */
  pane(title: string): Locator {
    return this.page
      .locator('.part.sidebar .pane')
      .filter({ has: this.page.locator('.pane-header .title', { hasText: new RegExp(`^${escapeRegExp(title)}$`, 'i') }) });
  }

  /** Make sure a sidebar pane is expanded (its header clicked when collapsed). */
  async expandPane(title: string): Promise<Locator> {
    await this.setPane(title, true);
    return this.pane(title);
  }

  /** Collapse a sidebar pane (to give the others room: lists only render the rows on screen). */
  async collapsePane(title: string): Promise<void> {
    await this.setPane(title, false);
  }

  private async setPane(title: string, expanded: boolean): Promise<void> {
    await this.showRunAndDebug();
    const header = this.pane(title).locator('.pane-header');
    await header.waitFor();
    const want = String(expanded);
    if ((await header.getAttribute('aria-expanded')) !== want) await header.click();
    await waitFor(`the ${title} pane to ${expanded ? 'expand' : 'collapse'}`, async () => header.getAttribute('aria-expanded'), (v) => v === want, 5000);
  }

  /**
   * Give one Run and Debug pane the room: it and the Call Stack expanded,
   * every other pane collapsed. Trees render only the rows in view, and
   * clicks on rows half out of view land on the wrong row.
   */
  async focusPane(title: string): Promise<Locator> {
    await this.showRunAndDebug();
    const titles = await this.page.locator('.part.sidebar .pane .pane-header .title').allInnerTexts();
    for (const t of titles) {
      const keep = [title, 'Call Stack'].some((k) => k.toLowerCase() === t.trim().toLowerCase());
      if (!keep) await this.setPane(t.trim(), false);
    }
    await this.setPane('Call Stack', true);
    return this.expandPane(title);
  }

  /** The rows of a tree in a pane, in list order (by data-index: rows are positioned, not ordered, in the DOM). */
  async treeRows(pane: Locator): Promise<TreeRow[]> {
    const rows = await pane.locator('.monaco-list-row').evaluateAll((els) =>
      els.map((el) => ({
        index: Number(el.getAttribute('data-index')),
        level: Number(el.getAttribute('aria-level') ?? '1'),
        // Label and description with a space between (a custom view renders
        // them in adjacent spans, which innerText runs together), or the
        // row's own text (the Variables view's "name = value").
        text: (el.querySelector('.label-name')
          ? `${el.querySelector('.label-name')?.textContent ?? ''} ${el.querySelector('.label-description')?.textContent ?? ''}`
          : ((el as unknown as { innerText?: string }).innerText ?? '')
        ).replace(/\s+/g, ' ').trim(),
        expanded: el.hasAttribute('aria-expanded') ? el.getAttribute('aria-expanded') === 'true' : undefined,
      })),
    );
    return rows.sort((a, b) => a.index - b.index);
  }

  /**
   * Walk a tree in `paneTitle` by the start of each row's text, expanding
   * the rows on the way, and return the row at the end. Each name must be
   * found below the previous one (so "base" under "fs" is fs's base). Other
   * expanded top-level rows are collapsed first, and the list is scrolled
   * when a row is off screen: trees render only the rows in view.
   */
  async treePath(paneTitle: string, names: string[], timeout = 15000): Promise<TreeRow> {
    const pane = await this.focusPane(paneTitle);
    const rowAt = (r: TreeRow): Locator => pane.locator(`.monaco-list-row[data-index="${r.index}"]`);
    for (const r of await this.treeRows(pane)) {
      if (r.level === 1 && r.expanded === true && !startsWithWord(r.text, names[0])) await rowAt(r).locator('.monaco-tl-twistie').click({ timeout: ROW_CLICK_MS });
    }
    // The parent of the row looked for (a virtual root above the first level).
    let parent: TreeRow = { index: -1, level: 0, text: '', expanded: true };
    let row: TreeRow | undefined;
    for (let depth = 0; depth < names.length; depth++) {
      const want = names.slice(0, depth + 1);
      // Rows seen at any scroll position since the parent was found: a pane
      // may be too short to show a parent and a far child at once.
      const seen = new Map<number, TreeRow>();
      const under = parent;
      let lastSeen = -1;
      let stuck = 0;
      let lastRows: TreeRow[] = [];
      row = await waitFor(
        `"${want.join(' › ')}" in ${paneTitle}`,
        async () => {
          const rows = await this.treeRows(pane);
          lastRows = rows;
          // The tree changed under us (a refresh at a stop, a row expanded): start over.
          if (rows.some((r) => seen.has(r.index) && (seen.get(r.index)?.text !== r.text || seen.get(r.index)?.level !== r.level))) seen.clear();
          for (const r of rows) seen.set(r.index, r);
          const found = childOf(seen, under, names[depth]);
          // Taken only while rendered, so that it can be clicked.
          if (found && rows.some((r) => r.index === found.index)) return found;
          // Not rendered: page on, or back to the top once at the end. By keyboard on the focused
          // list: a mouse over the tree raises value hovers, which then take the wheel's events.
          // (The first PageDown only moves the focus to the last row in view: the end of the list
          // is where the last row stays put for three presses.)
          const last = rows.length > 0 ? rows[rows.length - 1].index : -1;
          stuck = last === lastSeen ? stuck + 1 : 0;
          lastSeen = last;
          await this.page.mouse.move(0, 0);
          await pane.locator('.monaco-list').first().focus();
          const key = found && found.index < rows[0].index ? 'PageUp' : stuck >= 3 ? 'Home' : 'PageDown';
          if (key === 'Home') stuck = 0;
          await this.page.keyboard.press(key);
          return undefined;
        },
        (r) => r !== undefined,
        timeout,
      ).catch((e: unknown) => {
        // Say what the tree showed, for a failure that does not happen again.
        const shown = lastRows.map((r) => `${r.index}/${r.level} ${r.text.slice(0, 30)}`).join(' | ');
        throw new Error(`${e instanceof Error ? e.message : String(e)}; rows on screen: ${shown || 'none'}`);
      });
      if (!row) break;
      if (depth < names.length - 1 && row.expanded === false) {
        const at = row;
        await rowAt(at).locator('.monaco-tl-twistie').click({ timeout: ROW_CLICK_MS });
        row = await waitFor(
          `"${names[depth]}" to expand`,
          async () => (await this.treeRows(pane)).find((r) => r.index === at.index),
          (r) => r?.expanded === true,
          5000,
        );
      }
      if (row) parent = row;
    }
    if (!row) throw new Error('treePath: no names given');
    return row;
  }

  /** A variable's value in the Variables view: variable(['Segments', 'fs', 'base']) → "0x00000000". */
  async variable(names: string[]): Promise<string> {
    const { text } = await this.treePath('Variables', names);
    const name = names[names.length - 1];
    // A variable row shows "name: value" (or "name = value").
    const m = new RegExp(`^${escapeRegExp(name)}\\s*[:=]\\s*(.*)$`).exec(text);
    return m ? m[1].trim() : text;
  }

  /** Everything the Debug Console shows, after opening it. */
  async debugConsoleText(): Promise<string> {
    const repl = this.page.locator('.part.panel .repl');
    if (!(await repl.isVisible())) {
      await this.runCommand('View: Toggle Debug Console');
      await repl.waitFor();
    }
    const rows = await repl.locator('.monaco-list-row').evaluateAll((els) =>
      els
        .map((el) => ({ index: Number(el.getAttribute('data-index')), text: (el as unknown as { innerText?: string }).innerText ?? '' }))
        .sort((a, b) => a.index - b.index)
        .map((r) => r.text),
    );
    return rows.join('\n');
  }

  // --- webviews ------------------------------------------------------------------

  /**
   * The content of the visible webview (two iframes deep: VS Code's host
   * frame, then the page the extension wrote).
   */
  webview(): FrameLocator {
    return this.page.frameLocator('iframe.webview.ready:visible').frameLocator('iframe#active-frame');
  }

  /** Show the VM Screen panel (its tab) and return its page. */
  async screenPage(): Promise<FrameLocator> {
    const tab = this.page.locator('.part.editor .tab', { hasText: 'VM Screen' }).first();
    await tab.waitFor();
    if (!(await tab.evaluate((el) => el.classList.contains('active')))) await tab.click();
    const frame = this.webview();
    await frame.locator('#serial .xterm-rows').waitFor();
    return frame;
  }

  /** The VM Screen's serial console (xterm.js, DOM renderer): its rows, trailing blanks cut. */
  async serialText(): Promise<string> {
    const frame = await this.screenPage();
    const rows = await frame.locator('#serial .xterm-rows > div').evaluateAll((els) => els.map((el) => (el.textContent ?? '').replace(/\u00a0/g, ' ').trimEnd()));
    return rows.join('\n').trimEnd();
  }

  /** Type into the serial console (it goes to the guest's COM1). */
  async typeSerial(text: string): Promise<void> {
    const frame = await this.screenPage();
    await frame.locator('#serial .xterm').click();
    await this.page.keyboard.type(text);
  }

  /** Type on the guest screen (it goes to the guest's PS/2 keyboard). */
  async typeScreen(text: string): Promise<void> {
    const frame = await this.screenPage();
    await frame.locator('canvas#screen').click();
    await this.page.keyboard.type(text);
  }

  /**
   * One row of the VGA text screen (a canvas of 9x16-pixel cells) as a
   * shape: '#' for a cell with any pixel unlike the screen's background,
   * ' ' for a blank one. The text itself is pixels; its shape tells which
   * characters are there without depending on the font.
   */
  async screenRowShape(row: number): Promise<string> {
    const frame = await this.screenPage();
    return frame.locator('canvas#screen').evaluate((el, r) => {
      const canvas = el as unknown as { width: number; getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null };
      const ctx = canvas.getContext('2d');
      if (!ctx) return '';
      const cols = Math.floor(canvas.width / 9);
      const data = ctx.getImageData(0, r * 16, cols * 9, 16).data;
      const background = [data[0], data[1], data[2]];
      let out = '';
      for (let c = 0; c < cols; c++) {
        let lit = false;
        for (let y = 0; y < 16 && !lit; y++) {
          for (let x = c * 9; x < c * 9 + 9 && !lit; x++) {
            const i = (y * cols * 9 + x) * 4;
            lit = data[i] !== background[0] || data[i + 1] !== background[1] || data[i + 2] !== background[2];
          }
        }
        out += lit ? '#' : ' ';
      }
      return out;
    }, row);
  }

  /** The Call Stack view's frames, top first (the session and thread rows left out). */
  async callStack(): Promise<string[]> {
    const pane = await this.expandPane('Call Stack');
    const rows = await pane.locator('.monaco-list-row').evaluateAll((els) =>
      els
        .filter((el) => el.querySelector('.stack-frame') !== null)
        .map((el) => ({ index: Number(el.getAttribute('data-index')), text: (el.textContent ?? '').replace(/\s+/g, ' ').trim() }))
        .sort((a, b) => a.index - b.index)
        .map((r) => r.text),
    );
    return rows;
  }

  /** The rows of the Disassembly view (address, bytes and instruction as shown), top to bottom. */
  async disassemblyRows(): Promise<string[]> {
    const rows = await this.page.locator('.disassembly-view .monaco-list-row').evaluateAll((els) =>
      els.map((el) => ({ index: Number(el.getAttribute('data-index')), text: ((el as unknown as { innerText?: string }).innerText ?? '').replace(/\s+/g, ' ').trim() })),
    );
    return rows.sort((a, b) => a.index - b.index).map((r) => r.text);
  }

  /** The editor tabs' texts with white space removed ("boot.asm"; "boot.asmbuild" when a second boot.asm in build/ is open). */
  async tabTitles(): Promise<string[]> {
    return (await this.page.locator('.part.editor .tab').allInnerTexts()).map((t) => t.replace(/\s+/g, ''));
  }

  /** Click the tab of an editor (or webview panel) by its title. */
  async activateTab(title: string): Promise<void> {
    const tab = this.page.locator('.part.editor .tab', { hasText: title }).first();
    await tab.waitFor();
    await tab.click();
    await this.page.locator('.part.editor .tab.active', { hasText: title }).waitFor();
  }
}

/**
 * The child of `parent` whose text starts with `name`, among the rows seen
 * (by list index); undefined when not seen yet or not there.
 */
function childOf(seen: Map<number, TreeRow>, parent: TreeRow, name: string): TreeRow | undefined {
  for (let i = parent.index + 1; seen.has(i); i++) {
    const r = seen.get(i) as TreeRow;
    if (r.level <= parent.level) return undefined; // past the parent's subtree
    if (r.level === parent.level + 1 && startsWithWord(r.text, name)) return r;
  }
  return undefined;
}

function startsWithWord(text: string, name: string): boolean {
  return text === name || new RegExp(`^${escapeRegExp(name)}(\\b|\\s|:|=)`, 'i').test(text);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
