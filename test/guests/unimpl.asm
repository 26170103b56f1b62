; unimpl: an instruction the core does not implement, at 0000:7E00 (the first
; byte of the second sector): RDPMC (0F 33), a valid P6 instruction the core
; does not implement (src/cpu/ops/encodings.ts). The CLI must stop with an
; internal error (status 125) naming the bytes and the address. (SSE such as
; ADDPS is no longer an example: the CPU reports no SSE, so it is #UD, as
; x87 escapes such as FLD1 act as on a PC without a coprocessor.)
%include "boot.inc"

main:
        rdpmc
        SAY     "INFO rdpmc executed"
        mov     al, 0
        out     0xf4, al
        jmp     halt

%include "end.inc"
