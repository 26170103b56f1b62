// The guest's output streams in `vmexit run` (COM1 with --serial, port E9h
// with --debugcon, the --trace lines, the --screen dump): bytes collected
// while a slice runs and written between slices, with the two ways writing
// can go wrong turned into an end of the run instead of a stack trace:
// - the reader went away (EPIPE: `vmexit run … | head`): the run ends
//   quietly with EXIT_OUTPUT_CLOSED;
// - the write failed (ENOSPC on /dev/full, EIO ...): one line naming the
//   output and the file, EXIT_OUTPUT_ERROR.
//
// Back-pressure: standard output may be a pipe whose reader is slow or
// stalled, and Node queues what the pipe does not take in memory. Once more
// than STDOUT_HIGH_WATER bytes wait, the CLI stops running the guest until
// the pipe drains (or --timeout passes). Guest time is virtual, so a paused
// machine sees nothing of it: no output is lost and the run stays the same
// run; memory stays bounded by the high-water mark plus one slice's output.

import * as fs from 'node:fs';

/** How the writing of one output ended the run. */
export interface OutputFailure {
  kind: 'closed' | 'failed';
  /** The output and where it went: "serial output to '/dev/full'", "standard output". */
  what: string;
  /** The errno code (EPIPE, ENOSPC, EIO ...). */
  code: string;
}

/** Bytes queued for standard output (Node's buffer and ours) past which the guest waits. */
export const STDOUT_HIGH_WATER = 1 << 20;

function codeOf(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));
}

function failureOf(e: unknown, what: string): OutputFailure {
  const code = codeOf(e);
  return { kind: code === 'EPIPE' ? 'closed' : 'failed', what, code };
}

/** Words for the errno codes a full or broken output gives. */
const CODE_WORDS: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on the device',
  EIO: 'input/output error',
  EFBIG: 'the file is too large',
  EDQUOT: 'disk quota exceeded',
  EBADF: 'the file is not open for writing',
  EPIPE: 'the reader went away',
};

/** The one line the CLI prints for a failed output. */
export function describeFailure(f: OutputFailure): string {
  const words = CODE_WORDS[f.code];
  return `cannot write the ${f.what}: ${f.code}${words ? ` (${words})` : ''}`;
}

/** A growable byte buffer, emptied by each flush. */
class Pending {
  private bytes = Buffer.allocUnsafe(4096);
  length = 0;

  push(byte: number): void {
    if (this.length === this.bytes.length) {
      const bigger = Buffer.allocUnsafe(this.bytes.length * 2);
      this.bytes.copy(bigger, 0, 0, this.length);
      this.bytes = bigger;
    }
    this.bytes[this.length++] = byte;
  }

  /** The bytes so far (a copy), and empty again. */
  take(): Buffer {
    const out = Buffer.from(this.bytes.subarray(0, this.length));
    this.length = 0;
    return out;
  }
}

/** Standard output, shared by every output sent there: its failure and its back-pressure. */
export class StandardOutput {
  failure: OutputFailure | null = null;

  constructor(private readonly stream: NodeJS.WriteStream = process.stdout) {
    // EPIPE and other write errors of a pipe arrive here, after the write call returned.
    stream.on('error', (e) => {
      this.failure ??= failureOf(e, 'standard output');
    });
  }

  write(data: Buffer | string): void {
    if (this.failure) return;
    try {
      this.stream.write(data);
    } catch (e) {
      this.failure ??= failureOf(e, 'standard output');
    }
  }

  /** More is queued than STDOUT_HIGH_WATER: the guest should wait. */
  get full(): boolean {
    return this.failure === null && this.stream.writableLength > STDOUT_HIGH_WATER;
  }

  /** Resolves once the queue drained, the stream failed, or at `deadline` (ms since the epoch; Infinity: no limit). */
  drained(deadline: number): Promise<void> {
    if (this.failure !== null || this.stream.writableLength === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.stream.off('drain', done);
        this.stream.off('error', done);
        resolve();
      };
      const timer = deadline === Infinity ? undefined : setTimeout(done, Math.max(0, deadline - Date.now()));
      this.stream.on('drain', done);
      this.stream.on('error', done);
    });
  }
}

/** Where one output goes: standard output, or a file the CLI opened. */
export type Destination = { kind: 'stdout'; stdout: StandardOutput } | { kind: 'file'; path: string };

/** One output of a run: collected byte by byte (or line by line) during a slice, written by flush(). */
export class GuestOutput {
  private readonly pending = new Pending();
  private fd: number | null = null;
  private failed: OutputFailure | null = null;

  /** `name`: "serial output", "debugcon output", "trace". Throws the open error of a file (the caller words it). */
  constructor(
    private readonly name: string,
    private readonly destination: Destination,
  ) {
    if (destination.kind === 'file') this.fd = fs.openSync(destination.path, 'w');
  }

  get failure(): OutputFailure | null {
    return this.destination.kind === 'stdout' ? this.destination.stdout.failure : this.failed;
  }

  push(byte: number): void {
    this.pending.push(byte);
  }

  pushText(text: string): void {
    for (let i = 0; i < text.length; i++) this.pending.push(text.charCodeAt(i) & 0xff);
  }

  /**
   * Write what was collected, once at least `minBytes` has; a failure is kept
   * (see `failure`) and later output is dropped.
   */
  flush(minBytes = 0): void {
    if (this.pending.length === 0 || this.pending.length < minBytes) return;
    const data = this.pending.take();
    if (this.failure) return;
    if (this.destination.kind === 'stdout') {
      this.destination.stdout.write(data);
      return;
    }
    try {
      for (let at = 0; at < data.length; ) at += fs.writeSync(this.fd!, data, at, data.length - at);
    } catch (e) {
      this.failed = failureOf(e, `${this.name} to '${this.destination.path}'`);
    }
  }

  close(): void {
    this.flush();
    if (this.fd === null) return;
    try {
      fs.closeSync(this.fd);
    } catch (e) {
      this.failed ??= failureOf(e, `${this.name} to '${this.destination.kind === 'file' ? this.destination.path : ''}'`);
    }
    this.fd = null;
  }
}
