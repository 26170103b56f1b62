; fpu: an x87 instruction (FLD1, D9 E8) at 0000:7E00, the first byte of the
; second sector: on a core without an FPU this is an internal error that
; must name the bytes and the address.
%include "boot.inc"

main:
        fld1
        SAY     "INFO fld1 executed"
        mov     al, 0
        out     0xf4, al
        jmp     halt

%include "end.inc"
