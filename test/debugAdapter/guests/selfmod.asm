; Adapter test guest: rewrites the two NOPs ahead of it into MOV AL, 7
; and runs the new code; exits with status (7 << 1) | 1 = 15.
        bits    16
        org     0x7c00
start:
        xor     ax, ax
        mov     ds, ax
        mov     word [patched], 0x07b0       ; mov al, 7
patched:
        nop
        nop
        out     0xf4, al
        hlt
        times   510 - ($ - $$) db 0
        dw      0xaa55
