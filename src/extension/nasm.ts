// Assembling a boot sector source with NASM for F5 without a launch.json:
// `nasm -f bin -l` into a build folder, the listing becoming the symbols.
// No vscode here, so the tests run it directly.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const NASM_MISSING =
  'vmexit needs NASM to assemble the source, and it is not installed (or not on PATH). ' +
  'Install it: Debian/Ubuntu `sudo apt-get install nasm`, Fedora `sudo dnf install nasm`, macOS `brew install nasm`, ' +
  'Windows `winget install nasm` (or nasm.us); or set "vmexit.nasmPath" to the nasm program.';

export interface AssembleResult {
  image: string;
  listing: string;
}

/** Where the build of `source` goes: `<workspace folder>/build`, or `build/` beside the file outside any folder. */
export function buildFolderFor(source: string, folder: string | undefined): string {
  const inFolder = folder !== undefined && !path.relative(folder, source).startsWith('..');
  return path.join(inFolder ? folder : path.dirname(source), 'build');
}

/**
 * Assemble `source` with NASM into `<buildDir>/<name>.img` and its listing.
 * Throws with the message for the user (NASM missing, or NASM's own errors).
 */
export function assembleWithNasm(nasm: string, source: string, buildDir: string): AssembleResult {
  fs.mkdirSync(buildDir, { recursive: true });
  const name = path.basename(source, path.extname(source));
  const image = path.join(buildDir, `${name}.img`);
  const listing = path.join(buildDir, `${name}.lst`);
  const r = spawnSync(nasm, ['-f', 'bin', '-l', listing, '-o', image, source], { cwd: path.dirname(source), encoding: 'utf8', timeout: 60000 });
  if (r.error) {
    if ((r.error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(NASM_MISSING);
    throw new Error(`running ${nasm} failed: ${r.error.message}`);
  }
  if (r.status !== 0) {
    const out = `${r.stderr ?? ''}${r.stdout ?? ''}`.trim();
    throw new Error(`NASM could not assemble ${path.basename(source)}:\n${out || `exit status ${r.status}`}`);
  }
  return { image, listing };
}

