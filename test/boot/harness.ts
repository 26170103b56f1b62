// Kernels for the boot tests: NASM sources in test/boot assembled (and, for
// ELF, linked with GNU ld) into a cache folder at test time, module files
// written beside them, and runs of the same kernel on vmexit (in-process,
// --kernel through the same loaders the CLI uses) and on QEMU's -kernel.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openKernel } from '../../src/devices/loaders/openKernel';
import { splitInitrd } from '../../src/vmm/hostImages';
import { REPO, QemuResult, qemuArgs, spawnQemu } from '../guests/harness';
import { PcRunResult, runOnPc } from '../guests/pcRun';

export const BOOT_CACHE = path.join(REPO, '.cache', 'boot');
const SOURCES = __dirname;

function run(command: string, args: string[]): void {
  const r = spawnSync(command, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${r.error?.message ?? r.stderr}`);
}

/**
 * test/boot/<name>.asm built as `format`: 'elf' (nasm -f elf32, ld -m
 * elf_i386 at 1 MiB) or 'bin' (nasm -f bin, e.g. an a.out-kludge image).
 * Cached by the source's hash; returns the file's name inside BOOT_CACHE.
 */
export function buildKernel(name: string, format: 'elf' | 'bin', defines: string[] = []): string {
  const source = path.join(SOURCES, `${name}.asm`);
  const key = createHash('sha256').update(fs.readFileSync(source)).update(format).update(defines.join('\0')).digest('hex').slice(0, 12);
  const file = `${name}-${key}.${format === 'elf' ? 'elf' : 'bin'}`;
  const out = path.join(BOOT_CACHE, file);
  if (fs.existsSync(out)) return file;
  fs.mkdirSync(BOOT_CACHE, { recursive: true });
  const tmp = `${out}.${process.pid}`;
  const defineArgs = defines.map((d) => `-D${d}`);
  if (format === 'bin') run('nasm', ['-f', 'bin', ...defineArgs, '-o', tmp, source]);
  else {
    run('nasm', ['-f', 'elf32', ...defineArgs, '-o', `${tmp}.o`, source]);
    run('ld', ['-m', 'elf_i386', '-Ttext=0x100000', '-o', tmp, `${tmp}.o`]);
    fs.rmSync(`${tmp}.o`);
  }
  fs.renameSync(tmp, out);
  return file;
}

/** A file in BOOT_CACHE with these contents; returns its name there. */
export function cacheFile(name: string, data: Uint8Array | string): string {
  fs.mkdirSync(BOOT_CACHE, { recursive: true });
  fs.writeFileSync(path.join(BOOT_CACHE, name), data);
  return name;
}

export interface KernelRun {
  kernel: string;
  append?: string;
  initrd?: string;
  memoryMiB?: number;
}

/** The kernel on vmexit's built-in BIOS, names relative to BOOT_CACHE as a user in that folder gives them. */
export function runKernelOnPc(spec: KernelRun, budget = 50_000_000): Promise<PcRunResult> {
  const memoryBytes = (spec.memoryMiB ?? 32) * 1024 * 1024;
  const initrd = spec.initrd === undefined ? [] : splitInitrd(spec.initrd);
  const kernel = openKernel({
    path: spec.kernel,
    bytes: new Uint8Array(fs.readFileSync(path.join(BOOT_CACHE, spec.kernel))),
    append: spec.append ?? '',
    initrd: initrd.map((m) => ({ string: m.string, path: m.file, bytes: new Uint8Array(fs.readFileSync(path.join(BOOT_CACHE, m.file))) })),
    memoryBytes,
  });
  return runOnPc({ kernel, boot: 'c', budget, memoryBytes });
}

/** The same on QEMU's -kernel, run in BOOT_CACHE. */
export function runKernelOnQemu(spec: KernelRun): Promise<QemuResult> {
  const machine = ['-kernel', spec.kernel];
  if (spec.append !== undefined) machine.push('-append', spec.append);
  if (spec.initrd !== undefined) machine.push('-initrd', spec.initrd);
  return spawnQemu(qemuArgs(machine, { memoryMiB: spec.memoryMiB }), { cwd: BOOT_CACHE });
}
