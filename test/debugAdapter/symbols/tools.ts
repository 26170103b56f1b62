// Test fixtures for the symbol layer: a scratch folder per test file and
// the real tools (nasm, gcc, ld, readelf) run on sources written there.

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export class Scratch {
  readonly dir: string;
  constructor(prefix: string) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `vmexit-sym-${prefix}-`));
  }
  /** Writes a file (creating folders) and returns its absolute path. */
  write(name: string, text: string): string {
    const p = path.join(this.dir, name);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
    return p;
  }
  path(name: string): string {
    return path.join(this.dir, name);
  }
  read(name: string): string {
    return fs.readFileSync(this.path(name), 'utf8');
  }
  bytes(name: string): Uint8Array {
    return fs.readFileSync(this.path(name));
  }
  /** Runs a tool in the scratch folder; throws with its stderr on failure. */
  run(tool: string, args: string[], cwd = this.dir): string {
    try {
      return execFileSync(tool, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      throw new Error(`${tool} ${args.join(' ')} failed: ${err.stderr ?? err.message}`);
    }
  }
  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The 1-based line number of the first source line containing `marker`. */
export function lineOf(text: string, marker: string, nth = 1): number {
  const lines = text.split('\n');
  let seen = 0;
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].includes(marker) && ++seen === nth) return i + 1;
  }
  throw new Error(`marker '${marker}' not found`);
}

export function hex(n: number | undefined): string {
  return n === undefined ? 'undefined' : '0x' + n.toString(16);
}
