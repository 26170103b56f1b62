; Adapter test guest: enters big real mode (a 4 GiB data limit cached in DS
; and back in real mode) and returns to real mode, then exits (status 3).
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
        jmp     protected
protected:
        mov     bx, 0x08
        mov     ds, bx
        and     al, 0xfe
        mov     cr0, eax
        jmp     unreal
unreal:
        xor     ax, ax
        mov     ds, ax
        mov     dword [dword 0x100000], 0xcafebabe
in_big_real:
        mov     al, 1
        out     0xf4, al
        hlt

        align   8
gdt:
        dq      0
        dq      0x00cf92000000ffff           ; 4 GiB flat data
gdt_end:
gdt_desc:
        dw      gdt_end - gdt - 1
        dd      gdt

        times   510 - ($ - $$) db 0
        dw      0xaa55
