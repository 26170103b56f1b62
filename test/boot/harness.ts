// Kernels for the boot tests: NASM sources in test/boot assembled (and, for
// ELF, linked with GNU ld) into a cache folder at test time, module files
// written beside them, and runs of the same kernel on vmexit (in-process,
// --kernel through the same loaders the CLI uses) and on QEMU's -kernel.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { strict as assert } from 'node:assert';
import { main } from '../../src/cli/main';
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
 * elf_i386 at 1 MiB), 'elf64' (the same as an ELF64 file) or 'bin' (nasm
 * -f bin, e.g. an a.out-kludge image).
 * Cached by the source's hash; returns the file's name inside BOOT_CACHE.
 */
export function buildKernel(name: string, format: 'elf' | 'elf64' | 'bin', defines: string[] = []): string {
  const source = path.join(SOURCES, `${name}.asm`);
  const key = createHash('sha256')
    .update(fs.readFileSync(source))
    .update(fs.readFileSync(path.join(SOURCES, 'serial.inc')))
    .update(format)
    .update(defines.join('\0'))
    .digest('hex')
    .slice(0, 12);
  const file = `${name}-${key}.${format}`;
  const out = path.join(BOOT_CACHE, file);
  if (fs.existsSync(out)) return file;
  fs.mkdirSync(BOOT_CACHE, { recursive: true });
  const tmp = `${out}.${process.pid}`;
  const defineArgs = defines.map((d) => `-D${d}`);
  const include = `-I${SOURCES}/`;
  if (format === 'bin') run('nasm', ['-f', 'bin', include, ...defineArgs, '-o', tmp, source]);
  else {
    run('nasm', ['-f', format === 'elf64' ? 'elf64' : 'elf32', include, ...defineArgs, '-o', `${tmp}.o`, source]);
    run('ld', ['-m', format === 'elf64' ? 'elf_x86_64' : 'elf_i386', '-Ttext=0x100000', '-o', tmp, `${tmp}.o`]);
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
export function runKernelOnPc(spec: KernelRun, budget = 50_000_000, until?: string): Promise<PcRunResult> {
  const memoryBytes = (spec.memoryMiB ?? 32) * 1024 * 1024;
  const initrd = spec.initrd === undefined ? [] : splitInitrd(spec.initrd);
  const kernel = openKernel({
    path: spec.kernel,
    bytes: new Uint8Array(fs.readFileSync(path.resolve(BOOT_CACHE, spec.kernel))),
    append: spec.append ?? '',
    initrd: initrd.map((m) => ({ string: m.string, path: m.file, bytes: new Uint8Array(fs.readFileSync(path.resolve(BOOT_CACHE, m.file))) })),
    memoryBytes,
  });
  return runOnPc({ kernel, boot: 'c', budget, memoryBytes, until });
}

/** The same on QEMU's -kernel, run in BOOT_CACHE (ended once the serial output contains `until`). */
export function runKernelOnQemu(spec: KernelRun, until?: string): Promise<QemuResult> {
  const machine = ['-kernel', spec.kernel];
  if (spec.append !== undefined) machine.push('-append', spec.append);
  if (spec.initrd !== undefined) machine.push('-initrd', spec.initrd);
  return spawnQemu(qemuArgs(machine, { memoryMiB: spec.memoryMiB }), { cwd: BOOT_CACHE, until, timeoutMs: 60_000 });
}

/** ISOs are built outside the repository (they are large and rebuilt at will). */
export const ISO_CACHE = path.join(os.homedir(), '.cache', 'vmexit', 'boot-iso');

export function hasGrubMkrescue(): boolean {
  const r = spawnSync('grub-mkrescue', ['--version'], { encoding: 'utf8' });
  return !r.error && r.status === 0;
}

/**
 * A GRUB rescue ISO (grub-mkrescue, ../shared/GUESTS.md) whose one menu entry
 * runs `command` on the kernel with `args`, then `moduleCommand` for each
 * module (a file in BOOT_CACHE and its words), on COM1. Cached by content.
 */
export function grubIso(kernel: string, command: string, args: string, moduleCommand: string, modules: { file: string; words: string }[]): string {
  const files = [kernel, ...modules.map((m) => m.file)];
  const config = [
    'serial --unit=0 --speed=115200',
    'terminal_input serial',
    'terminal_output serial',
    'set timeout=0',
    'menuentry "test" {',
    `  ${command} /boot/${kernel} ${args}`,
    ...modules.map((m) => `  ${moduleCommand} /boot/${m.file} ${m.words}`),
    '  boot',
    '}',
    '',
  ].join('\n');
  const hash = createHash('sha256').update(config);
  for (const f of files) hash.update(fs.readFileSync(path.join(BOOT_CACHE, f)));
  const iso = path.join(ISO_CACHE, `${hash.digest('hex').slice(0, 16)}.iso`);
  if (fs.existsSync(iso)) return iso;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmexit-iso-'));
  try {
    fs.mkdirSync(path.join(dir, 'boot', 'grub'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'boot', 'grub', 'grub.cfg'), config);
    for (const f of files) fs.copyFileSync(path.join(BOOT_CACHE, f), path.join(dir, 'boot', f));
    fs.mkdirSync(ISO_CACHE, { recursive: true });
    run('grub-mkrescue', ['-o', `${iso}.${process.pid}.tmp`, dir]);
    fs.renameSync(`${iso}.${process.pid}.tmp`, iso);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return iso;
}

/** An ISO booted from QEMU's CD-ROM (-cdrom, -boot d). */
export function runIsoOnQemu(iso: string): Promise<QemuResult> {
  return spawnQemu(qemuArgs(['-cdrom', iso, '-boot', 'd']), { timeoutMs: 60_000 });
}

/** The kernel's own lines from a serial log that GRUB's menu drawing precedes (from `first` on). */
export function kernelLines(serial: string, first: string): string[] {
  const text = serial.replace(/\r/g, '');
  const at = text.indexOf(first);
  return at < 0 ? [] : text.slice(at).split('\n').filter((l) => l !== '');
}

// ---- `vmexit run` in-process (src/cli/main.ts), its stdout and stderr captured.

export interface Captured {
  status: number;
  stdout: string;
  stderr: string;
}

export async function runMain(argv: string[]): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += Buffer.from(chunk).toString('latin1')), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += Buffer.from(chunk).toString('utf8')), true)) as typeof process.stderr.write;
  try {
    const status = await main(['run', '--serial', 'stdio', ...argv]);
    return { status, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

export function assertRefused(r: Captured, pattern: RegExp): void {
  assert.equal(r.status, 2, `status 2: ${r.stderr}`);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `one line: ${r.stderr}`);
  assert.match(lines[0], pattern);
}


/** A small data ISO (xorriso -as mkisofs) with volume id `volume` and one text file, in ISO_CACHE. */
export function dataIso(volume: string): string | null {
  if (spawnSync('xorriso', ['-version'], { encoding: 'utf8' }).status !== 0) return null;
  const iso = path.join(ISO_CACHE, `data-${volume}.iso`);
  if (fs.existsSync(iso)) return iso;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmexit-iso-'));
  try {
    fs.writeFileSync(path.join(dir, 'readme.txt'), 'a data CD for the ATAPI tests\n');
    fs.mkdirSync(ISO_CACHE, { recursive: true });
    run('xorriso', ['-as', 'mkisofs', '-quiet', '-V', volume, '-o', `${iso}.${process.pid}.tmp`, dir]);
    fs.renameSync(`${iso}.${process.pid}.tmp`, iso);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return iso;
}
