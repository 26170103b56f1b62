; Adapter test guest: runs forever (for pause), counting in EAX.
        bits    16
        org     0x7c00
start:
        xor     eax, eax
        sti
forever:
        inc     eax
        jmp     forever
        times   510 - ($ - $$) db 0
        dw      0xaa55
