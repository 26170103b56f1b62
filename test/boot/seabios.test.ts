// Debian's SeaBIOS (bios.bin, package seabios) on vmexit's `pc` board beside
// QEMU's: the same machine (32 MiB, one CPU, COM1, no drives, no VGA, no
// ACPI device, no kvmvapic option ROM: QEMU's -nodefaults -machine
// pc,acpi=off -global apic-common.vapic=off), SeaBIOS's debug log
// on port 402h compared line by line up to its "No bootable device.".
// SeaBIOS finds the i440FX through PCI configuration mechanism #1, opens the
// shadow RAM through the PAM registers to copy itself, reads fw_cfg (over
// DMA) for the RAM map and the CPU count, assigns the IDE bus-master BAR and
// probes both ATA channels.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { CdImage } from '../../src/devices/cdImage';
import { PcMachine } from '../../src/vmm/pc';
import { hasQemu, spawnQemu } from '../guests/harness';
import { buildKernel, cacheFile, grubIso, hasGrubMkrescue, kernelLines, runIsoOnQemu } from './harness';

const SEABIOS = '/usr/share/seabios/bios.bin';
const END = 'No bootable device.';

/**
 * Lines that may differ, each for a reason outside the board: the TSC rate
 * SeaBIOS measures (vmexit's virtual clock runs guest time at a fixed
 * instruction rate), and where SeaBIOS's allocator put the tables and how
 * much upper memory is left (QEMU's fw_cfg lists more files, SMBIOS fields
 * among them).
 */
const MAY_DIFFER = [/^CPU Mhz=/, /^Copying (MPTABLE|SMBIOS) from /, /^Space available for UMB:/];

function comparable(log: string): string[] {
  const end = log.indexOf(END);
  assert.ok(end >= 0, `SeaBIOS did not reach "${END}":\n${log}`);
  return log
    .slice(0, end + END.length)
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => !MAY_DIFFER.some((re) => re.test(l)));
}

function seabiosMachine(onDebugcon: (b: number) => void, cdrom: Uint8Array | null = null, onSerial?: (b: number) => void): PcMachine {
  return new PcMachine({
    memoryBytes: 32 << 20,
    bios: new Uint8Array(fs.readFileSync(SEABIOS)),
    floppy: null,
    hardDisk: null,
    cdrom: cdrom ? new CdImage(cdrom, 'cd.iso') : null,
    boot: cdrom ? 'd' : 'c',
    onDebugconOutput: onDebugcon,
    onSerialOutput: onSerial,
  });
}

function runOnVmexit(budget: number): { log: string; machine: PcMachine } {
  let log = '';
  const machine = seabiosMachine((b) => (log += String.fromCharCode(b)));
  const start = machine.vm.instructionsRetired();
  while (!log.includes(END) && machine.vm.instructionsRetired() - start < budget) {
    const e = machine.run(1_000_000);
    if (e.kind !== 'budget' && e.kind !== 'idle') assert.fail(`SeaBIOS stopped: ${JSON.stringify(e)}\n${log}`);
  }
  return { log, machine };
}

describe('SeaBIOS on the pc board (PCI, PAM shadowing, fw_cfg)', function () {
  before(function () {
    // The seabios package comes with qemu-system-x86 (scripts/ensure-deps.sh): missing, it is a failure, not a skip.
    assert.ok(fs.existsSync(SEABIOS), `${SEABIOS} is missing (apt-get install seabios, or run npm test)`);
  });

  it('POSTs to its boot menu with the RAM map, the CPU count, the PCI devices and both ATA channels', () => {
    const { log, machine } = runOnVmexit(400_000_000);
    const lines = comparable(log);
    for (const expected of [
      'Running on QEMU (i440fx)',
      'Found QEMU fw_cfg',
      'QEMU fw_cfg DMA interface supported',
      'qemu/e820: addr 0x0000000000000000 len 0x0000000002000000 [RAM]',
      'Found 3 PCI devices (max PCI bus is 00)',
      'PCI: map device bdf=00:01.1  bar 4, addr 0000c000, size 00000010 [io]',
      'Found 1 cpu(s) max supported 1 cpu(s)',
      'ATA controller 1 at 1f0/3f4/0 (irq 14 dev 9)',
      'Found 1 serial ports',
      '  3: 0000000000100000 - 0000000002000000 = 1 RAM',
    ]) {
      assert.ok(lines.includes(expected), `missing "${expected}" in:\n${lines.join('\n')}`);
    }
    // SeaBIOS left itself in read-only shadow RAM: PAM0 = 10h, and the F-segment is DRAM now.
    const host = machine.pci.list()[0].fn;
    assert.equal(host.config[0x59] >> 4, 0x1);
    assert.equal(machine.vm.memory.shadowMode(0x30).readDram, true);
    assert.equal(machine.vm.memory.shadowMode(0x30).writeDram, false);
  });

  it('prints the same debug log as on QEMU for the same machine', async function () {
    if (!hasQemu()) assert.fail('qemu-system-i386 is missing (scripts/ensure-deps.sh installs qemu-system-x86)');
    const qemu = await spawnQemu(
      [
        '-accel', 'tcg', '-m', '32', '-display', 'none', '-monitor', 'none', '-nodefaults', '-machine', 'pc,acpi=off', '-global', 'apic-common.vapic=off',
        '-no-reboot', '-bios', SEABIOS,
        '-chardev', 'stdio,id=c0', '-device', 'isa-debugcon,iobase=0x402,chardev=c0', '-serial', 'null',
      ],
      { until: END, timeoutMs: 30_000 },
    );
    const ours = comparable(runOnVmexit(400_000_000).log);
    const theirs = comparable(qemu.serial);
    assert.deepEqual(ours, theirs);
  });

  it('boots a grub-mkrescue ISO from the ATAPI CD-ROM to a Multiboot 2 kernel, as SeaBIOS does on QEMU -cdrom -boot d', async function () {
    this.timeout(180_000);
    assert.ok(hasGrubMkrescue(), 'grub-mkrescue is not installed (apt-get install grub-pc-bin grub-common xorriso mtools, or run npm test)');
    cacheFile('cd-module.txt', 'module on a CD\n');
    const isoPath = grubIso(buildKernel('multiboot2', 'elf'), 'multiboot2', 'from the cd', 'module2', [{ file: 'cd-module.txt', words: 'w1 w2' }]);
    let log = '';
    let serial = '';
    const machine = seabiosMachine((b) => (log += String.fromCharCode(b)), new Uint8Array(fs.readFileSync(isoPath)), (b) => (serial += String.fromCharCode(b)));
    let event = machine.run(1_000_000);
    for (let used = 0; used < 2_000_000_000 && (event.kind === 'budget' || event.kind === 'idle'); used += 1_000_000) event = machine.run(1_000_000);
    assert.equal(event.kind, 'exit', `SeaBIOS run ended with ${JSON.stringify(event)}; log tail:\n${log.slice(-800)}\nserial tail:\n${serial.slice(-800)}`);
    assert.ok(log.includes('DVD/CD [ata1-0: VMEXIT ATAPI CD-ROM ATAPI-6 DVD/CD]'), log);
    assert.ok(log.includes('Booting from DVD/CD...\nBooting from 0000:7c00'), log);
    const lines = kernelLines(serial, 'MAGIC');
    assert.ok(lines.includes('CMDLINE |from the cd|'), lines.join('\n'));
    if (!hasQemu()) assert.fail('qemu-system-i386 is missing (scripts/ensure-deps.sh installs qemu-system-x86)');
    const qemu = await runIsoOnQemu(isoPath);
    // What the board does not have yet makes GRUB's information differ: QEMU's machine has a VGA with VBE (GRUB adds the
    // framebuffer tag 8) and ACPI tables (the RSDP tag 14, and the memory they take in the map); the rest is the same.
    const missing = [/^INFO TOTAL /, /^INFO TAG 0000000[8E]$/, /^INFO MMAP /, /^MMAP /, /^INFO MEM /];
    const comparable = (l: string[]) => l.filter((x) => !missing.some((re) => re.test(x)));
    assert.deepEqual(comparable(lines), comparable(kernelLines(qemu.serial, 'MAGIC')));
  });
});
