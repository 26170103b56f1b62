; Boot sector of the C kernel test guests: loads the kernel (SECTORS
; sectors after this one, given with -DSECTORS=n) to linear 0x10000 with
; INT 13h, enters 32-bit protected mode with flat code and data segments,
; and jumps to the kernel's entry at 0x10000.
        bits    16
        org     0x7c00
start:
        cli
        xor     ax, ax
        mov     ds, ax
        mov     ss, ax
        mov     sp, 0x7c00
        mov     ax, 0x1000
        mov     es, ax
        xor     bx, bx
        mov     ah, 2                   ; read sectors (DL: the boot drive)
        mov     al, SECTORS
        mov     cx, 2                   ; cylinder 0, sector 2
        xor     dh, dh
        int     0x13
        jc      failed
        lgdt    [gdtr]
        mov     eax, cr0
        or      al, 1
        mov     cr0, eax
        jmp     0x08:protected
failed:
        mov     al, 0x7f
        out     0xf4, al
        hlt

        bits    32
protected:
        mov     ax, 0x10
        mov     ds, ax
        mov     es, ax
        mov     fs, ax
        mov     gs, ax
        mov     ss, ax
        mov     esp, 0x90000
        jmp     0x08:0x10000

gdt:    dq      0
        dq      0x00cf9a000000ffff      ; 08h: flat 32-bit code
        dq      0x00cf92000000ffff      ; 10h: flat data
gdtr:   dw      gdtr - gdt - 1
        dd      gdt

        times   510 - ($ - $$) db 0
        dw      0xaa55
