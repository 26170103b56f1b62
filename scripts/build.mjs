#!/usr/bin/env node
// Bundles every entry point that exists into dist/ with esbuild.
// Entries whose source file does not exist yet are skipped (and reported).
//
//   node scripts/build.mjs            build all present entries
//   node scripts/build.mjs --quiet    print only problems
import { build } from 'esbuild';
import { chmodSync, copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const quiet = process.argv.includes('--quiet');

/**
 * `browser` entries run in the VS Code webview (an iframe): one IIFE script,
 * no Node built-ins.
 * @type {{ src: string, out: string, external?: string[], bin?: boolean, browser?: boolean }[]}
 */
const entries = [
  { src: 'src/cli/main.ts', out: 'dist/cli.js', bin: true },
  { src: 'src/debugAdapter/main.ts', out: 'dist/debugAdapter.js' },
  { src: 'src/extension/extension.ts', out: 'dist/extension.js', external: ['vscode'] },
  { src: 'src/extension/webview/main.ts', out: 'dist/webview.js', browser: true },
  { src: 'test/bench/bench.ts', out: 'dist/bench.js' },
  { src: 'test/bench/adapterBench.ts', out: 'dist/adapterBench.js' },
];

const started = performance.now();
mkdirSync(join(root, 'dist'), { recursive: true });

// iced-x86 (disassembly) loads its WebAssembly from beside the script that requires it.
copyFileSync(join(root, 'node_modules/iced-x86/iced_x86_bg.wasm'), join(root, 'dist/iced_x86_bg.wasm'));
// The screen panel's terminal styles, loaded by the webview as a local resource.
copyFileSync(join(root, 'node_modules/@xterm/xterm/css/xterm.css'), join(root, 'dist/xterm.css'));
if (existsSync(join(root, 'src/extension/webview/screen.css'))) copyFileSync(join(root, 'src/extension/webview/screen.css'), join(root, 'dist/screen.css'));

const present = entries.filter((e) => existsSync(join(root, e.src)));
const skipped = entries.filter((e) => !present.includes(e));

const results = await Promise.allSettled(
  present.map(async (e) => {
    const outfile = join(root, e.out);
    await build({
      absWorkingDir: root,
      entryPoints: [join(root, e.src)],
      outfile,
      bundle: true,
      platform: e.browser ? 'browser' : 'node',
      target: e.browser ? 'chrome120' : 'node20',
      format: e.browser ? 'iife' : 'cjs',
      sourcemap: true,
      external: e.external ?? [],
      banner: e.bin ? { js: '#!/usr/bin/env node' } : undefined,
      logLevel: 'warning',
      legalComments: 'none',
    });
    if (e.bin) chmodSync(outfile, 0o755);
    return e;
  }),
);

const failed = results.filter((r) => r.status === 'rejected');
const ms = Math.round(performance.now() - started);
if (!quiet) {
  for (const r of results) {
    if (r.status === 'fulfilled') console.log(`built   ${r.value.src} -> ${r.value.out}`);
  }
  for (const e of skipped) console.log(`skipped ${e.src} (not present yet)`);
  console.log(`build: ${present.length - failed.length}/${entries.length} entries in ${ms} ms`);
}
if (failed.length > 0) {
  // esbuild has already printed the diagnostics (logLevel 'warning').
  for (const r of failed) {
    if (r.status === 'rejected' && !(r.reason && Array.isArray(r.reason.errors))) console.error(r.reason);
  }
  console.error(`build: ${failed.length} of ${present.length} entries failed`);
  process.exit(1);
}
