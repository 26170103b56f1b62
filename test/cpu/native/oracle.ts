// Builds and runs the native oracle (runner.c): a 32-bit Linux program that
// executes instruction bytes on the host CPU. Built once per source version
// into the repository's ignored .cache/native-oracle/.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { IN_SIZE, OUT_SIZE } from './forms';

const SOURCE = resolve(__dirname, 'runner.c');
const CACHE = resolve(__dirname, '../../../.cache/native-oracle');
const CFLAGS = ['-m32', '-O1', '-no-pie', '-fno-pie', '-fno-stack-protector', '-Wall', '-Werror'];

/** The runner's path, compiling it first when this version of runner.c has not been built. */
export function buildRunner(): string {
  return buildHostProgram(SOURCE, 'runner');
}

/**
 * A 32-bit host program built from one C file (the native oracle, the x87
 * oracle in test/cpu/fpu), compiled into the cache once per source version.
 */
export function buildHostProgram(source: string, name: string): string {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`the native oracle needs an x86-64 Linux host (this is ${process.platform}/${process.arch})`);
  }
  const text = readFileSync(source);
  const hash = createHash('sha1').update(text).update(CFLAGS.join(' ')).digest('hex').slice(0, 12);
  const exe = join(CACHE, `${name}-${hash}`);
  if (existsSync(exe)) return exe;
  mkdirSync(CACHE, { recursive: true });
  const tmp = `${exe}.${process.pid}.tmp`;
  const cc = spawnSync('gcc', [...CFLAGS, '-o', tmp, source], { encoding: 'utf8' });
  if (cc.error) {
    throw new Error(`the native oracle needs gcc with 32-bit support (apt-get install -y gcc gcc-multilib): ${cc.error.message}`);
  }
  if (cc.status !== 0) {
    const multilib = /libc-header-start|gnu\/stubs-32|cannot find (-lgcc|crt1|crti|-lc)|skipping incompatible/.test(cc.stderr);
    throw new Error(
      (multilib
        ? 'gcc -m32 cannot build 32-bit programs: install gcc-multilib (apt-get install -y gcc-multilib).\n'
        : 'building ' + source + ' failed:\n') + cc.stderr,
    );
  }
  renameSync(tmp, exe);
  return exe;
}

/** Runs `input` (IN_SIZE-byte case records) natively; returns the OUT_SIZE-byte result records. */
export function runNative(exe: string, input: Buffer): Buffer {
  return runHostProgram(exe, input, IN_SIZE, OUT_SIZE);
}

/** Feeds `input` (inSize-byte records) to a host program; returns its outSize-byte result records. */
export function runHostProgram(exe: string, input: Buffer, inSize: number, outSize: number): Buffer {
  const n = input.length / inSize;
  const p = spawnSync(exe, [], { input, maxBuffer: n * outSize + 1024 });
  if (p.error) throw new Error(`native oracle: ${p.error.message}`);
  if (p.status !== 0) {
    throw new Error(`native oracle exited with ${p.status ?? p.signal}: ${p.stderr.toString()}`);
  }
  if (p.stdout.length !== n * outSize) {
    throw new Error(`native oracle: ${p.stdout.length} bytes of results for ${n} cases`);
  }
  return p.stdout;
}
