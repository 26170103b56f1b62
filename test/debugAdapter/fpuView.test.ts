// The debugger's FPU view over a bare CPU that ran x87 code: ST0-ST7 in
// decimal (exact, 19 significant digits) with the raw 80 bits, tags and
// physical registers; the control and status words decoded and editable.

import { strict as assert } from 'node:assert';
import { extendedToDecimal, fpuNodes } from '../../src/debugAdapter/fpuView';
import type { VmexitRuntime } from '../../src/debugAdapter/runtime';
import { StopReason } from '../../src/cpu/cpu';
import { createTestCpu } from '../cpu/testMachine';

describe('debugger views: the FPU', () => {
  it('formats 80-bit values exactly, and names the special encodings', () => {
    assert.equal(extendedToDecimal(0x4000, 0xc90fdaa2, 0x2168c235), '3.141592653589793239');
    assert.equal(extendedToDecimal(0x3fff, 0x80000000, 0), '1');
    assert.equal(extendedToDecimal(0xbffe, 0x80000000, 0), '-0.5');
    assert.equal(extendedToDecimal(0x403e, 0x80000000, 0), '9223372036854775808');
    assert.equal(extendedToDecimal(0x4040, 0x80000000, 0), '3.689348814741910323e+19');
    assert.equal(extendedToDecimal(0x7ffe, 0xffffffff, 0xffffffff), '1.189731495357231765e+4932');
    assert.equal(extendedToDecimal(0x0000, 0x00000000, 0x00000001), '3.645199531882474603e-4951');
    assert.equal(extendedToDecimal(0x3ff1, 0x80000000, 0), '0.00006103515625');
    assert.equal(extendedToDecimal(0x8000, 0, 0), '-0');
    assert.equal(extendedToDecimal(0xffff, 0x80000000, 0), '-inf');
    assert.equal(extendedToDecimal(0xffff, 0xc0000000, 0), '-QNaN');
    assert.equal(extendedToDecimal(0x7fff, 0x80000000, 1), 'SNaN');
    assert.equal(extendedToDecimal(0x3fff, 0x40000000, 0), 'unsupported (unnormal)');
    assert.equal(extendedToDecimal(0x7fff, 0, 0), 'unsupported (pseudo-infinity)');
  });

  it('shows the stack, tags, control and status words of the vCPU, and edits FCW/FSW', () => {
    // fninit ; fld1 ; fldpi ; fldz ; fdiv st0,st0 (0/0: invalid, masked) ; hlt
    const m = createTestCpu('db e3 d9 e8 d9 eb d9 ee d8 f0 f4', { portIn: () => 0xff, portOut: () => {} });
    assert.equal(m.cpu.run(100), StopReason.Halt);
    const rt = { vcpu: { getFpu: () => m.cpu.fpu.getState(), setFpu: (s: ReturnType<typeof m.cpu.fpu.getState>) => m.cpu.fpu.setState(s) } } as unknown as VmexitRuntime;
    const nodes = fpuNodes(rt);
    const named = (n: string) => nodes.find((x) => x.name === n)!;
    assert.equal(named('st0').value, '-QNaN');
    assert.equal(named('st0').type, '0xFFFFC000000000000000 R5 special');
    assert.equal(named('st1').value, '3.141592653589793239');
    assert.equal(named('st1').type, '0x4000C90FDAA22168C235 R6 valid');
    assert.equal(named('st2').value, '1');
    assert.match(named('st3').value, /^empty/);
    assert.equal(named('fcw').value, '0x037F [masked IM DM ZM OM UM PM; 64-bit (extended); round to nearest]');
    assert.equal(named('fsw').value, '0x2801 [TOP 5; C3..C0 0000; raised IE]');
    assert.equal(named('ftw').value, '0x0BFF');
    assert.equal(named('fop').type, 'last opcode D8 F0');
    assert.deepEqual(named('ftw').children!().map((c) => c.value), ['empty', 'empty', 'empty', 'empty', 'empty', 'special', 'valid', 'valid']);
    const raw = named('st1').children!().find((c) => c.name === 'exponent')!;
    assert.equal(raw.type, 'unbiased 1');
    // Edits: RC toward zero and PC 24; clear the exception flags.
    named('fcw').set!(0x0c7f);
    named('fsw').set!(0x2800);
    assert.equal(m.cpu.fpu.cw, 0x0c7f);
    assert.equal(m.cpu.fpu.statusWord(), 0x2800);
    assert.match(fpuNodes(rt).find((x) => x.name === 'fcw')!.value, /24-bit \(single\); round toward zero/);
  });
});
