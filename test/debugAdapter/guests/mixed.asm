; Adapter test guest for frames across code sizes: in protected mode,
; 16-bit code (selector 18h) makes a 16-bit far call into a 32-bit code
; segment (08h), whose routine sets up a frame pointer and returns with a
; 16-bit far return; then it exits (status 2).
        bits    16
        org     0x7c00
start:
        cli
        xor     ax, ax
        mov     ds, ax
        mov     ss, ax
        mov     sp, 0x7c00
        lgdt    [gdt_desc]
        mov     eax, cr0
        or      al, 1
        mov     cr0, eax
        jmp     0x18:pm16

pm16:                                   ; 16-bit protected-mode code
        mov     ax, 0x10
        mov     ds, ax
        mov     ss, ax
        mov     esp, 0x7c00
        call    0x08:far32
after_far32:
        mov     al, 2
        out     0xf4, al
        hlt

        bits    32
far32:
        push    ebp
        mov     ebp, esp
in_far32:
        nop
        pop     ebp
        o16 retf

        align   8
gdt:
        dq      0
        dq      0x00cf9a000000ffff      ; 08h: code 32-bit, 4 GiB
        dq      0x00cf92000000ffff      ; 10h: data, 4 GiB (a 32-bit stack)
        dq      0x00009a000000ffff      ; 18h: code 16-bit, 64 KiB
gdt_desc:
        dw      gdt_desc - gdt - 1
        dd      gdt

        times   510 - ($ - $$) db 0
        dw      0xaa55
