; Adapter test guest: a boot sector with calls, INT 10h, a loop, serial
; output and an exit through isa-debug-exit (status (0x15 << 1) | 1 = 43).
        bits    16
        org     0x7c00

start:
        xor     ax, ax
        mov     ds, ax
        mov     ss, ax
        mov     sp, 0x7c00
        mov     ax, 0x1234
        mov     bx, 0x0005
        call    add_them
after_call:
        mov     ah, 0x0e
        mov     al, 'A'
        int     0x10
after_int:
        mov     dx, 0x3f8
        mov     si, msg
print:
        lodsb
        test    al, al
        jz      printed
        out     dx, al
        jmp     print
printed:
        mov     cx, 3
spin:
        nop
        loop    spin
        xchg    bx, bx
        mov     al, 0x15
        out     0xf4, al
        hlt

add_them:
        push    bp
        mov     bp, sp
        add     ax, bx
        pop     bp
        ret

msg:    db      'hello serial', 13, 10, 0

        times   510 - ($ - $$) db 0
        dw      0xaa55
