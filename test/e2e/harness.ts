// A real VS Code for the extension's end-to-end tests: code-server (VS Code
// 1.139 served over http, installed by scripts/ensure-vscode.sh in a cache
// outside the repository) with vmexit.vsix installed into a fresh profile,
// a scratch copy of a fixture workspace, and Debian's chromium driven by
// playwright-core. Why it is built this way, and its traps, are in
// ../shared/VSCODE-E2E.md.
//
// Every test step goes through `step()`, which saves a screenshot to
// test-output/e2e/<test>/NN-<step>.png whether the step passed or failed, so
// a failure can be looked at rather than guessed at. The workbench helpers
// (ui.ts) read the DOM: an assertion is always on text the page shows.

import { spawn, spawnSync, ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, BrowserContext, Page } from 'playwright-core';

export const root = path.resolve(__dirname, '../..');
export const vsixPath = path.join(root, 'vmexit.vsix');

/** The cache ensure-vscode.sh installs into (same default as the script). */
export function cacheRoot(): string {
  return process.env.VMEXIT_CACHE || path.join(os.homedir(), '.cache/vmexit');
}

export interface VsCodeInstall {
  node: string;
  codeServer: string;
}

/** Install code-server when missing (minutes cold, instant warm) and return where it is. */
export function ensureVsCode(): VsCodeInstall {
  const r = spawnSync('bash', [path.join(root, 'scripts/ensure-vscode.sh'), '--quiet'], { stdio: 'inherit', env: process.env });
  if (r.status !== 0) throw new Error(`scripts/ensure-vscode.sh failed (exit ${r.status ?? r.signal})`);
  const envFile = path.join(cacheRoot(), 'vscode/env');
  const vars = new Map<string, string>();
  for (const line of fs.readFileSync(envFile, 'utf8').split('\n')) {
    const m = /^(\w+)=(.*)$/.exec(line);
    if (m) vars.set(m[1], m[2]);
  }
  const node = vars.get('NODE');
  const codeServer = vars.get('CODE_SERVER');
  if (!node || !codeServer) throw new Error(`${envFile} names no NODE or CODE_SERVER`);
  return { node, codeServer };
}

/**
 * Build dist/ and vmexit.vsix (`npm run package` when package.json has it,
 * the same two steps by hand otherwise).
 */
export function buildVsix(): void {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
  const run = (cmd: string, args: string[]): void => {
    const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`);
  };
  if (pkg.scripts?.package) run('npm', ['run', '--silent', 'package']);
  else {
    run('node', ['scripts/build.mjs', '--quiet']);
    run('npx', ['vsce', 'package', '--no-dependencies', '-o', 'vmexit.vsix']);
  }
  if (!fs.existsSync(vsixPath)) throw new Error(`packaging wrote no ${vsixPath}`);
}

/** The settings that keep the workbench quiet: no welcome page, no pop-ups over the UI. */
const QUIET_SETTINGS = {
  'workbench.startupEditor': 'none',
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'chat.disableAIFeatures': true,
  'window.restoreWindows': 'none',
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'remote.autoForwardPorts': false,
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'git.enabled': false,
  'editor.minimap.enabled': false,
  // Keep the editor's content where the gutter helpers expect it.
  'editor.glyphMargin': true,
  'debug.openDebug': 'openOnDebugBreak',
  'debug.toolBarLocation': 'floating',
  // Sticky tree headers repeat a row (same data-index) above the list, which
  // makes a row's locator ambiguous; the tests read and click real rows only.
  'workbench.tree.enableStickyScroll': false,
};

export interface ServerOptions {
  /** Folder holding code-server's profile: user data, extensions, XDG folders. */
  profile: string;
  /** The workspace folder to open. */
  workspace: string;
  /** Port on 127.0.0.1 (0: a free one). */
  port?: number;
  /** The .vsix to install into the profile first (skipped when absent). */
  vsix?: string;
  /** Where code-server's own output goes (a file); inherited when absent. */
  log?: string;
  /** User settings on top of the quiet ones. */
  settings?: Record<string, unknown>;
}

export interface Server {
  url: string;
  port: number;
  process: ChildProcess;
  /** Stop code-server and everything it started (its process group). */
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function serverEnv(install: VsCodeInstall, profile: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    // code-server runs on its own Node; its children (the extension host,
    // node-pty) find that Node first too.
    PATH: `${path.dirname(install.node)}:${process.env.PATH ?? ''}`,
    XDG_CONFIG_HOME: path.join(profile, 'xdg/config'),
    XDG_DATA_HOME: path.join(profile, 'xdg/data'),
    XDG_CACHE_HOME: path.join(profile, 'xdg/cache'),
    // The project's test runner may set these; they mean nothing to VS Code.
    NODE_OPTIONS: '',
    ELECTRON_RUN_AS_NODE: undefined,
  };
}

/** Write the quiet user settings and install the .vsix into a fresh profile. */
export function prepareProfile(install: VsCodeInstall, profile: string, vsix: string | undefined, settings: Record<string, unknown> = {}): void {
  const udd = path.join(profile, 'udd');
  fs.mkdirSync(path.join(udd, 'User'), { recursive: true });
  fs.mkdirSync(path.join(profile, 'exts'), { recursive: true });
  fs.writeFileSync(path.join(udd, 'User/settings.json'), JSON.stringify({ ...QUIET_SETTINGS, ...settings }, null, 2));
  if (!vsix) return;
  const r = spawnSync(
    install.node,
    [install.codeServer, '--user-data-dir', udd, '--extensions-dir', path.join(profile, 'exts'), '--install-extension', vsix, '--force'],
    { env: serverEnv(install, profile), encoding: 'utf8', timeout: 120000 },
  );
  if (r.status !== 0 || !/successfully installed/i.test(r.stdout + r.stderr)) {
    throw new Error(`code-server --install-extension ${vsix} failed (exit ${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`);
  }
}

function get(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.setTimeout(2000, () => req.destroy());
  });
}

/** Start code-server in its own session (setsid) and wait until it answers. */
export async function startServer(install: VsCodeInstall, opts: ServerOptions): Promise<Server> {
  const port = opts.port || (await freePort());
  const profile = opts.profile;
  prepareProfile(install, profile, opts.vsix, opts.settings);
  const out = opts.log ? fs.openSync(opts.log, 'a') : 'inherit';
  const child = spawn(
    install.node,
    [
      install.codeServer,
      '--bind-addr', `127.0.0.1:${port}`,
      '--auth', 'none',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--reconnection-grace-time', '5',
      '--user-data-dir', path.join(profile, 'udd'),
      '--extensions-dir', path.join(profile, 'exts'),
      opts.workspace,
    ],
    // detached: setsid(), so the whole group (file watchers, the extension
    // host, the debug adapter) can be stopped with one signal.
    { env: serverEnv(install, profile), detached: true, stdio: ['ignore', out, out] },
  );
  if (typeof out === 'number') fs.closeSync(out);
  // A test run that ends without stop() (process.exit, a crash) must not
  // leave code-server serving: kill its group on the way out.
  const killOnExit = (): void => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  };
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      process.removeListener('exit', killOnExit);
      resolve();
    }),
  );
  const url = `http://127.0.0.1:${port}/`;
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    const signal = (sig: NodeJS.Signals): void => {
      try {
        process.kill(-(child.pid as number), sig);
      } catch {
        // The group is gone already.
      }
    };
    signal('SIGTERM');
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 5000).unref());
    if ((await Promise.race([exited, timeout])) === 'timeout') signal('SIGKILL');
    // File-watcher children outlive the leader for a moment; take them too.
    await new Promise((resolve) => setTimeout(resolve, 200));
    signal('SIGKILL');
  };
  const deadline = Date.now() + 60000;
  while ((await get(`${url}healthz`)) !== 200) {
    if (child.exitCode !== null) throw new Error(`code-server exited with status ${child.exitCode} before answering${opts.log ? ` (log: ${opts.log})` : ''}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`code-server did not answer on ${url} within 60 s${opts.log ? ` (log: ${opts.log})` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { url, port, process: child, stop };
}

/** Chromium flags that keep a headless run off the network and quiet (VSCODE-E2E.md). */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export interface Session {
  page: Page;
  context: BrowserContext;
  server: Server;
  workspace: string;
  /** Folder of this run's temporary files (profile, workspace, browser data). */
  tmp: string;
  /** Run one named step, saving NN-<name>.png after it (pass or fail). */
  step<T>(name: string, fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface SessionOptions {
  /** Folder name under test-output/e2e for the screenshots. */
  test: string;
  /** Fixture folder copied into a scratch workspace. */
  fixture: string;
  vsix?: string;
  install: VsCodeInstall;
  /** Paths (relative to the fixture) left out of the workspace copy. */
  omit?: string[];
  settings?: Record<string, unknown>;
}

function safeName(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
}

/** code-server + chromium on a scratch copy of `fixture`, with the workbench loaded. */
export async function openSession(opts: SessionOptions): Promise<Session> {
  const shots = path.join(root, 'test-output/e2e', safeName(opts.test));
  fs.rmSync(shots, { recursive: true, force: true });
  fs.mkdirSync(shots, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vmexit-e2e-'));
  const workspace = path.join(tmp, 'workspace');
  fs.cpSync(opts.fixture, workspace, { recursive: true });
  for (const p of opts.omit ?? []) fs.rmSync(path.join(workspace, p), { recursive: true, force: true });
  const serverLog = path.join(tmp, 'code-server.log');
  let server: Server | undefined;
  let context: BrowserContext | undefined;
  const cleanup = async (): Promise<void> => {
    await context?.close().catch(() => undefined);
    await server?.stop();
    // Keep code-server's log and the extension host's logs beside the screenshots.
    copyLogs(tmp, shots);
    fs.rmSync(tmp, { recursive: true, force: true });
  };
  try {
    server = await startServer(opts.install, { profile: path.join(tmp, 'profile'), workspace, vsix: opts.vsix, log: serverLog, settings: opts.settings });
    context = await chromium.launchPersistentContext(path.join(tmp, 'browser'), {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1600, height: 1000 },
    });
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`${server.url}?folder=${encodeURIComponent(workspace)}`);
    await page.locator('.monaco-workbench').waitFor({ timeout: 60000 });
    let n = 0;
    const step = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
      const file = path.join(shots, `${String(++n).padStart(2, '0')}-${safeName(name)}.png`);
      try {
        const result = await fn();
        await page.screenshot({ path: file }).catch(() => undefined);
        return result;
      } catch (e) {
        await page.screenshot({ path: file.replace(/\.png$/, '-FAILED.png') }).catch(() => undefined);
        const msg = e instanceof Error ? e.message : String(e);
        throw new Error(`step "${name}" failed: ${msg}\n(screenshot: ${path.relative(root, file.replace(/\.png$/, '-FAILED.png'))}, logs: ${path.relative(root, shots)})`);
      }
    };
    const s: Session = { page, context, server, workspace, tmp, step, close: cleanup };
    return s;
  } catch (e) {
    await cleanup();
    throw e;
  }
}

/** code-server's log and the VS Code logs (extension host, window) into the screenshots folder. */
function copyLogs(tmp: string, shots: string): void {
  const dest = path.join(shots, 'logs');
  try {
    fs.mkdirSync(dest, { recursive: true });
    const serverLog = path.join(tmp, 'code-server.log');
    if (fs.existsSync(serverLog)) fs.copyFileSync(serverLog, path.join(dest, 'code-server.log'));
    const logs = path.join(tmp, 'profile/udd/logs');
    if (fs.existsSync(logs)) fs.cpSync(logs, path.join(dest, 'vscode'), { recursive: true });
  } catch {
    // Logs are a help for a failure, never a failure of their own.
  }
}
