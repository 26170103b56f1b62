// INT 10h on the PC board: text output, cursor, scrolling, modes 03h/13h,
// font and display information.

import { strict as assert } from 'node:assert';
import { runGuest } from './harness';

describe('BIOS INT 10h', () => {
  const r = runGuest(`
        ; teletype on the last row, then CR LF: the screen scrolls
        mov     ah, 0x02
        xor     bh, bh
        mov     dx, 0x1800
        int     0x10
        mov     ax, 0x0e41
        mov     bx, 0x0007
        int     0x10
        mov     ax, 0x0e0d
        int     0x10
        mov     ax, 0x0e0a
        int     0x10
        mov     ah, 0x03
        xor     bh, bh
        int     0x10
        mov     [R + 0], dx
        mov     [R + 30], cx             ; cursor shape
        ; the 'A' is now on row 23
        mov     ah, 0x02
        mov     dx, 0x1700
        int     0x10
        mov     ah, 0x08
        int     0x10
        mov     [R + 2], ax
        ; write 'B' with attribute 1Eh three times at row 5 column 10
        mov     ah, 0x02
        mov     dx, 0x050a
        int     0x10
        mov     ax, 0x0942
        mov     bx, 0x001e
        mov     cx, 3
        int     0x10
        mov     ah, 0x03
        xor     bh, bh
        int     0x10
        mov     [R + 4], dx              ; the cursor did not move
        ; AH=0Ah: character only, at column 11 (attribute stays 1Eh)
        mov     ah, 0x02
        mov     dx, 0x050b
        int     0x10
        mov     ax, 0x0a43
        mov     cx, 1
        int     0x10
        ; scroll rows 5-6, columns 10-12 up by one, blank with 70h
        mov     ax, 0x0601
        mov     bh, 0x70
        mov     cx, 0x050a
        mov     dx, 0x060c
        int     0x10
        ; backspace at column 0 stays at column 0; BEL prints nothing
        mov     ah, 0x02
        xor     bh, bh
        mov     dx, 0x0900
        int     0x10
        mov     ax, 0x0e08
        int     0x10
        mov     ax, 0x0e07
        int     0x10
        mov     ah, 0x03
        int     0x10
        mov     [R + 32], dx
        ; AH=0Fh
        mov     ah, 0x0f
        int     0x10
        mov     [R + 6], ax
        mov     [R + 8], bh
        ; AX=1130h BH=06h: the 8x16 font
        push    es
        push    bp
        mov     ax, 0x1130
        mov     bh, 0x06
        int     0x10
        mov     [R + 10], bp
        mov     [R + 12], es
        mov     [R + 14], cx
        mov     [R + 16], dl
        pop     bp
        pop     es
        ; AX=1A00h display combination, AH=12h BL=10h EGA information
        mov     ax, 0x1a00
        int     0x10
        mov     [R + 18], al
        mov     [R + 19], bl
        mov     ah, 0x12
        mov     bl, 0x10
        int     0x10
        mov     [R + 20], bh
        mov     [R + 21], bl
        ; AH=13h: string with cursor update at row 2, column 0
        push    bp
        mov     ax, 0x1301
        mov     bx, 0x004f
        mov     cx, 2
        mov     dx, 0x0200
        mov     bp, hi_text
        int     0x10
        pop     bp
        mov     ah, 0x03
        xor     bh, bh
        int     0x10
        mov     [R + 26], dx
        ; mode 13h, a pixel, read it back, the mode
        mov     ax, 0x0013
        int     0x10
        mov     ah, 0x0f
        int     0x10
        mov     [R + 22], ax
        mov     ax, 0x0c05
        mov     cx, 10
        mov     dx, 20
        int     0x10
        mov     ah, 0x0d
        int     0x10
        mov     [R + 24], al
        mov     al, [0x449]
        mov     [R + 28], al
        ; mode 03h again
        mov     ax, 0x0003
        int     0x10
        mov     ax, 0x0e5a
        int     0x10
        jmp     done
hi_text: db "Hi"
  `);

  const ram = r.machine.vm.memory.ram;
  const cell = (row: number, col: number): number => ram[0xb8000 + (row * 80 + col) * 2] | (ram[0xb8000 + (row * 80 + col) * 2 + 1] << 8);

  it('runs to the end', () => {
    assert.equal(r.event.kind, 'exit', JSON.stringify(r.event));
  });

  it('teletype scrolls at the bottom row and keeps the cursor on it', () => {
    assert.equal(r.r16(0), 0x1800);
    assert.equal(r.r16(2), 0x0741, 'AH=08h reads the scrolled character and its attribute');
  });

  it('AH=09h writes character and attribute CX times without moving the cursor; AH=0Ah keeps the attribute', () => {
    assert.equal(r.r16(4), 0x050a);
  });

  it('setting mode 03h clears the screen; teletype starts at 0,0', () => {
    assert.equal(cell(0, 0), 0x075a, 'after mode 03h: a cleared screen and the teletype at 0,0');
    assert.equal(cell(0, 1), 0x0720);
  });

  it('backspace at column 0 and BEL leave the cursor', () => {
    assert.equal(r.r16(32), 0x0900);
  });

  it('AH=0Fh: mode 03h, 80 columns, page 0', () => {
    assert.equal(r.r16(6), 0x5003);
    assert.equal(r.r8(8), 0);
  });

  it('AX=1130h: the 8x16 font in the ROM, 16 bytes per character, last row 24', () => {
    assert.equal(r.r16(12), 0xf000);
    assert.equal(r.r16(10), 0x0100);
    assert.equal(r.r16(14), 16);
    assert.equal(r.r8(16), 24);
  });

  it('AX=1A00h and AH=12h BL=10h describe a colour VGA', () => {
    assert.equal(r.r8(18), 0x1a);
    assert.equal(r.r8(19), 0x08);
    assert.equal(r.r8(20), 0x00);
    assert.equal(r.r8(21), 0x03);
  });

  it('AH=13h writes a string and moves the cursor after it', () => {
    assert.equal(r.r16(26), 0x0202);
  });

  it('mode 13h: AH=0Fh reports it, pixels write and read back in A0000h', () => {
    assert.equal(r.r16(22), 0x2813);
    assert.equal(r.r8(24), 5);
    assert.equal(r.r8(28), 0x13);
    assert.equal(ram[0xa0000 + 20 * 320 + 10], 5);
  });

  it('mode 03h is back: the VGA shows text, the CRTC cursor follows the BIOS cursor', () => {
    assert.equal(r.machine.vga.mode, 'text80x25');
    const view = r.machine.vga.describe();
    assert.equal(view.cursor.row, 0);
    assert.equal(view.cursor.col, 1);
    assert.equal(view.crtc[0x11] & 0x80, 0x80, 'CRTC registers 0-7 locked again');
  });
});

describe('BIOS INT 10h: windows and pages', () => {
  const r = runGuest(`
        mov     ah, 0x02
        xor     bh, bh
        mov     dx, 0x050a
        int     0x10
        mov     ax, 0x0942               ; 'B' x3, attribute 1Eh, at 5,10
        mov     bx, 0x001e
        mov     cx, 3
        int     0x10
        mov     ah, 0x02
        mov     dx, 0x050b
        int     0x10
        mov     ax, 0x0a43               ; 'C' at 5,11, attribute kept
        mov     cx, 1
        int     0x10
        mov     ah, 0x02
        mov     dx, 0x060a
        int     0x10
        mov     ax, 0x0944               ; 'D' x3, attribute 2Fh, at 6,10
        mov     bx, 0x002f
        mov     cx, 3
        int     0x10
        mov     ax, 0x0701               ; scroll rows 5-7, columns 10-11 down by one
        mov     bh, 0x70
        mov     cx, 0x050a
        mov     dx, 0x070b
        int     0x10
        ; page 1: cursor and text on it, then show it
        mov     ah, 0x02
        mov     bh, 1
        mov     dx, 0x0003
        int     0x10
        mov     ax, 0x0a50
        mov     bh, 1
        mov     cx, 1
        int     0x10
        mov     ax, 0x0501
        int     0x10
        mov     ah, 0x0f
        int     0x10
        mov     [R + 0], bh
        jmp     done
  `);
  const ram = r.machine.vm.memory.ram;
  const cell = (page: number, row: number, col: number): number => {
    const a = 0xb8000 + page * 0x1000 + (row * 80 + col) * 2;
    return ram[a] | (ram[a + 1] << 8);
  };

  it('AH=09h/0Ah write cells; AH=07h scrolls the window down and blanks its top row', () => {
    assert.equal(r.event.kind, 'exit', JSON.stringify(r.event));
    assert.equal(cell(0, 5, 10), 0x7020, 'blank line with the fill attribute');
    assert.equal(cell(0, 5, 11), 0x7020);
    assert.equal(cell(0, 6, 10), 0x1e42, 'row 5 moved down');
    assert.equal(cell(0, 6, 11), 0x1e43, "'C' kept the attribute of the 'B' it replaced");
    assert.equal(cell(0, 6, 12), 0x2f44, 'outside the window: unchanged');
    assert.equal(cell(0, 7, 10), 0x2f44, 'row 6 moved down');
    assert.equal(cell(0, 7, 12), 0x0720, 'row 7 outside the window');
  });

  it('AH=05h shows page 1 (CRTC start address 800h) with its own cursor', () => {
    assert.equal(r.r8(0), 1);
    assert.equal(cell(1, 0, 3) & 0xff, 0x50);
    const view = r.machine.vga.describe();
    assert.equal(view.startAddress, 0x800);
    assert.equal(r.machine.vm.memory.ram[0x462], 1);
  });
});
