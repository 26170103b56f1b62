; Adapter test guest: executes UD2 (#UD) with a handler that exits (status 5).
        bits    16
        org     0x7c00
start:
        xor     ax, ax
        mov     ds, ax
        mov     ss, ax
        mov     sp, 0x7c00
        mov     word [6 * 4], handler
        mov     word [6 * 4 + 2], 0
faulting:
        ud2
        hlt
handler:
        mov     al, 2
        out     0xf4, al
        hlt
        times   510 - ($ - $$) db 0
        dw      0xaa55
