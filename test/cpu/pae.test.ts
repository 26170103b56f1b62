// PAE paging (SDM vol. 3 §4.4), worked by hand on a bare CPU: the PDPTEs
// loaded at MOV CR3 / CR0 / CR4 with their reserved-bit #GP(0), the 3-level
// walk with 4 KiB and 2 MiB pages, accessed and dirty bits (not on a walk
// that faults), reserved bits as #PF with RSVD (bit 63 too: no NX), the
// error codes and CR2, U/S and R/W with CR0.WP, a page above 4 GiB (all
// ones, writes dropped) and the debugger's side-effect-free translation.
//
// Tables: PDPT at 20000h; PDPTE0 -> PD at 21000h; PDE0: a 2 MiB identity
// page (code, tables, stacks); PDE2 (400000h-5FFFFFh) -> PT at 22000h with
// PTE0 400000h -> 500000h (user, writable) and PTE1 401000h -> 501000h
// (user, read-only); PDE3 (600000h) a 2 MiB page at A00000h (user, writable).

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EAX, EBX, ECX, EDX } from '../../src/cpu/state';
import { PmMachine, createPmCpu, enterRing3, expectEnd, expectFault, expectHalt, peek32, poke32 } from './protectedMachine';

const PDPT = 0x20000, PD = 0x21000, PT = 0x22000, PD2 = 0x23000;

/** Assemble 32-bit code with NASM (org 10000h, where createPmCpu puts it) into the hex string createPmCpu takes. */
function asm32(source: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmexit-pae-'));
  try {
    const src = path.join(dir, 'p.asm'), bin = path.join(dir, 'p.bin');
    fs.writeFileSync(src, `bits 32\norg 10000h\n${source}\n`);
    const r = spawnSync('nasm', ['-f', 'bin', '-o', bin, src], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`nasm: ${r.stderr}`);
    return Array.from(fs.readFileSync(bin), (b) => b.toString(16).padStart(2, '0')).join(' ');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function poke64(m: PmMachine, at: number, lo: number, hi = 0): void {
  poke32(m, at, lo);
  poke32(m, at + 4, hi);
}

/** The tables above; paging is not on yet (the program turns it on, or `on` does). */
function tables(source: string): PmMachine {
  const m = createPmCpu(asm32(source));
  poke64(m, PDPT, PD | 1);
  poke64(m, PD, 0x87); // 2 MiB identity, user, writable
  poke64(m, PD + 2 * 8, PT | 7);
  poke64(m, PD + 3 * 8, 0xa00000 | 0x87);
  poke64(m, PT, 0x500000 | 7);
  poke64(m, PT + 8, 0x501000 | 5);
  poke32(m, 0x500000, 0x11111111);
  poke32(m, 0x501000, 0x22222222);
  poke32(m, 0xa00123, 0x33333333);
  return m;
}

/** `tables` with PAE paging already on, set from outside as a debugger would (setSregs loads the PDPTEs). */
function on(source: string): PmMachine {
  const m = tables(source);
  m.cpu.cr4 = 0x20;
  m.cpu.cr3 = PDPT;
  m.cpu.cr0 |= 1 << 31;
  m.cpu.setSregs(m.cpu.getSregs());
  return m;
}

const ENABLE = 'mov eax, 20h\nmov cr4, eax\nmov eax, 20000h\nmov cr3, eax\nmov eax, cr0\nbts eax, 31\nmov cr0, eax\n';

describe('CPU: PAE paging', () => {
  it('CPUID.1:EDX reports PAE (bit 6); MOV CR4 accepts PAE', () => {
    const m = tables('mov eax, 1\ncpuid\nmov eax, 20h\nmov cr4, eax\nhlt');
    expectHalt(m);
    assert.equal((m.cpu.reg32[EDX] >> 6) & 1, 1);
    assert.equal(m.cpu.cr4, 0x20);
  });

  it('a 4 KiB page: the read sets A in the PDE and PTE, not D; a write sets D in the PTE only', () => {
    const m = tables(`${ENABLE}mov eax, [400000h]\nhlt\nmov dword [400004h], 5\nhlt`);
    expectHalt(m);
    assert.equal(m.cpu.reg32[EAX] >>> 0, 0x11111111);
    assert.equal(peek32(m, PD + 16) & 0x60, 0x20, 'PDE: A, not D');
    assert.equal(peek32(m, PT) & 0x60, 0x20, 'PTE: A, not D');
    expectHalt(m);
    assert.equal(peek32(m, 0x500004), 5);
    assert.equal(peek32(m, PT) & 0x60, 0x60, 'PTE: A and D');
    assert.equal(peek32(m, PD + 16) & 0x40, 0, 'no D on a PDE that maps a table');
  });

  it('a 2 MiB page: the offset keeps 21 bits; a write sets D in the PDE', () => {
    const m = tables(`${ENABLE}mov eax, [600123h]\nmov dword [7ffffch], 9\nhlt`);
    expectHalt(m);
    assert.equal(m.cpu.reg32[EAX] >>> 0, 0x33333333);
    assert.equal(peek32(m, 0xbffffc), 9);
    assert.equal(peek32(m, PD + 24) & 0x60, 0x60);
  });

  it('the PDPTEs are registers: a changed PDPTE counts only from the next MOV CR3', () => {
    // PD2 maps 400000h to the 2 MiB page at C00000h.
    const m = on('mov dword [20000h], 23001h\ninvlpg [400000h]\nmov eax, [400000h]\nmov ecx, cr3\nmov cr3, ecx\nmov ebx, [400000h]\nhlt');
    poke64(m, PD2, 0x87);
    poke64(m, PD2 + 16, 0xc00000 | 0x87);
    poke32(m, 0xc00000, 0x44444444);
    expectHalt(m);
    assert.equal(m.cpu.reg32[EAX] >>> 0, 0x11111111, 'the old PDPTE still walks after INVLPG');
    assert.equal(m.cpu.reg32[EBX] >>> 0, 0x44444444, 'MOV CR3 loaded the new one');
  });

  it('a reserved bit in a present PDPTE: MOV CR3, and the MOV CR0 that enables PAE paging, are #GP(0) and change nothing', () => {
    for (const [lo, hi] of [[PD | 1 | 2, 0], [PD | 1 | 0x100, 0], [PD | 1, 0x10], [PD | 1, 0x80000000]]) {
      let m = on('mov eax, 20000h\nmov cr3, eax\nhlt');
      poke64(m, PDPT, lo, hi);
      m.cpu.cr3 = 0x30000; // the value the failed MOV must leave
      expectFault(m, 13, 0);
      assert.equal(m.cpu.cr3, 0x30000, `PDPTE ${hi.toString(16)}:${lo.toString(16)}`);
      m = tables(ENABLE + 'hlt');
      poke64(m, PDPT, lo, hi);
      expectFault(m, 13, 0);
      assert.equal(m.cpu.cr0 >>> 31, 0, 'PG not set');
    }
    // A not-present PDPTE's other bits are not checked.
    const m = tables(ENABLE + 'hlt');
    poke64(m, PDPT + 8, 0xfffffffe, 0xffffffff);
    expectHalt(m);
  });

  it('MOV CR4 changing PGE under PAE paging reloads the PDPTEs (#GP(0), CR4 unchanged, when one is invalid)', () => {
    const prog = 'mov dword [20000h], 23001h\nmov eax, 0a0h\nmov cr4, eax\nmov eax, [400000h]\nhlt';
    let m = on(prog);
    poke64(m, PD2, 0x87);
    poke64(m, PD2 + 16, 0xc00000 | 0x87);
    poke32(m, 0xc00000, 0x44444444);
    expectHalt(m);
    assert.equal(m.cpu.reg32[EAX] >>> 0, 0x44444444, 'the PDPTE written before MOV CR4 is in use');
    m = on(prog.replace('23001h', '23005h')); // bit 2: reserved
    expectFault(m, 13, 0);
    assert.equal(m.cpu.cr4, 0x20);
  });

  it('reserved bits in PDE and PTE: #PF with P and RSVD (bit 63 too: no NX), CR2, no accessed bit', () => {
    const cases: [string, number, number, number][] = [
      ['PTE bit 63', PT, 0x500000 | 7, 0x80000000],
      ['PTE bit 36', PT, 0x500000 | 7, 0x10],
      ['PDE bit 40', PD + 16, PT | 7, 0x100],
    ];
    for (const [what, at, lo, hi] of cases) {
      let m = on('mov eax, [400010h]\nhlt');
      poke64(m, at, lo, hi);
      expectFault(m, 14, 9);
      assert.equal(m.cpu.cr2, 0x400010, what);
      assert.equal(peek32(m, PD + 16) & 0x20, 0, `${what}: no A on the PDE of a faulting walk`);
      m = on('mov dword [400010h], 1\nhlt');
      poke64(m, at, lo, hi);
      expectFault(m, 14, 0xb);
    }
    const m = on('mov eax, [600000h]\nhlt');
    poke64(m, PD + 24, 0xa00000 | 0x87 | 0x2000); // bit 13 of a 2 MiB PDE
    expectFault(m, 14, 9);
  });

  it('error codes: not present (0, 2, 6 from ring 3), protection (7, 5), CR0.WP', () => {
    let m = on('mov eax, [402000h]\nhlt');
    expectFault(m, 14, 0);
    assert.equal(m.cpu.cr2, 0x402000);
    m = on('mov dword [402000h], 1\nhlt');
    expectFault(m, 14, 2);
    m = on('mov eax, [800000h]\nhlt'); // PDE 4 not present
    expectFault(m, 14, 0);
    m = on('mov dword [40000000h], 1\nhlt'); // PDPTE 1 not present
    expectFault(m, 14, 2);
    m = on('mov dword [401000h], 1\nint3');
    enterRing3(m);
    expectFault(m, 14, 7);
    m = on('mov eax, [600000h]\nint3');
    poke64(m, PD + 24, 0xa00000 | 0x83); // supervisor 2 MiB page
    enterRing3(m);
    expectFault(m, 14, 5);
    // Supervisor write to the read-only page: allowed without CR0.WP, #PF(3) with it.
    m = on('mov dword [401000h], 1\nhlt\nmov eax, cr0\nbts eax, 16\nmov cr0, eax\nmov dword [401000h], 2\nhlt');
    expectHalt(m);
    assert.equal(peek32(m, 0x501000), 1);
    expectFault(m, 14, 3);
  });

  it('a page above 4 GiB reads all ones and drops writes (it does not alias RAM below 4 GiB)', () => {
    const m = on('mov dword [400000h], 12345678h\nmov eax, [400000h]\nmov bl, [400fffh]\nhlt');
    poke64(m, PT, 0x7, 0x1); // physical 1_0000_0000h
    poke32(m, 0, 0xcafef00d);
    expectHalt(m);
    assert.equal(m.cpu.reg32[EAX] >>> 0, 0xffffffff);
    assert.equal(m.cpu.reg32[EBX] & 0xff, 0xff);
    assert.equal(peek32(m, 0), 0xcafef00d, 'RAM at 0 untouched');
    assert.equal(peek32(m, PT) & 0x60, 0x60, 'A and D set in the PTE all the same');
    assert.equal(m.cpu.physicalOf(0x400000), -1, 'the debugger sees no physical address below 4 GiB');
  });

  it("the debugger's translation follows PAE with no side effect", () => {
    const m = on('hlt');
    expectHalt(m);
    assert.equal(m.cpu.physicalOf(0x400010), 0x500010);
    assert.equal(m.cpu.physicalOf(0x601234), 0xa01234);
    assert.equal(m.cpu.physicalOf(0x402000), -1);
    assert.equal(peek32(m, PT) & 0x20, 0, 'no accessed bit from a look');
  });

  it('from ring 3: a user page works and CPUID-sized entries combine rights of PDE and PTE', () => {
    const m = on('mov eax, [400000h]\nmov ecx, [601000h]\nint3');
    enterRing3(m);
    const e = expectEnd(m);
    assert.equal(m.cpu.reg32[EAX] >>> 0, 0x11111111);
    assert.equal(m.cpu.reg32[ECX], 0);
    assert.equal(e.kind, 'halt');
  });
});
