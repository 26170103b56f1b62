; Adapter test guest: makes IRQ0 pending while interrupts are off (the PIT
; at a short period, then a delay), then at `ready` enables interrupts and
; runs three NOPs, so a step there either takes the timer interrupt (into
; `irq0`) or not, as the debugger's step-interrupts setting says. Repeats.
        bits    16
        org     0x7c00
start:
        cli
        xor     ax, ax
        mov     ds, ax
        mov     ss, ax
        mov     sp, 0x7c00
        mov     word [8 * 4], irq0
        mov     word [8 * 4 + 2], 0
        mov     al, 0x34                ; PIT channel 0, mode 2, count 100 (~84 µs)
        out     0x43, al
        mov     al, 100
        out     0x40, al
        xor     al, al
        out     0x40, al
        in      al, 0x21                ; IRQ0 unmasked at the master PIC
        and     al, 0xfe
        out     0x21, al
again:
        mov     cx, 0x4000              ; longer than a PIT period: IRQ0 pending
delay:
        loop    delay
ready:
        sti
        nop
        nop
        nop
        cli
        jmp     again
irq0:
        inc     word [counter]
        mov     al, 0x20
        out     0x20, al
irq0_done:
        iret
counter:
        dw      0
        times   510 - ($ - $$) db 0
        dw      0xaa55
