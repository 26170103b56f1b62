; hello: INT 10h teletype output and COM1, INT 10h cursor read-back, read
; character (AH=08h), video mode (AH=0Fh), scrolling at the bottom row, and
; port E9h (debug console).
%include "boot.inc"

main:
        ; Teletype at a known place: row 10, column 0 of page 0.
        mov     ah, 0x02
        xor     bh, bh
        mov     dx, 0x0a00
        int     0x10
        mov     si, msg_hello
        call    tty_puts
        mov     ah, 0x03                 ; read the cursor back
        xor     bh, bh
        int     0x10
        EXPECT16 dx, 0x0a00 + msg_hello_len, "int10 teletype advances the cursor"
        ; A CR LF pair moves to the start of the next row.
        mov     si, msg_crlf
        call    tty_puts
        mov     ah, 0x03
        xor     bh, bh
        int     0x10
        EXPECT16 dx, 0x0b00, "int10 teletype CR LF"
        ; Write a second line and read a character back from the screen (AH=08h).
        mov     si, msg_second
        call    tty_puts
        mov     ah, 0x02
        xor     bh, bh
        mov     dx, 0x0b00
        int     0x10
        mov     ah, 0x08
        xor     bh, bh
        int     0x10
        movzx   ax, al
        EXPECT16 ax, 'S', "int10 read character at cursor"
        ; Video mode 3, 80 columns (AH=0Fh).
        mov     ah, 0x0f
        int     0x10
        EXPECT16 ax, 0x5003, "int10 0Fh: mode 3, 80 columns"
        ; Teletype CR LF on the last row scrolls the screen up a row.
        mov     ah, 0x02
        xor     bh, bh
        mov     dx, 0x1800               ; row 24
        int     0x10
        mov     si, msg_bottom
        call    tty_puts
        mov     ah, 0x03
        xor     bh, bh
        int     0x10
        EXPECT16 dx, 0x1800, "int10 teletype LF on row 24: cursor stays on row 24"
        mov     ah, 0x02
        xor     bh, bh
        mov     dx, 0x1700               ; row 23 now holds "Bottom"
        int     0x10
        mov     ah, 0x08
        xor     bh, bh
        int     0x10
        movzx   ax, al
        EXPECT16 ax, 'B', "int10 scroll: the last row moved up"
        mov     ah, 0x02
        xor     bh, bh
        mov     dx, 0x1800
        int     0x10
        mov     ah, 0x08
        xor     bh, bh
        int     0x10
        movzx   ax, al
        EXPECT16 ax, ' ', "int10 scroll: a blank row at the bottom"
        mov     ah, 0x02                 ; the cursor below our text (it moved up a row)
        xor     bh, bh
        mov     dx, 0x0b00
        int     0x10

        ; The same greeting on COM1 and on the debug console.
        mov     si, msg_hello
        call    puts
        call    crlf
        mov     si, msg_debugcon
.e9:
        lodsb
        test    al, al
        jz      .e9_done
        out     0xe9, al
        jmp     .e9
.e9_done:
        SAY     "PASS hello"
        jmp     finish

; tty_puts: the NUL-terminated string at SI through INT 10h AH=0Eh.
tty_puts:
        pusha
.next:
        lodsb
        test    al, al
        jz      .done
        mov     ah, 0x0e
        mov     bx, 0x0007
        int     0x10
        jmp     .next
.done:
        popa
        ret

msg_hello:      db "Hello, world from a vmexit test guest"
msg_hello_len   equ $ - msg_hello
                db 0
msg_crlf:       db 13, 10, 0
msg_second:     db "Second line", 0
msg_bottom:     db "Bottom", 13, 10, 0
msg_debugcon:   db "hello on the debug console", 10, 0

%include "end.inc"
