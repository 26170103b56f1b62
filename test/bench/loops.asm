; Benchmark guest: a boot sector that runs one timed loop, then reports
; through isa-debug-exit (port F4h). Assembled with
; -DLOOP=compute|string|x87|paged|pae and -DCOUNT=<iterations>; the benchmark runs two counts and takes the
; difference, which cancels boot and exit overhead.

        bits    16
        org     0x7c00

; PAGED_LOOP pae: 32-bit protected mode (flat segments) with paging on, the
; first 4 MiB identity-mapped with 4 KiB pages (32-bit paging, or PAE with
; pae = 1), then 8 instructions per iteration, two of them memory accesses
; walking four pages at 1 MiB (the TLB path of every load and store).
%macro PAGED_LOOP 1
        lgdt    [gdt_descriptor]
        mov     eax, cr0
        or      al, 1
        mov     cr0, eax
        jmp     0x08:%%pm32
        bits    32
%%pm32:
        mov     ax, 0x10
        mov     ds, ax
        mov     es, ax
        mov     ss, ax
        mov     esp, 0x7c00
        mov     edi, 0x20000            ; tables at 20000h: cleared, then filled
        xor     eax, eax
        push    ecx
        mov     ecx, 0x4000
        rep stosd
        mov     edi, 0x22000            ; page tables (PAE: two, 512 entries each)
        mov     eax, 0x003
        mov     ecx, 1024
%%fill:
        mov     [edi], eax
        add     edi, 4 + 4 * %1
        add     eax, 0x1000
        loop    %%fill
        pop     ecx
%if %1
        mov     dword [0x20000], 0x21001        ; PDPTE0 -> PD at 21000h
        mov     dword [0x21000], 0x22003        ; PDE0, PDE1 -> the two PTs
        mov     dword [0x21008], 0x23003
        mov     eax, cr4
        or      eax, 0x20               ; PAE
        mov     cr4, eax
        mov     eax, 0x20000
%else
        mov     dword [0x21000], 0x22003        ; PDE0 -> PT at 22000h
        mov     eax, 0x21000
%endif
        mov     cr3, eax
        mov     eax, cr0
        or      eax, 0x80000000
        mov     cr0, eax
        xor     esi, esi
%%loop:
        mov     eax, [esi + 0x100000]
        add     eax, ebx
        mov     [esi + 0x100004], eax
        add     esi, 8
        and     esi, 0x3ff8
        inc     ebx
        dec     ecx
        jnz     %%loop
%endmacro

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
%elifidn LOOP, paged
        PAGED_LOOP 0
%elifidn LOOP, pae
        PAGED_LOOP 1
%else
%error "LOOP must be compute, string, x87, paged or pae"
%endif

        mov     al, 0
        out     0xf4, al
        hlt

        align   8
gdt:
        dq      0
        dq      0x00cf9a000000ffff      ; 08h: code 32, 4 GiB
        dq      0x00cf92000000ffff      ; 10h: data, 4 GiB
gdt_descriptor:
        dw      gdt_descriptor - gdt - 1
        dd      gdt

        times   510 - ($ - $$) db 0
        dw      0xaa55
