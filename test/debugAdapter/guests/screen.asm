; Adapter test guest: changes one row of the text screen (row 5) over and
; over while it runs; after 64 changes it switches to mode 13h, draws a red
; pixel at (10, 20) and spins with the screen unchanged.
        bits    16
        org     0x7c00
start:
        xor     ax, ax
        mov     ds, ax
        mov     ss, ax
        mov     sp, 0x7c00
        mov     ax, 0xb800
        mov     es, ax
        mov     cx, 64
text_loop:
        inc     byte [es:5 * 160]       ; row 5, column 0
        mov     edx, 300000
.delay:
        dec     edx
        jnz     .delay
        loop    text_loop
        mov     ax, 0x0013
        int     0x10
        mov     ax, 0xa000
        mov     es, ax
        mov     byte [es:20 * 320 + 10], 4      ; colour 4: red
drawn:
        jmp     drawn

        times   510 - ($ - $$) db 0
        dw      0xaa55
