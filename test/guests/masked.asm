; masked: masks every 8259 interrupt line, prints a marker on COM1, then
; waits with `sti; hlt`. The PIT keeps counting into the masked IRQ0, the
; IOAPIC's entries stay masked (as the BIOS leaves them) and no local APIC
; timer is armed: nothing can ever wake the guest (issue 8, defect 1). The
; CLI reports it (status 4), the debugger stops saying so, PcMachine.run
; returns `unwakeable`; before the fix every run loop hung here.
;
; With -DNO_EOI the lines stay open, but the guest's own IRQ0 handler never
; sends the 8259 an EOI: after the first tick IRQ0 stays in service and every
; later tick waits in IRR behind it. No mask says so, so vmexit cannot call
; the guest dead; its run loops must still return within their budgets (the
; CLI ends on --timeout, the debugger answers pause).
;
; With -DOPEN_IRQ0 the timer's line stays open: the guest waits for 18 PIT
; ticks in HLT and exits with status 1, the idle guest that must keep
; working as before.
%include "boot.inc"

main:
%ifdef NO_EOI
        SAY     "MARK IRQ0 without an EOI"
        cli
        mov     word [8 * 4], no_eoi_tick
        mov     word [8 * 4 + 2], 0
        sti
.wait:
        hlt
        jmp     .wait
no_eoi_tick:
        inc     word [ticks]
        iret
ticks:  dw      0
%endif
        SAY     "MARK masking the interrupt lines"
%ifdef OPEN_IRQ0
        mov     al, 0xfe                ; every line but IRQ0
%else
        mov     al, 0xff
%endif
        out     0x21, al
        mov     al, 0xff
        out     0xa1, al
%ifdef OPEN_IRQ0
        mov     cx, 18
.tick:
        sti
        hlt                             ; IRQ0 (the BIOS's INT 08h handler) wakes it
        loop    .tick
        SAY     "PASS woke up 18 times"
        jmp     finish
%else
        sti
.wait:
        hlt
        jmp     .wait
%endif

%include "end.inc"
