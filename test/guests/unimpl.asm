; unimpl: something the core does not implement, at 0000:7E0F: WRMSR to
; PerfEvtSel0 with EN set, which would start the P6 performance counters
; counting events; the core models no events (src/cpu/ops/system.ts). The
; CLI must stop with an internal error (status 125) naming the bytes
; (0F 30) and the address. (RDPMC and SSE are no longer examples: RDPMC
; reads the counters, and SSE is #UD on a CPU that reports none.)
%include "boot.inc"

main:
        mov     ecx, 0x186              ; 7E00: PerfEvtSel0
        mov     eax, 0x004300c0         ; 7E06: EN, OS, USR; event C0h (instructions retired)
        xor     edx, edx                ; 7E0C
        wrmsr                           ; 7E0F
        SAY     "INFO wrmsr executed"
        mov     al, 0
        out     0xf4, al
        jmp     halt

%include "end.inc"
