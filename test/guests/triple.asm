; triple: LIDT with limit 0, then INT 3. Vector 3 is beyond the IDT limit:
; #GP, which is beyond it too: #DF, beyond it as well: triple fault, and the
; board shuts down (vmexit: a shutdown event, CLI status 126; QEMU with
; -no-reboot exits with status 0).
%include "boot.inc"

main:
        SAY     "INFO triple fault next"
        cli
        lidt    [empty_idt]
        int     3
        SAY     "FAIL still running after the triple fault"
        mov     al, 1
        out     0xf4, al
        jmp     halt

empty_idt:
        dw      0                        ; limit 0
        dd      0

%include "end.inc"
