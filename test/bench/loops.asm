; Benchmark guest: a boot sector that runs one timed loop, then reports
; through isa-debug-exit (port F4h). Assembled with -DLOOP=compute|string|x87
; and -DCOUNT=<iterations>; the benchmark runs two counts and takes the
; difference, which cancels boot and exit overhead.

        bits    16
        org     0x7c00

        cli
        xor     ax, ax
        mov     ds, ax
        mov     es, ax
        mov     ss, ax
        mov     sp, 0x7c00
        cld
        mov     ecx, COUNT

%ifidn LOOP, compute
; 8 instructions per iteration: register ALU work and a taken branch.
.loop:
        add     eax, ebx
        xor     edx, eax
        inc     ebx
        sub     esi, 3
        mov     edi, edx
        shl     edi, 1
        dec     ecx
        jnz     .loop
%elifidn LOOP, string
; 9 instructions per iteration, 5 of them string instructions.
.loop:
        mov     si, 0x1000
        mov     di, 0x2000
        lodsw
        stosw
        movsw
        movsb
        scasb
        dec     ecx
        jnz     .loop
%elifidn LOOP, x87
; 8 instructions per iteration, 6 of them x87 arithmetic on the register
; stack (a bounded recurrence: x = sqrt((pi + x) * pi) / x).
        fninit
        fldpi
        fld1
.loop:
        fld     st1
        fadd    st0, st1
        fmul    st0, st2
        fsqrt
        fdiv    st0, st1
        fstp    st1
        dec     ecx
        jnz     .loop
%else
%error "LOOP must be compute, string or x87"
%endif

        mov     al, 0
        out     0xf4, al
        hlt

        times   510 - ($ - $$) db 0
        dw      0xaa55
