// `npm run try` (scripts/try.sh builds vmexit.vsix and installs code-server
// first): serves a real VS Code with the extension on 127.0.0.1 for a person
// to open in a browser, on the examples/try workspace, until Ctrl-C. The
// same code-server set-up as the end-to-end tests (harness.ts), with a
// profile and workspace that persist in the cache between runs.
//
//   npx tsx test/e2e/serve.ts [--reset]
//
// Environment: VMEXIT_TRY_PORT (default: a free port), VMEXIT_CACHE.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { cacheRoot, ensureVsCode, freePort, root, startServer, vsixPath } from './harness';

async function main(): Promise<void> {
  const reset = process.argv.includes('--reset');
  const base = path.join(cacheRoot(), 'try');
  const workspace = path.join(base, 'workspace');
  const profile = path.join(base, 'profile');
  if (reset) fs.rmSync(base, { recursive: true, force: true });
  // The workspace is copied once and then kept, so edits to boot.asm
  // survive a restart; --reset starts again from examples/try.
  if (!fs.existsSync(workspace)) {
    fs.mkdirSync(base, { recursive: true });
    fs.cpSync(path.join(root, 'examples/try'), workspace, { recursive: true });
  }
  if (!fs.existsSync(vsixPath)) throw new Error(`${vsixPath} is missing: run npm run package first (scripts/try.sh does)`);

  const portText = process.env.VMEXIT_TRY_PORT;
  const port = portText ? Number(portText) : await freePort();
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`VMEXIT_TRY_PORT must be a port number, not '${portText}'`);

  const install = ensureVsCode();
  const log = path.join(base, 'code-server.log');
  fs.writeFileSync(log, '');
  console.log(`[try] starting code-server on 127.0.0.1:${port} (log: ${log})`);
  // Minimap, sticky tree headers and the like stay on for people; only the pop-ups go.
  const server = await startServer(install, { profile, workspace, port, vsix: vsixPath, log, settings: { 'editor.minimap.enabled': true, 'workbench.tree.enableStickyScroll': true } });

  const url = `${server.url}?folder=${encodeURIComponent(workspace)}`;
  console.log('');
  console.log(`  Open ${url}`);
  console.log('');
  console.log('  Then open boot.asm, click left of a line number to set a breakpoint, and press F5.');
  console.log(`  The workspace is ${workspace} (kept between runs; --reset copies examples/try again).`);
  console.log('  Ctrl-C stops code-server.');

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    console.log('\n[try] stopping code-server');
    void server.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  server.process.once('exit', (code, signal) => {
    if (stopping) return;
    console.error(`[try] code-server exited (${signal ?? `status ${code}`}); see ${log}`);
    process.exit(1);
  });
}

main().catch((e: unknown) => {
  console.error(`[try] ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
