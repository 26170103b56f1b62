// C kernel guests for the adapter tests, built at test time as a C kernel
// developer builds one: gcc -m32 -g -ffreestanding -fno-pie -nostdlib, the
// NASM entry stub (guests/ckernel/entry.asm) linked first with ld -m elf_i386
// at 0x10000 (guests/ckernel/kernel.ld), flattened with objcopy, and loaded
// by a NASM boot sector (guests/ckernel/boot.asm) that enters protected mode.
// The ELF is the symbol file. Outputs go to the suite's scratch folder.

import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface CKernel {
  /** The floppy image (boot sector + kernel). */
  image: string;
  /** The linked kernel ELF (the symbol file). */
  elf: string;
  /** The C source, as compiled (in the build folder). */
  source: string;
  entry: string;
  /** The 1-based line of the first source line containing `marker` (the C source unless `file` says otherwise). */
  line(marker: string, file?: string): number;
  /** The source line binutils' addr2line gives an address (the oracle for the adapter's lines). */
  lineOf(address: number): number;
  /** A symbol's address and size (nm). */
  symbol(name: string): { address: number; size: number };
  /** The kernel's bytes at a linked address (from the ELF's flat image). */
  bytesAt(address: number, length: number): number[];
}

const GUESTS = path.join(__dirname, 'guests', 'ckernel');
const LOAD = 0x10000;

function run(tool: string, args: string[], cwd: string): string {
  try {
    return execFileSync(tool, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`${tool} ${args.join(' ')} failed: ${err.stderr ?? err.message}`);
  }
}

/** Builds guests/ckernel/<source> with gcc `flags` (e.g. ['-O2']) into `dir`/<name>, linked with the NASM files `asm` beside it. */
export function buildCKernel(dir: string, source: string, name: string, flags: string[], asm: string[] = []): CKernel {
  const out = path.join(dir, name);
  fs.mkdirSync(out, { recursive: true });
  for (const f of ['boot.asm', 'entry.asm', 'kernel.ld', source, ...asm]) fs.copyFileSync(path.join(GUESTS, f), path.join(out, f));
  const objects: string[] = [];
  for (const f of ['entry.asm', ...asm]) {
    objects.push(f.replace(/\.asm$/, '.o'));
    run('nasm', ['-f', 'elf32', '-g', '-F', 'dwarf', '-o', objects[objects.length - 1], f], out);
  }
  const object = source.replace(/\.c$/, '.o');
  run('gcc', ['-m32', '-g', ...flags, '-ffreestanding', '-fno-pie', '-fno-pic', '-nostdlib', '-fno-stack-protector', '-c', source, '-o', object], out);
  run('ld', ['-m', 'elf_i386', '-T', 'kernel.ld', '-o', 'kernel.elf', ...objects, object], out);
  run('objcopy', ['-O', 'binary', 'kernel.elf', 'kernel.bin'], out);
  const kernel = fs.readFileSync(path.join(out, 'kernel.bin'));
  const sectors = Math.ceil(kernel.length / 512);
  assert.ok(sectors <= 17, `the kernel (${kernel.length} bytes) must fit the boot sector's one-track read`);
  run('nasm', ['-f', 'bin', `-DSECTORS=${sectors}`, '-o', 'boot.bin', 'boot.asm'], out);
  const image = path.join(out, 'kernel.img');
  const padded = Buffer.alloc(sectors * 512);
  kernel.copy(padded);
  fs.writeFileSync(image, Buffer.concat([fs.readFileSync(path.join(out, 'boot.bin')), padded]));
  const symbols = new Map<string, { address: number; size: number }>();
  for (const l of run('nm', ['-S', 'kernel.elf'], out).split('\n')) {
    const m = /^([0-9a-f]+) (?:([0-9a-f]+) )?\w (\S+)$/.exec(l.trim());
    if (m) symbols.set(m[3], { address: parseInt(m[1], 16), size: m[2] ? parseInt(m[2], 16) : 0 });
  }
  const texts = new Map<string, string[]>();
  const lines = (file: string): string[] => {
    let t = texts.get(file);
    if (!t) texts.set(file, (t = fs.readFileSync(path.join(out, file), 'utf8').split('\n')));
    return t;
  };
  return {
    image,
    elf: path.join(out, 'kernel.elf'),
    source: path.join(out, source),
    entry: path.join(out, 'entry.asm'),
    line(marker, file = source) {
      const i = lines(file).findIndex((l) => l.includes(marker));
      assert.ok(i >= 0, `'${marker}' in ${file}`);
      return i + 1;
    },
    lineOf(address) {
      const m = /:(\d+)/.exec(run('addr2line', ['-e', 'kernel.elf', `0x${address.toString(16)}`], out));
      assert.ok(m, `addr2line knows 0x${address.toString(16)}`);
      return Number(m[1]);
    },
    symbol(sym) {
      const s = symbols.get(sym);
      assert.ok(s, `symbol ${sym} in kernel.elf`);
      return s;
    },
    bytesAt(address, length) {
      return [...kernel.subarray(address - LOAD, address - LOAD + length)];
    },
  };
}
