// The I/O permission bitmap (SDM vol. 1 §19.5): at CPL > IOPL, and always in
// virtual-8086 mode, IN/OUT/INS/OUTS need every bit of their ports clear in
// the TSS's bitmap (at the I/O map base, within the TSS limit); else #GP(0).

import { strict as assert } from 'node:assert';
import { VM } from '../../src/cpu/state';
import { PmMachine, STACK0, TSS, createPmCpu, enterRing3, expectEnd, expectFault, poke16, poke32 } from './protectedMachine';

const VEC_GP = 13;
const MAP = 0x68; // the I/O map base: right after the TSS's fixed fields

/** Ring 3 at IOPL 0 running `code`; the bitmap (ports 0-8Fh, the TSS limit ending it) allows port 80h only. */
function withBitmap(code: string): PmMachine {
  const m = createPmCpu(code);
  poke16(m, TSS + 0x66, MAP);
  m.ram.fill(0xff, TSS + MAP, TSS + MAP + 0x12);
  m.ram[TSS + MAP + 0x10] = 0xfe; // port 80h: bit 0 of byte 10h
  m.cpu.tr.limit = MAP + 0x11;
  enterRing3(m);
  return m;
}

describe('CPU: the I/O permission bitmap', () => {
  it('ring 3, IOPL 0: port 80h is allowed (IN, OUT, IN DX, INSB); 81h and a word at 80h are #GP(0)', () => {
    // in al,80h; out 80h,al; mov dx,80h; in al,dx; insb; int3
    const m = withBitmap('e4 80 e6 80 66 ba 80 00 ec 6c cc');
    m.cpu.reg32[7] = 0x5000;
    expectEnd(m);
    expectFault(withBitmap('e4 81 cc'), VEC_GP, 0);
    expectFault(withBitmap('66 e5 80 cc'), VEC_GP, 0); // in ax,80h: ports 80h and 81h
    expectFault(withBitmap('66 e5 7f cc'), VEC_GP, 0);
  });

  it('a map base beyond the TSS limit denies every port', () => {
    const m = withBitmap('e4 80 cc');
    m.cpu.tr.limit = 0x67;
    expectFault(m, VEC_GP, 0);
  });

  it('vm86 uses the bitmap whatever IOPL is', () => {
    const m = withBitmap('cf');
    m.cpu.cpl = 0;
    m.cpu.reg32[4] = STACK0 - 36;
    [0x0100, 0x1000, VM | 0x3002, 0xfff0, 0x2000, 0, 0, 0, 0].forEach((v, i) => poke32(m, STACK0 - 36 + i * 4, v));
    m.cpu.loadSegmentCache(1, 0x08, 0, 0xffffffff, 0xc09b);
    m.cpu.loadSegmentCache(2, 0x10, 0, 0xffffffff, 0xc093);
    m.ram.set([0xe4, 0x80, 0xe4, 0x81, 0xcc], 0x10100); // in al,80h; in al,81h (IOPL 3 does not help)
    const f = expectFault(m, VEC_GP, 0);
    assert.deepEqual([f.cs, f.eip], [0x1000, 0x0102]);
  });
});
