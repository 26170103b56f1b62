; Adapter test guest: reads one byte from COM1 (polling the line status),
; sends it back, then waits (HLT) for one key through INT 16h and sends its
; ASCII code to COM1 too; exits with status 9.
        bits    16
        org     0x7c00
start:
        xor     ax, ax
        mov     ds, ax
        mov     ss, ax
        mov     sp, 0x7c00
        sti
        mov     dx, 0x3fd
wait_serial:
        in      al, dx
        test    al, 1
        jz      wait_serial
        mov     dx, 0x3f8
        in      al, dx
        out     dx, al
wait_key:
        hlt
        mov     ah, 1
        int     0x16
        jz      wait_key
        mov     ah, 0
        int     0x16
        mov     dx, 0x3f8
        out     dx, al
        mov     al, 4
        out     0xf4, al
        hlt
        times   510 - ($ - $$) db 0
        dw      0xaa55
