; Adapter test guest: masks every 8259 line and waits with STI; HLT. Nothing
; can ever wake it: the debugger stops saying so (issue 8, defect 1).
        bits    16
        org     0x7c00
start:
        mov     al, 0xff
        out     0x21, al
        out     0xa1, al
        sti
sleep:
        hlt
        jmp     sleep
        times   510 - ($ - $$) db 0
        dw      0xaa55
