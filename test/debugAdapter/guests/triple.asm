; Adapter test guest: an empty IDT, then INT3: #GP, #DF, triple fault.
        bits    16
        org     0x7c00
start:
        cli
        xor     ax, ax
        mov     ds, ax
        lidt    [idt_desc]
fatal:
        int3
        hlt
idt_desc:
        dw      0
        dd      0
        times   510 - ($ - $$) db 0
        dw      0xaa55
