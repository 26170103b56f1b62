// Test guests: assembling them with NASM into a cache folder, building their
// disk images, and running them on vmexit's PcMachine (in-process) and on
// QEMU (the differential oracle, ../shared/GUESTS.md).

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export const REPO = path.resolve(__dirname, '..', '..');
export const GUESTS_DIR = __dirname;
export const CACHE_DIR = path.join(REPO, '.cache', 'guests');

export const FLOPPY_BYTES = 1474560;
/** The disk guest's hard disk: 8 cylinders x 16 heads x 63 sectors (HD_SECTORS in disk.asm). */
export const HD_SECTORS = 8064;

let nasmChecked = false;

function checkNasm(): void {
  if (nasmChecked) return;
  const r = spawnSync('nasm', ['-v'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error('nasm is not installed (scripts/ensure-deps.sh installs it: apt-get install nasm)');
  }
  nasmChecked = true;
}

/**
 * Assemble test/guests/<name>.asm (or any .asm file given by path) with
 * `nasm -f bin`, cached by the hash of the sources and defines. Returns the
 * path of the binary.
 */
export function assemble(name: string, defines: Record<string, string | number | true> = {}): string {
  checkNasm();
  const source = name.endsWith('.asm') ? path.resolve(name) : path.join(GUESTS_DIR, `${name}.asm`);
  const includeDir = GUESTS_DIR;
  const hash = createHash('sha256');
  hash.update(fs.readFileSync(source));
  for (const inc of ['boot.inc', 'end.inc']) hash.update(fs.readFileSync(path.join(includeDir, inc)));
  const defineArgs = Object.entries(defines)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => (v === true ? `-D${k}` : `-D${k}=${v}`));
  hash.update(defineArgs.join('\0'));
  const key = hash.digest('hex').slice(0, 16);
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  const base = path.basename(source, '.asm');
  const out = path.join(CACHE_DIR, `${base}-${key}.bin`);
  if (fs.existsSync(out)) return out;
  const tmp = `${out}.${process.pid}.tmp`;
  const listing = path.join(CACHE_DIR, `${base}-${key}.lst`);
  const r = spawnSync('nasm', ['-f', 'bin', `-I${includeDir}/`, ...defineArgs, '-l', listing, '-o', tmp, source], {
    encoding: 'utf8',
  });
  if (r.error || r.status !== 0) {
    throw new Error(`nasm ${path.basename(source)} failed: ${r.error?.message ?? r.stderr}`);
  }
  fs.renameSync(tmp, out);
  return out;
}

/** The program padded with zeros to a 1.44M floppy. */
export function floppyImage(program: Uint8Array): Uint8Array {
  if (program.length > FLOPPY_BYTES) throw new Error('program larger than a floppy');
  const image = new Uint8Array(FLOPPY_BYTES);
  image.set(program);
  return image;
}

/**
 * The program in its sectors, and after it every sector holding its LBA:
 * dword k of sector L is (L << 8) | k. `totalSectors` sectors in all.
 */
export function patternedImage(program: Uint8Array, totalSectors: number): Uint8Array {
  const image = new Uint8Array(totalSectors * 512);
  image.set(program);
  const view = new DataView(image.buffer);
  const first = Math.ceil(program.length / 512);
  for (let lba = first; lba < totalSectors; lba++) {
    for (let k = 0; k < 128; k++) view.setUint32(lba * 512 + k * 4, ((lba << 8) | k) >>> 0, true);
  }
  return image;
}

/** Write an image into the cache folder (by content hash) and return its path. */
export function cacheImage(name: string, image: Uint8Array): string {
  const key = createHash('sha256').update(image).digest('hex').slice(0, 16);
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  const file = path.join(CACHE_DIR, `${name}-${key}.img`);
  if (!fs.existsSync(file)) {
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, image);
    fs.renameSync(tmp, file);
  }
  return file;
}

/** Serial lines, CR LF or LF ended, without the line ends. */
export function serialLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** The lines that must agree between emulators (INFO lines may differ). */
export function comparableLines(text: string): string[] {
  return serialLines(text)
    .map((l) => l.replace(/\r/g, ''))
    .filter((l) => !l.startsWith('INFO'));
}

// ---- QEMU -------------------------------------------------------------------

export interface QemuResult {
  serial: string;
  status: number | null;
  timedOut: boolean;
  stderr: string;
  ms: number;
}

let qemuAvailable: boolean | null = null;

export function hasQemu(): boolean {
  if (qemuAvailable === null) {
    const r = spawnSync('qemu-system-i386', ['--version'], { encoding: 'utf8' });
    qemuAvailable = !r.error && r.status === 0;
  }
  return qemuAvailable;
}

/** QEMU monitor key names for the characters the keyboard guests type (US layout). */
function qemuKeyName(ch: string): string {
  const shifted: Record<string, string> = { '!': 'shift-1', '@': 'shift-2', '?': 'shift-slash', ':': 'shift-semicolon' };
  if (shifted[ch]) return shifted[ch];
  if (ch === '\n') return 'ret';
  if (ch === ' ') return 'spc';
  if (/[A-Z]/.test(ch)) return `shift-${ch.toLowerCase()}`;
  if (/[a-z0-9]/.test(ch)) return ch;
  throw new Error(`no QEMU key name for ${JSON.stringify(ch)}`);
}

/** Type `text` into QEMU through its monitor socket, one `sendkey` per character. */
function sendKeys(monitorPath: string, text: string): void {
  const socket = net.createConnection(monitorPath);
  socket.on('error', () => {});
  socket.on('connect', () => {
    socket.end([...text].map((ch) => `sendkey ${qemuKeyName(ch)}\n`).join(''));
  });
}

/** Run an image on QEMU's TCG with COM1 on stdout and isa-debug-exit at F4h. */
export function runQemu(
  image: string,
  drive: 'floppy' | 'hard',
  options: { timeoutMs?: number; serialInput?: string; keys?: { after: string; text: string }[]; reboot?: boolean; cpus?: number } = {},
): Promise<QemuResult> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  // Typed keys go through QEMU's monitor (`sendkey`) on a socket of their own.
  const keys = options.keys ?? [];
  const monitorPath = keys.length > 0 ? path.join(os.tmpdir(), `vmexit-qemu-${process.pid}-${Date.now()}.sock`) : null;
  const args = [
    '-accel', 'tcg', '-m', '32', '-display', 'none', '-serial', 'stdio',
    ...(options.cpus ? ['-smp', `${options.cpus},sockets=${options.cpus},cores=1,threads=1`] : []),
    '-monitor', monitorPath ? `unix:${monitorPath},server=on,wait=off` : 'none',
    // A reset ends QEMU unless the guest is about resets (a triple fault must end it).
    ...(options.reboot ? [] : ['-no-reboot']),
    '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04',
    '-drive', `file=${image},format=raw,if=${drive === 'floppy' ? 'floppy' : 'ide'},snapshot=on`,
    '-boot', drive === 'floppy' ? 'a' : 'c',
  ];
  return spawnQemu(args, { timeoutMs, serialInput: options.serialInput, keys, monitorPath });
}

/** QEMU's command line for a run on its TCG with COM1 on stdout, isa-debug-exit at F4h, and `machine` (a drive, -kernel ...). */
export function qemuArgs(machine: string[], options: { memoryMiB?: number } = {}): string[] {
  return [
    '-accel', 'tcg', '-m', String(options.memoryMiB ?? 32), '-display', 'none', '-serial', 'stdio', '-monitor', 'none',
    '-no-reboot', '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04', ...machine,
  ];
}

/** Run qemu-system-i386 with `args`, collecting COM1 (stdout); keys go through the monitor socket at `monitorPath`. */
export function spawnQemu(
  args: string[],
  options: {
    timeoutMs?: number; serialInput?: string; keys?: { after: string; text: string }[]; monitorPath?: string | null; cwd?: string;
    /** End QEMU once COM1's output contains this (`ms` is then the time to it). */
    until?: string;
  } = {},
): Promise<QemuResult> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const keys = options.keys ?? [];
  const monitorPath = options.monitorPath ?? null;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    // COM1's input is QEMU's stdin: bytes wait in the pipe until the UART has room.
    const input = options.serialInput;
    const child = spawn('qemu-system-i386', args, { cwd: options.cwd, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    if (input !== undefined) {
      child.stdin!.on('error', () => {});
      child.stdin!.end(Buffer.from(input, 'latin1'));
    }
    let serial = '';
    let stderr = '';
    let timedOut = false;
    let untilMs: number | null = null;
    child.stdout!.setEncoding('latin1');
    child.stderr!.setEncoding('utf8');
    const pendingKeys = [...keys];
    child.stdout!.on('data', (d: string) => {
      serial += d;
      if (options.until !== undefined && serial.includes(options.until) && child.exitCode === null) {
        untilMs = Date.now() - started;
        child.kill('SIGKILL');
      }
      while (monitorPath && pendingKeys.length > 0 && serial.includes(pendingKeys[0].after)) {
        sendKeys(monitorPath, pendingKeys.shift()!.text);
      }
    });
    child.stderr!.on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ serial, status: code, timedOut, stderr, ms: untilMs ?? Date.now() - started });
    });
  });
}
