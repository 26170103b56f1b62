// The test guests (test/guests/*.asm) on vmexit's PcMachine, and the same
// images on QEMU as a differential check: serial output (less INFO lines)
// and exit status must agree.
//
// Every guest prints PASS/FAIL lines on COM1 and writes its failure count to
// isa-debug-exit (port F4h): 0 failures is status 1.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import {
  FLOPPY_BYTES, HD_SECTORS, QemuResult, assemble, cacheImage, comparableLines, floppyImage, hasQemu, patternedImage,
  runQemu, serialLines,
} from './harness';
import { GuestInput, PcRunResult, describeEvent, runOnPc } from './pcRun';

interface Guest {
  /** Test name. */
  name: string;
  /** test/guests/<source>.asm */
  source: string;
  drive: 'floppy' | 'hard';
  /** Sectors after the program hold their LBA (see disk.asm). */
  patterned?: boolean;
  /** Instruction budget on vmexit. */
  budget: number;
  /** vCPUs (QEMU: as many single-core sockets, so SeaBIOS's MP table lists each). */
  cpus?: number;
  input?: GuestInput[];
  /** Ends in a triple fault instead of an exit through port F4h. */
  tripleFault?: boolean;
  /** Resets the machine on purpose: QEMU must reboot rather than exit. */
  resets?: boolean;
  /** Extra checks on vmexit's run. */
  extra?: (r: PcRunResult) => void;
}

const GUESTS: Guest[] = [
  {
    name: 'hello',
    source: 'hello',
    drive: 'floppy',
    budget: 50_000_000,
    extra: (r) => {
      assert.ok(
        r.screen.some((row) => row.includes('Hello, world from a vmexit test guest')),
        `the greeting is on the VGA text screen:\n${r.screen.join('\n')}`,
      );
      assert.ok(r.screen.some((row) => row.startsWith('Second line')), 'the second line is on the screen');
      assert.equal(r.debugcon, 'hello on the debug console\n');
    },
  },
  { name: 'bigreal', source: 'bigreal', drive: 'floppy', budget: 50_000_000 },
  { name: 'a20', source: 'a20', drive: 'floppy', budget: 50_000_000 },
  { name: 'disk (floppy, CHS)', source: 'disk', drive: 'floppy', patterned: true, budget: 100_000_000 },
  { name: 'disk (hard disk, CHS and LBA)', source: 'disk', drive: 'hard', patterned: true, budget: 100_000_000 },
  { name: 'timers', source: 'timers', drive: 'floppy', budget: 200_000_000 },
  { name: 'exceptions', source: 'exceptions', drive: 'floppy', budget: 50_000_000 },
  { name: 'protected-mode interrupts (IDT gates, #GP error codes, ring 3 and the TSS stack)', source: 'pmint', drive: 'floppy', budget: 50_000_000 },
  { name: 'segment protection (every segment-load fault with its error code, ring 0 and ring 3, RETF outward)', source: 'protect', drive: 'floppy', budget: 50_000_000 },
  { name: 'call gates (ring 3 -> 0 -> 3 through 32- and 16-bit gates with parameters; gate faults)', source: 'callgate', drive: 'floppy', budget: 50_000_000 },
  { name: 'task switches (CALL via a task gate and IRET with NT, JMP there and back, a stack overflow\'s #DF through a task gate)', source: 'tasks', drive: 'floppy', budget: 50_000_000 },
  { name: 'virtual-8086 mode (a monitor emulating CLI STI PUSHF POPF INT 10h at IOPL 0; INT 33h to ring 0 and back at IOPL 3)', source: 'vm86', drive: 'floppy', budget: 50_000_000 },
  { name: 'paging (4 KiB and PSE pages, A/D bits, #PF with CR2 and error codes, INVLPG)', source: 'paging', drive: 'floppy', budget: 50_000_000 },
  { name: 'PAE paging (4 KiB and 2 MiB pages, A/D bits, #PF not present, read-only, reserved bits with RSVD, INVLPG)', source: 'pae', drive: 'floppy', budget: 50_000_000 },
  { name: 'reset (keyboard controller FEh, port 92h bit 0)', source: 'reset', drive: 'floppy', budget: 100_000_000, resets: true },
  { name: 'memory size (CMOS, INT 12h, INT 15h 88h/E801h/E820h)', source: 'memory', drive: 'floppy', budget: 50_000_000 },
  {
    name: 'keyboard',
    source: 'keyboard',
    drive: 'floppy',
    budget: 200_000_000,
    input: [{ after: 'READY', text: 'Hi!\n' }],
  },
  {
    name: 'serial input',
    source: 'serial',
    drive: 'floppy',
    budget: 50_000_000,
    input: [{ after: 'READY', text: 'ping\n', via: 'serial' }],
  },
  { name: 'triple fault', source: 'triple', drive: 'floppy', budget: 50_000_000, tripleFault: true },
  ...[1, 2, 4].map((cpus) => ({
    name: `smp with ${cpus} vCPU${cpus > 1 ? 's' : ''} (local APIC, timer, INIT-SIPI-SIPI, IPIs, MP table)`,
    source: 'smp',
    drive: 'floppy' as const,
    budget: 50_000_000,
    cpus,
    extra: (r: PcRunResult) => {
      const lines = serialLines(r.serial);
      assert.ok(lines.includes(`APs started ${(cpus - 1).toString(16).padStart(2, '0').toUpperCase()}`), 'every AP started');
      assert.deepEqual(r.machine.vm.vcpus.map((v) => v.state), ['running', ...Array<string>(cpus - 1).fill('halted')], 'the APs idle in HLT');
    },
  })),
];

function image(guest: Guest): Uint8Array {
  const program = new Uint8Array(fs.readFileSync(assemble(guest.source)));
  if (guest.drive === 'hard') return patternedImage(program, HD_SECTORS);
  return guest.patterned ? patternedImage(program, FLOPPY_BYTES / 512) : floppyImage(program);
}

function failLines(serial: string): string[] {
  return serialLines(serial).filter((l) => l.startsWith('FAIL'));
}

const oursCache = new Map<Guest, Promise<PcRunResult>>();
function ours(guest: Guest): Promise<PcRunResult> {
  let p = oursCache.get(guest);
  if (!p) {
    const img = image(guest);
    p = runOnPc({
      floppy: guest.drive === 'floppy' ? img : null,
      hardDisk: guest.drive === 'hard' ? img : null,
      boot: guest.drive === 'floppy' ? 'a' : 'c',
      budget: guest.budget,
      input: guest.input,
      cpus: guest.cpus,
    });
    oursCache.set(guest, p);
  }
  return p;
}

const qemuCache = new Map<Guest, Promise<QemuResult>>();
function qemu(guest: Guest): Promise<QemuResult> {
  let p = qemuCache.get(guest);
  if (!p) {
    const file = cacheImage(`${guest.source}-${guest.drive}${guest.cpus ? `-${guest.cpus}` : ''}`, image(guest));
    // QEMU gets serial input at once on stdin (the UART takes it when it has room).
    const serialInput = guest.input?.filter((i) => i.via === 'serial').map((i) => i.text).join('');
    // Typed keys go through QEMU's monitor once the guest has printed the cue.
    const keys = guest.input?.filter((i) => i.via !== 'serial').map((i) => ({ after: i.after, text: i.text }));
    p = runQemu(file, guest.drive, { serialInput: serialInput || undefined, keys, reboot: guest.resets, cpus: guest.cpus });
    qemuCache.set(guest, p);
  }
  return p;
}

function report(r: PcRunResult): string {
  return `ended with ${describeEvent(r.event)} after ${r.instructions} instructions; serial:\n${r.serial}`;
}

describe('test guests on vmexit', function () {
  this.timeout(120_000);
  for (const guest of GUESTS) {
    it(`${guest.name}`, async function () {
      const r = await ours(guest);
      if (guest.tripleFault) {
        assert.equal(r.event.kind, 'shutdown', report(r));
        assert.ok(r.serial.includes('INFO triple fault next'), report(r));
        assert.deepEqual(failLines(r.serial), [], report(r));
        return;
      }
      assert.deepEqual(failLines(r.serial), [], report(r));
      assert.equal(r.event.kind, 'exit', report(r));
      assert.ok(serialLines(r.serial).includes(`PASS ${guest.source}`), `PASS ${guest.source} line missing: ${report(r)}`);
      assert.ok(serialLines(r.serial).includes('DONE 00'), report(r));
      assert.equal(r.status, 1, report(r));
      guest.extra?.(r);
    });
  }
});

describe('test guests: determinism', function () {
  this.timeout(120_000);
  it('smp with 4 vCPUs runs the same twice: serial output, instruction count, each vCPU\'s registers', async () => {
    const guest = GUESTS.find((g) => g.source === 'smp' && g.cpus === 4)!;
    const run = () => runOnPc({ floppy: image(guest), boot: 'a', budget: guest.budget, cpus: 4 });
    const a = await run();
    const b = await run();
    assert.equal(a.serial, b.serial);
    assert.equal(a.instructions, b.instructions);
    assert.deepEqual(a.machine.vm.vcpus.map((v) => v.getRegs()), b.machine.vm.vcpus.map((v) => v.getRegs()));
  });

  it('timers and keyboard run the same twice: serial output and instruction count', async () => {
    for (const name of ['timers', 'keyboard']) {
      const guest = GUESTS.find((g) => g.source === name)!;
      const img = image(guest);
      const run = () => runOnPc({ floppy: img, boot: 'a', budget: guest.budget, input: guest.input });
      const a = await run();
      const b = await run();
      assert.equal(a.serial, b.serial, `${name}: serial output`);
      assert.equal(a.instructions, b.instructions, `${name}: instructions`);
      assert.deepEqual(a.event, b.event, `${name}: final event`);
    }
  });
});

describe('test guests: differential check against QEMU', function () {
  this.timeout(120_000);
  before(function () {
    // The test command installs QEMU (scripts/ensure-deps.sh): a missing peer is a failure, not a skip.
    assert.ok(hasQemu(), 'qemu-system-i386 is not installed (apt-get install qemu-system-x86, or run npm test)');
  });
  for (const guest of GUESTS) {
    it(`${guest.name}: same serial output and status as QEMU`, async () => {
      let q = await qemu(guest);
      // QEMU's timers follow the host clock: on a loaded host its vCPU thread
      // can lose time against them (the timers guest then counts too few RTC
      // ticks per PIT tick). Such a run says nothing about the guest, so it
      // runs once more before the guest is judged.
      if (failLines(q.serial).length > 0) q = await qemu(guest);
      assert.ok(!q.timedOut, `QEMU timed out; serial so far:\n${q.serial}`);
      // The guest itself must be right on QEMU, or the comparison means nothing.
      assert.deepEqual(failLines(q.serial), [], `the guest fails on QEMU:\n${q.serial}`);
      assert.equal(q.status, guest.tripleFault ? 0 : 1, `QEMU status ${q.status}; serial:\n${q.serial}\n${q.stderr}`);

      const r = await ours(guest);
      assert.deepEqual(comparableLines(r.serial), comparableLines(q.serial), 'serial output (INFO lines aside)');
      if (guest.tripleFault) assert.equal(r.event.kind, 'shutdown', report(r));
      else assert.equal(r.status, q.status, report(r));
    });
  }
});
