; unimpl: an instruction the core does not implement, at 0000:7E00 (the first
; byte of the second sector): ADDPS xmm0, xmm1 (0F 58 C1; the core has no
; SSE). The CLI must stop with an internal error (status 125) naming the
; bytes and the address. (x87 escapes such as FLD1 are no longer an example:
; the core treats them as on a PC without a coprocessor.)
%include "boot.inc"

main:
        addps   xmm0, xmm1
        SAY     "INFO addps executed"
        mov     al, 0
        out     0xf4, al
        jmp     halt

%include "end.inc"
