; Adapter test guest: its own IRQ0 handler never sends the 8259 an EOI, so
; after the first tick IRQ0 stays in service and the guest sleeps in HLT
; while the PIT's ticks pile up behind it. No mask says the guest is stuck,
; so it runs on: the adapter must keep answering threads and pause.
        bits    16
        org     0x7c00
start:
        cli
        xor     ax, ax
        mov     ds, ax
        mov     word [8 * 4], tick
        mov     word [8 * 4 + 2], 0
        sti
sleep:
        hlt
        jmp     sleep
tick:
        inc     word [ticks]
        iret
ticks:  dw      0
        times   510 - ($ - $$) db 0
        dw      0xaa55
