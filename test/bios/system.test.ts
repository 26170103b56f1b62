// INT 15h, INT 1Ah and INT 16h on the PC board.

import { strict as assert } from 'node:assert';
import { e820Map } from '../../src/devices/bios/system';
import { runGuest } from './harness';

const CF = 0x01;
const ZF = 0x40;

describe('BIOS INT 15h and INT 1Ah', () => {
  const r = runGuest(`
        ; E820: every entry into 0000:3000, 20 bytes each
        xor     ebx, ebx
        mov     di, 0x3000
.e820:  mov     eax, 0xe820
        mov     edx, 0x534d4150
        mov     ecx, 24
        int     0x15
        jc      .e820_done
        cmp     eax, 0x534d4150
        jne     .e820_done
        mov     [R + 50], cl
        inc     word [R + 0]
        add     di, 20
        test    ebx, ebx
        jnz     .e820
.e820_done:
        ; E820 without the signature fails
        mov     eax, 0xe820
        xor     edx, edx
        xor     ebx, ebx
        mov     ecx, 20
        int     0x15
        pushf
        pop     word [R + 52]
        ; E801 and 88h
        mov     ax, 0xe801
        int     0x15
        mov     [R + 2], ax
        mov     [R + 4], bx
        mov     [R + 6], cx
        mov     [R + 8], dx
        mov     ah, 0x88
        int     0x15
        mov     [R + 10], ax
        ; C0h: the configuration table
        push    es
        mov     ah, 0xc0
        int     0x15
        mov     ax, [es:bx]
        mov     [R + 12], ax
        mov     al, [es:bx + 2]
        mov     [R + 14], al
        mov     al, [es:bx + 5]
        mov     [R + 15], al
        mov     [R + 16], es
        pop     es
        ; A20 through port 92h
        mov     ax, 0x2402
        int     0x15
        mov     [R + 18], al
        mov     ax, 0x2400
        int     0x15
        mov     ax, 0x2402
        int     0x15
        mov     [R + 19], al
        push    ds                        ; with A20 off FFFF:0510 is 0000:0500
        mov     byte [0x500], 0x11
        mov     ax, 0xffff
        mov     ds, ax
        mov     al, [0x510]
        pop     ds
        mov     [R + 20], al
        mov     ax, 0x2401
        int     0x15
        mov     ax, 0x2402
        int     0x15
        mov     [R + 21], al
        mov     ax, 0x2403
        int     0x15
        mov     [R + 22], bx
        ; 86h: wait one second
        mov     ebx, [0x46c]
        mov     cx, 0x000f
        mov     dx, 0x4240
        mov     ah, 0x86
        int     0x15
        pushf
        pop     word [R + 24]
        mov     eax, [0x46c]
        sub     eax, ebx
        mov     [R + 26], ax
        ; 4Fh passes the scan code on (CF stays set)
        mov     ax, 0x4f1e
        stc
        int     0x15
        pushf
        pop     word [R + 28]
        ; an unknown function: CF, AH=86h
        mov     ah, 0x99
        int     0x15
        pushf
        pop     word [R + 30]
        mov     [R + 32], ax
        ; INT 1Ah: ticks, time, date
        cli
        mov     ah, 0x00
        int     0x1a
        mov     [R + 34], dx
        mov     [R + 36], cx
        mov     ax, [0x46c]
        mov     [R + 38], ax
        sti
        mov     ah, 0x02
        int     0x1a
        pushf
        pop     word [R + 40]
        mov     [R + 42], cx
        mov     [R + 44], dx
        mov     ah, 0x04
        int     0x1a
        mov     [R + 46], cx
        mov     [R + 48], dx
        ; INT 1Ah AH=01h sets the tick count
        cli
        mov     ah, 0x01
        mov     cx, 0x0012
        mov     dx, 0x3456
        int     0x1a
        mov     eax, [0x46c]
        mov     [R + 54], eax
        sti
        jmp     done
  `);
  const ram = r.machine.vm.memory.ram;
  const view = new DataView(ram.buffer, ram.byteOffset);

  it('runs to the end', () => {
    assert.equal(r.event.kind, 'exit', JSON.stringify(r.event));
  });

  it('E820: the memory map in 20-byte entries with EBX continuation', () => {
    const expected = e820Map(16 * 1024 * 1024);
    assert.equal(r.r16(0), expected.length);
    assert.equal(r.r8(50), 20, 'ECX = 20');
    const got = expected.map((_, i) => ({
      base: view.getUint32(0x3000 + 20 * i, true) + view.getUint32(0x3004 + 20 * i, true) * 2 ** 32,
      length: view.getUint32(0x3008 + 20 * i, true) + view.getUint32(0x300c + 20 * i, true) * 2 ** 32,
      type: view.getUint32(0x3010 + 20 * i, true),
    }));
    assert.deepEqual(got, expected);
    assert.deepEqual(expected.slice(0, 4), [
      { base: 0, length: 0x9fc00, type: 1 },
      { base: 0x9fc00, length: 0x400, type: 2 },
      { base: 0xf0000, length: 0x10000, type: 2 },
      { base: 0x100000, length: 15 * 1024 * 1024, type: 1 },
    ]);
    assert.equal(r.r16(52) & CF, CF, 'no SMAP in EDX: refused');
  });

  it('E801 and 88h: extended memory of a 16 MiB guest', () => {
    assert.equal(r.r16(2), 0x3c00);
    assert.equal(r.r16(4), 0);
    assert.equal(r.r16(6), 0x3c00);
    assert.equal(r.r16(8), 0);
    assert.equal(r.r16(10), 0x3c00);
  });

  it('C0h: ES:BX = the configuration table (length 8, model FCh, features)', () => {
    assert.equal(r.r16(12), 8);
    assert.equal(r.r8(14), 0xfc);
    assert.equal(r.r8(15) & 0x70, 0x70, 'second PIC, RTC, INT 15h/4Fh from INT 09h');
    assert.equal(r.r16(16), 0xf000);
  });

  it('A20 (24xxh): status, disable (addresses wrap at 1 MiB), enable, support', () => {
    assert.equal(r.r8(18), 1);
    assert.equal(r.r8(19), 0);
    assert.equal(r.r8(20), 0x11, 'FFFF:0510 read 0000:0500 with A20 off');
    assert.equal(r.r8(21), 1);
    assert.equal(r.r16(22), 3);
  });

  it('86h waits one second of guest time (about 18 ticks)', () => {
    assert.equal(r.r16(24) & CF, 0);
    const ticks = r.r16(26);
    assert.ok(ticks >= 17 && ticks <= 19, `ticks elapsed: ${ticks}`);
    assert.equal(ram[0x4a0], 0, 'no wait left active');
  });

  it('4Fh leaves CF set; unknown functions return CF and AH=86h', () => {
    assert.equal(r.r16(28) & CF, CF);
    assert.equal(r.r16(30) & CF, CF);
    assert.equal(r.r16(32) >> 8, 0x86);
  });

  it('INT 1Ah: AH=00h agrees with 0040:006C, AH=02h/04h read the RTC in BCD, AH=01h sets the count', () => {
    assert.equal(r.r16(34), r.r16(38));
    assert.equal(r.r16(36), 0);
    assert.equal(r.r16(40) & CF, 0);
    assert.equal(r.r16(42), 0x0000, '00:00 (the RTC starts at 2026-01-01 00:00:00)');
    const seconds = r.r16(44) >> 8;
    assert.ok(seconds >= 1 && seconds <= 9, `seconds (BCD) ${seconds.toString(16)}`);
    assert.equal(r.r16(46), 0x2026);
    assert.equal(r.r16(48), 0x0101);
    assert.equal(r.r32(54), 0x00123456);
  });
});

describe('BIOS INT 16h', () => {
  const r = runGuest(
    `
        ; AH=05h stores a keystroke; AH=01h peeks it (ZF clear), AH=00h takes it
        mov     ah, 0x05
        mov     cx, 0x1e61
        int     0x16
        mov     [R + 0], al
        mov     ah, 0x01
        int     0x16
        pushf
        pop     word [R + 2]
        mov     [R + 4], ax
        mov     ah, 0x00
        int     0x16
        mov     [R + 6], ax
        mov     ah, 0x01
        int     0x16
        pushf
        pop     word [R + 8]
        ; the buffer holds 15 keystrokes
        mov     si, 0
.fill:  mov     ah, 0x05
        mov     cx, 0x3920
        int     0x16
        test    al, al
        jnz     .full
        inc     si
        jmp     .fill
.full:  mov     [R + 10], si
.drain: mov     ah, 0x11
        int     0x16
        jz      .empty
        mov     ah, 0x10
        int     0x16
        jmp     .drain
.empty:
        ; now wait for typed keys (the test types "aB\\t" once 0000:05FE is set)
        mov     byte [0x5fe], 1
        mov     ah, 0x00
        int     0x16
        mov     [R + 12], ax
        mov     ah, 0x10
        int     0x16
        mov     [R + 14], ax
        mov     ah, 0x00
        int     0x16
        mov     [R + 16], ax
        mov     ah, 0x02
        int     0x16
        mov     [R + 18], al
        mov     ah, 0x12
        int     0x16
        mov     [R + 20], ax
        jmp     done
  `,
    { typeWhenReady: 'aB\t' },
  );

  it('runs to the end, waiting in AH=00h until keys arrive', () => {
    assert.equal(r.event.kind, 'exit', JSON.stringify(r.event));
  });

  it('AH=05h/01h/00h: store, peek, read', () => {
    assert.equal(r.r8(0), 0);
    assert.equal(r.r16(2) & ZF, 0);
    assert.equal(r.r16(4), 0x1e61);
    assert.equal(r.r16(6), 0x1e61);
    assert.equal(r.r16(8) & ZF, ZF, 'empty again');
    assert.equal(r.r16(10), 15, 'the ring buffer holds 15 keystrokes');
  });

  it('typed keys through INT 09h: scan code and ASCII, shift applied; flags clear afterwards', () => {
    assert.equal(r.r16(12), 0x1e61, "'a'");
    assert.equal(r.r16(14), 0x3042, "'B'");
    assert.equal(r.r16(16), 0x0f09, 'Tab');
    assert.equal(r.r8(18) & 0x0f, 0);
    assert.equal(r.r16(20) & 0x0f0f, 0);
  });
});

describe('BIOS INT 15h 87h/83h, INT 14h, far-call entry', () => {
  const r = runGuest(`
        ; 87h: copy 8 words from 0000:2000 to 1 MiB + 10h through the descriptor table at 0000:3000
        mov     di, 0x2000
        mov     cx, 8
        mov     ax, 0x1357
        rep     stosw
        mov     di, 0x3000
        mov     cx, 24
        xor     ax, ax
        rep     stosw
        mov     word [0x3010], 0xffff       ; source: limit, base 002000h
        mov     word [0x3012], 0x2000
        mov     byte [0x3015], 0x93
        mov     word [0x3018], 0xffff       ; destination: base 100010h
        mov     word [0x301a], 0x0010
        mov     byte [0x301c], 0x10
        mov     byte [0x301d], 0x93
        mov     si, 0x3000
        mov     cx, 8
        mov     ah, 0x87
        int     0x15
        pushf
        pop     word [R + 0]
        mov     [R + 2], ax
        ; 83h: post bit 7 of 0000:0700 after 100 ms, then wait for it with HLT
        mov     byte [0x700], 0
        mov     bx, 0x0700
        mov     cx, 0x0001
        mov     dx, 0x86a0
        mov     ax, 0x8300
        int     0x15
        pushf
        pop     word [R + 4]
        sti
        mov     si, [0x46c]
.w83:   hlt
        test    byte [0x700], 0x80
        jz      .w83
        mov     ax, [0x46c]
        sub     ax, si
        mov     [R + 6], ax
        ; INT 14h AH=01h: a character to COM1, AH=03h status
        mov     ax, 0x0141
        xor     dx, dx
        int     0x14
        mov     [R + 8], ax
        mov     ah, 0x03
        int     0x14
        mov     [R + 10], ax
        ; INT 13h entered by PUSHF / CALL FAR [0000:004C], as a chained handler does
        mov     ah, 0x08
        mov     dl, 0x00
        pushf
        call    far [0x13 * 4]
        mov     [R + 12], cx
        mov     word [R + 14], 0x600d       ; got here: the IRET returned after the call
        jmp     done
  `);
  const ram = r.machine.vm.memory.ram;

  it('runs to the end', () => {
    assert.equal(r.event.kind, 'exit', JSON.stringify(r.event));
  });

  it('87h copies words to extended memory', () => {
    assert.equal(r.r16(0) & CF, 0);
    assert.equal(r.r16(2) >> 8, 0);
    for (let i = 0; i < 16; i += 2) assert.equal(ram[0x100010 + i] | (ram[0x100011 + i] << 8), 0x1357);
    assert.equal(ram[0x100010 + 16], 0);
  });

  it('83h posts the flag after the interval (100 ms: about 2 ticks)', () => {
    assert.equal(r.r16(4) & CF, 0);
    const ticks = r.r16(6);
    assert.ok(ticks >= 1 && ticks <= 3, `ticks elapsed: ${ticks}`);
  });

  it('INT 14h sends on COM1 and reports the line status', () => {
    assert.equal(r.r16(8), 0x6041, 'THR and TSR empty, AL kept');
    assert.equal(r.r16(10) >> 8, 0x60);
  });

  it('INT 13h works when entered by a far call with FLAGS pushed', () => {
    assert.equal(r.r16(12), 0x4f12);
    assert.equal(r.r16(14), 0x600d);
  });
});
