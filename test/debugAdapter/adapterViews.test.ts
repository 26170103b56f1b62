// The debug adapter's state views and vmexit's own requests, over stdio as
// VS Code runs it: descriptor tables decoded under GDTR/IDTR/LDTR/TR, the
// Devices scope, debug registers, variablesReference bookkeeping,
// exceptionInfo, vmexit.setStepInterrupts and vmexit.input.

import { strict as assert } from 'node:assert';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { adapterHooks, assemble, launchWith, waitStop } from './dapHarness';

let work = '';

async function scope(dc: DebugClient, name: string): Promise<number> {
  const scopes = await dc.scopesRequest({ frameId: 0 });
  const s = scopes.body.scopes.find((x) => x.name === name);
  assert.ok(s, `scope ${name}`);
  return s.variablesReference;
}

async function children(dc: DebugClient, ref: number): Promise<DebugProtocol.Variable[]> {
  return (await dc.variablesRequest({ variablesReference: ref })).body.variables;
}

/** The variables at a path of names under a scope (e.g. 'System', 'gdtr', '[1] 0x0008'). */
async function at(dc: DebugClient, scopeName: string, ...names: string[]): Promise<DebugProtocol.Variable[]> {
  let list = await children(dc, await scope(dc, scopeName));
  for (const n of names) {
    const v = list.find((x) => x.name === n);
    assert.ok(v, `'${n}' among ${list.map((x) => x.name).join(', ')}`);
    assert.ok(v.variablesReference > 0, `'${n}' expands`);
    list = await children(dc, v.variablesReference);
  }
  return list;
}

function named(list: DebugProtocol.Variable[], name: string): DebugProtocol.Variable {
  const v = list.find((x) => x.name === name);
  assert.ok(v, `'${name}' among ${list.map((x) => x.name).join(', ')}`);
  return v;
}

async function top(dc: DebugClient): Promise<DebugProtocol.StackFrame> {
  return (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames[0];
}

describe('debug adapter: state views and vmexit requests', function () {
  this.timeout(30000);
  let dc: DebugClient;

  adapterHooks({ guests: (dir) => (work = dir), client: (c) => (dc = c), current: () => dc });

  it('decodes the GDT, the IDT gates, the LDT and the TSS in protected mode, and explains #GP with exceptionInfo', async () => {
    const g = assemble(work, 'pmode');
    const stop = await launchWith(dc, { image: g.bin, symbols: [g.lst] }, () => dc.setExceptionBreakpointsRequest({ filters: ['exception-13'] }));
    assert.equal(stop.body.reason, 'exception');
    assert.equal((await top(dc)).line, g.line('faulting'));

    const info = await dc.exceptionInfoRequest({ threadId: 1 });
    assert.equal(info.body.exceptionId, '#GP');
    assert.equal(info.body.breakMode, 'always');
    assert.match(info.body.description ?? '', /general protection, error code 0x000C: selector 0x000C, index 1, LDT \(TI=1\)/);

    const gdt = await at(dc, 'System', 'gdtr');
    assert.equal(named(gdt, 'limit').value, '0x0027');
    assert.equal(named(gdt, '[0] 0x0000').value, 'null descriptor');
    assert.match(named(gdt, '[1] 0x0008').value, /^code 32-bit, execute\/read, (accessed, )?DPL 0, present, base 0x00000000, limit 0xFFFFFFFF \(4 GiB\)$/);
    assert.match(named(gdt, '[2] 0x0010').value, /^data 32-bit, read\/write, (accessed, )?DPL 0, present/);
    assert.match(named(gdt, '[3] 0x0018').value, /^LDT, DPL 0, present, base 0x00007C.., limit 0x00000007 \(8 bytes\)$/);
    assert.match(named(gdt, '[4] 0x0020').value, /^TSS 32-bit \(busy\), DPL 0, present/, 'LTR marked the TSS busy');
    const code = await at(dc, 'System', 'gdtr', '[1] 0x0008');
    assert.equal(named(code, 'G').value, '1');
    assert.equal(named(code, 'D/B').value, '1');
    assert.equal(named(code, 'L').value, '0');
    assert.equal(named(code, 'DPL').value, '0');
    assert.equal(named(code, 'limit').value, '0xFFFFFFFF');
    assert.match(named(code, 'raw').value, /^FF FF 00 00 00 9[AB] CF 00$/);

    const idt = await at(dc, 'System', 'idtr');
    assert.equal(named(idt, 'INT 00h #DE').value, 'empty');
    assert.match(named(idt, 'INT 0Dh #GP (IRQ5)').value, /^interrupt gate 32-bit → 0008:00007C.., DPL 0$/);
    const gate = await at(dc, 'System', 'idtr', 'INT 0Dh #GP (IRQ5)');
    assert.equal(named(gate, 'selector').value, '0x0008');

    const ldt = await at(dc, 'System', 'ldtr');
    assert.equal(named(ldt, 'selector').value, '0x0018');
    const ldtEntries = await at(dc, 'System', 'ldtr', 'entries');
    assert.match(named(ldtEntries, '[0] 0x0004').value, /^data 32-bit, read\/write, DPL 3, present/);
    const tss = await at(dc, 'System', 'tr', 'TSS');
    assert.equal(named(tss, 'esp0').value, '0x00007000');
    assert.equal(named(tss, 'ss0').value, '0x0010');
  });

  it('answers exceptionInfo for a triple fault as unhandled', async () => {
    const g = assemble(work, 'triple');
    const stop = await launchWith(dc, { image: g.bin, symbols: [g.lst] });
    assert.match(stop.body.description ?? '', /Triple fault/);
    const info = await dc.exceptionInfoRequest({ threadId: 1 });
    assert.equal(info.body.exceptionId, 'triple fault');
    assert.equal(info.body.breakMode, 'unhandled');
    assert.match(info.body.description ?? '', /the CPU shut down/);
    assert.match(info.body.details?.message ?? '', /before the instruction whose fault could not be delivered/);
  });

  it('shows the real-mode IVT as seg:off under IDTR, and the debug registers', async () => {
    const g = assemble(work, 'pmode');
    await launchWith(dc, { image: g.bin, stopOnEntry: 'bootsector' });
    const ivt = await at(dc, 'System', 'idtr');
    assert.equal(named(ivt, 'base').value, '0x00000000');
    assert.ok(ivt.some((v) => v.name === 'INT 08h IRQ0'), 'IRQs named after the PIC vector bases');
    assert.ok(ivt.some((v) => v.name === 'INT 70h IRQ8'));
    const int10 = named(ivt, 'INT 10h');
    assert.match(int10.value, /^[0-9A-F]{4}:[0-9A-F]{4}$/);
    assert.ok(int10.memoryReference, 'the handler opens in the memory view');
    assert.match(named(ivt, 'INT 00h #DE').value, /^[0-9A-F]{4}:[0-9A-F]{4}$/);
    assert.equal(ivt.filter((v) => v.name.startsWith('INT ')).length, 256);
    // Real mode at the boot sector: GDTR empty (just base and limit).
    const system = await children(dc, await scope(dc, 'System'));
    assert.equal(named(system, 'dr7').value, '0x00000400 [no breakpoint enabled]');
    assert.match(named(system, 'dr6').value, /^0xFFFF0FF0/);
    const dr0 = named(system, 'dr0');
    await dc.setVariableRequest({ variablesReference: await scope(dc, 'System'), name: 'dr0', value: '0x7c00' });
    assert.equal(named(await children(dc, await scope(dc, 'System')), 'dr0').value, '0x00007C00');
    assert.ok(dr0);
    await assert.rejects(dc.exceptionInfoRequest({ threadId: 1 }), /did not stop for an exception/);
  });

  it('shows the x87 in the FPU scope and edits its control word', async () => {
    const g = assemble(work, 'pmode');
    await launchWith(dc, { image: g.bin, stopOnEntry: 'bootsector' });
    const fpu = await children(dc, await scope(dc, 'FPU'));
    assert.deepEqual(fpu.filter((v) => /^st[0-7]$/.test(v.name)).map((v) => v.value), Array(8).fill('empty (0)'), 'power-on: all empty, +0');
    assert.equal(named(fpu, 'fcw').value, '0x0040 [masked none; 24-bit (single); round to nearest]', 'the power-on control word');
    await dc.setVariableRequest({ variablesReference: await scope(dc, 'FPU'), name: 'fcw', value: '0x37f' });
    assert.match(named(await children(dc, await scope(dc, 'FPU')), 'fcw').value, /^0x037F \[masked IM DM ZM OM UM PM; 64-bit \(extended\)/);
  });

  it('shows the PIC, PIT, RTC and UART in the Devices scope', async () => {
    const g = assemble(work, 'pmode');
    await launchWith(dc, { image: g.bin, stopOnEntry: 'bootsector' });
    const devices = await children(dc, await scope(dc, 'Devices'));
    assert.deepEqual(devices.map((d) => d.name), ['PIC', 'PIT', 'RTC/CMOS', 'UART (COM1 0x3F8)']);
    const pic = await at(dc, 'Devices', 'PIC', 'master');
    assert.equal(named(pic, 'vector base').value, '0x08');
    assert.match(named(pic, 'IMR').value, /^0x[0-9A-F]{2} \[/);
    assert.match(named(pic, 'mode').value, /^initialised, normal EOI/);
    assert.equal(named(await at(dc, 'Devices', 'PIC', 'slave'), 'vector base').value, '0x70');
    const ch0 = await at(dc, 'Devices', 'PIT', 'channel 0');
    assert.match(named(ch0, 'mode').value, /^[23] \((rate generator|square wave)\)$/);
    assert.match(named(ch0, 'initial count').value, /\(65536\)$/, 'the BIOS 18.2 Hz tick');
    const rtc = await at(dc, 'Devices', 'RTC/CMOS');
    assert.match(named(rtc, 'time').value, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.match(named(rtc, 'register D').value, /^0x80 \[VRT\]$/);
    assert.match(named(rtc, 'register B').value, /24\/12/);
    const uart = await at(dc, 'Devices', 'UART (COM1 0x3F8)');
    assert.match(named(uart, 'LCR').value, /data bits, parity none/);
    assert.match(named(uart, 'LSR').value, /THRE TEMT/);
  });

  it('keeps variable references stable within a stop and voids them on resume', async () => {
    const g = assemble(work, 'pmode');
    await launchWith(dc, { image: g.bin, stopOnEntry: 'bootsector' });
    const sys1 = await scope(dc, 'System');
    const sys2 = await scope(dc, 'System');
    assert.equal(sys1, sys2, 'the same scope, the same reference');
    const a = named(await children(dc, sys1), 'cr0').variablesReference;
    const b = named(await children(dc, sys1), 'cr0').variablesReference;
    assert.equal(a, b, 'the same child, the same reference');
    const flags = named(await children(dc, await scope(dc, 'Registers')), 'eflags');
    const bits = await children(dc, flags.variablesReference);
    assert.equal(named(bits, 'CF').value, '0');
    // An edit recomputes values under the same references.
    await dc.setVariableRequest({ variablesReference: flags.variablesReference, name: 'CF', value: '1' });
    assert.equal(named(await children(dc, flags.variablesReference), 'CF').value, '1');
    await waitStop(dc, dc.nextRequest({ threadId: 1, granularity: 'instruction' }));
    assert.deepEqual(await children(dc, a), [], 'a reference from the previous stop finds nothing');
    const fresh = await scope(dc, 'System');
    assert.ok(fresh > sys1, 'references are not reused');
  });

  it('takes a pending timer interrupt during a step only when step interrupts are on (toggled by vmexit.setStepInterrupts)', async () => {
    const g = assemble(work, 'stepirq');
    const ready = g.line('ready');
    const irq0 = g.line('irq0');
    await launchWith(dc, { image: g.bin, symbols: [g.lst] }, () => dc.setBreakpointsRequest({ source: { path: g.asm }, breakpoints: [{ line: ready }] }));
    const stepLines = async (): Promise<number[]> => {
      const lines: number[] = [];
      for (let i = 0; i < 3; i++) {
        await waitStop(dc, dc.stepInRequest({ threadId: 1, granularity: 'instruction' }));
        lines.push((await top(dc)).line);
      }
      return lines;
    };
    // Masked by default (as QEMU's gdbstub does): sti, nop, nop.
    assert.deepEqual(await stepLines(), [ready + 1, ready + 2, ready + 3]);
    const on = await dc.customRequest('vmexit.setStepInterrupts', { enabled: true });
    assert.deepEqual(on.body, { enabled: true });
    await waitStop(dc, dc.continueRequest({ threadId: 1 }));
    assert.equal((await top(dc)).line, ready);
    assert.ok((await stepLines()).includes(irq0), 'a step entered the timer handler');
    await dc.customRequest('vmexit.setStepInterrupts', { enabled: false });
    await dc.setBreakpointsRequest({ source: { path: g.asm }, breakpoints: [{ line: ready }] });
    await waitStop(dc, dc.continueRequest({ threadId: 1 }));
    assert.equal((await top(dc)).line, ready);
    assert.deepEqual(await stepLines(), [ready + 1, ready + 2, ready + 3]);
    await assert.rejects(dc.customRequest('vmexit.setStepInterrupts', { enabled: 'yes' }), /'enabled' must be true or false/);
  });

  it('honours the stepInterrupts launch option', async () => {
    const g = assemble(work, 'stepirq');
    await launchWith(dc, { image: g.bin, symbols: [g.lst], stepInterrupts: true }, () =>
      dc.setBreakpointsRequest({ source: { path: g.asm }, breakpoints: [{ line: g.line('ready') }] }),
    );
    const lines: number[] = [];
    for (let i = 0; i < 3; i++) {
      await waitStop(dc, dc.stepInRequest({ threadId: 1, granularity: 'instruction' }));
      lines.push((await top(dc)).line);
    }
    assert.ok(lines.includes(g.line('irq0')), `steps went ${lines.join(', ')}`);
  });

  it('shows the code a hardware interrupt interrupted, named after the IRQ in service', async () => {
    const g = assemble(work, 'stepirq');
    await launchWith(dc, { image: g.bin, symbols: [g.lst] }, () => dc.setBreakpointsRequest({ source: { path: g.asm }, breakpoints: [{ line: g.line('irq0') }] }));
    const st = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;
    assert.equal(st.length, 2, st.map((f) => f.name).join(' | '));
    assert.equal(st[0].line, g.line('irq0'));
    // After STI the interrupt is taken once the next instruction is done: at one of the NOPs.
    assert.ok(st[1].line > g.line('ready') && st[1].line <= g.line('ready') + 4, `interrupted at line ${st[1].line}`);
    assert.match(st[1].name, / via IRQ 0$/);
  });

  it('still shows the interrupted code after the handler\'s EOI (no IRQ in service any more)', async () => {
    const g = assemble(work, 'stepirq');
    await launchWith(dc, { image: g.bin, symbols: [g.lst] }, () => dc.setBreakpointsRequest({ source: { path: g.asm }, breakpoints: [{ line: g.line('irq0_done') }] }));
    const st = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;
    assert.equal(st.length, 2, st.map((f) => f.name).join(' | '));
    assert.ok(st[1].line > g.line('ready') && st[1].line <= g.line('ready') + 4, `interrupted at line ${st[1].line}`);
    assert.match(st[1].name, / via interrupt$/);
  });

  it('types into the guest over serial and the keyboard with vmexit.input', async () => {
    const g = assemble(work, 'echo');
    const serial: string[] = [];
    dc.on('vmexit.serial', (e: DebugProtocol.Event) => serial.push((e.body as { text: string }).text));
    await Promise.all([dc.configurationSequence(), dc.launch({ image: g.bin })]);
    await assert.rejects(dc.customRequest('vmexit.input', { text: 'x', target: 'mouse' }), /'target' must be "serial" or "keyboard"/);
    await assert.rejects(dc.customRequest('vmexit.input', { target: 'serial' }), /'text' must be a string/);
    await assert.rejects(dc.customRequest('vmexit.input', { text: '\u00e9', target: 'keyboard' }), /no key on a US keyboard/);
    const s = await dc.customRequest('vmexit.input', { text: 's', target: 'serial' });
    assert.deepEqual(s.body, { queued: 1, skipped: '' });
    const deadline = Date.now() + 5000;
    while (!serial.join('').includes('s') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(serial.join(''), 's', 'the guest echoed the serial byte');
    const [k, exited] = await Promise.all([dc.customRequest('vmexit.input', { text: 'k', target: 'keyboard' }), dc.waitForEvent('exited', 10000)]);
    assert.deepEqual(k.body, { queued: 1, skipped: '' });
    assert.equal((exited as DebugProtocol.ExitedEvent).body.exitCode, 9);
    assert.equal(serial.join(''), 'sk');
  });
});
