; forever: prints a marker on COM1 ("MARK" then the rest of the line), then
; spins with interrupts on and never exits: for --until and --timeout.
; With -DHALT it halts with interrupts off instead (CLI status 0).
%include "boot.inc"

main:
        SAY     "MARK the guest is up"
%ifdef HALT
        cli
        hlt
%endif
        sti
.spin:
        inc     eax
        jmp     .spin

%include "end.inc"
