; wait: one second of guest time through INT 15h AH=86h, then exit 0
; (status 1). The CLI test runs it with virtual and with realtime pacing.
%include "boot.inc"

main:
        mov     ah, 0x86
        mov     cx, 0x000f              ; CX:DX = 1,000,000 microseconds
        mov     dx, 0x4240
        int     0x15
        SAY     "INFO waited"
        mov     al, 0
        out     0xf4, al
        jmp     halt

%include "end.inc"
