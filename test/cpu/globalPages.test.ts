// Global pages (SDM vol. 3 §4.10.2.4, §4.10.4.1): with CR4.PGE a translation
// whose PTE has G set survives a CR3 load (MOV CR3, a task switch); INVLPG
// and CR0/CR4 writes still drop it. MOV CR4 accepts PGE (it was #GP(0)).

import { strict as assert } from 'node:assert';
import { EBP, EDI, ESI } from '../../src/cpu/state';
import { PmMachine, createPmCpu, expectFault, expectHalt, poke32 } from './protectedMachine';

const PD = 0x20000, PT = 0x21000;

// mov eax,[400000h]; mov ebx,[401000h]       (fill the TLB: global and not)
// mov ecx,cr3; mov dword [21000h],600103h; mov dword [21004h],601003h   (remap both)
// mov cr3,ecx; mov esi,[400000h]; mov edi,[401000h]; invlpg [400000h]; mov ebp,[400000h]; hlt
const PROGRAM =
  'a1 00 00 40 00 8b 1d 00 10 40 00 0f 20 d9 c7 05 00 10 02 00 03 01 60 00 c7 05 04 10 02 00 03 10 60 00 ' +
  '0f 22 d9 8b 35 00 00 40 00 8b 3d 00 10 40 00 0f 01 3d 00 00 40 00 8b 2d 00 00 40 00 f4';

/** Paging on: the first 4 MiB identity (a PSE page); 400000h global -> 500000h, 401000h -> 501000h. */
function paged(cr4: number): PmMachine {
  const m = createPmCpu(PROGRAM);
  poke32(m, PD, 0x83);
  poke32(m, PD + 4, PT | 3);
  poke32(m, PT, 0x500000 | 0x103); // G
  poke32(m, PT + 4, 0x501000 | 0x003);
  for (const [at, v] of [[0x500000, 0x11111111], [0x501000, 0x22222222], [0x600000, 0x33333333], [0x601000, 0x44444444]]) poke32(m, at, v);
  m.cpu.cr4 = cr4;
  m.cpu.cr3 = PD;
  m.cpu.cr0 |= 1 << 31;
  m.cpu.flushTlb();
  return m;
}

describe('CPU: global pages (CR4.PGE)', () => {
  it('a global translation survives MOV CR3; a non-global one is walked again; INVLPG drops the global one', () => {
    const m = paged(0x90); // PSE, PGE
    expectHalt(m);
    assert.equal(m.cpu.reg32[ESI] >>> 0, 0x11111111, 'the global page still maps to 500000h');
    assert.equal(m.cpu.reg32[EDI] >>> 0, 0x44444444, 'the other one sees the new PTE');
    assert.equal(m.cpu.reg32[EBP] >>> 0, 0x33333333, 'after INVLPG the global page is walked again');
  });

  it('without CR4.PGE the G bit means nothing: MOV CR3 drops every translation', () => {
    const m = paged(0x10);
    expectHalt(m);
    assert.equal(m.cpu.reg32[ESI] >>> 0, 0x33333333);
  });

  it('MOV CR4 sets PGE without #GP; a reserved bit is still #GP(0)', () => {
    let m = createPmCpu('0f 20 e0 0d 80 00 00 00 0f 22 e0 f4'); // mov eax,cr4; or eax,80h; mov cr4,eax
    expectHalt(m);
    assert.equal(m.cpu.cr4, 0x80);
    m = createPmCpu('0f 20 e0 0d 00 00 40 00 0f 22 e0 f4'); // or eax,400000h (bit 22: reserved here)
    expectFault(m, 13, 0);
  });
});
