; Adapter test guest: enters 32-bit protected mode with a GDT (flat code and
; data, an LDT, a TSS) and an IDT whose #GP gate exits; loads LDTR and TR,
; then loads DS with LDT selector 000Ch (index 1, beyond the LDT's single
; entry): #GP with error code 000Ch. The handler exits (status 7).
        bits    16
        org     0x7c00
start:
        cli
        xor     ax, ax
        mov     ds, ax
        mov     ss, ax
        mov     sp, 0x7c00
        lgdt    [gdt_desc]
        lidt    [idt_desc]
        mov     eax, cr0
        or      al, 1
        mov     cr0, eax
        jmp     0x08:pm32

        bits    32
pm32:
        mov     ax, 0x10
        mov     ds, ax
        mov     es, ax
        mov     ss, ax
        mov     esp, 0x7c00
        mov     ax, 0x18
        lldt    ax
        mov     ax, 0x20
        ltr     ax
        mov     ax, 0x0c
faulting:
        mov     ds, ax
        hlt
gp_handler:
        mov     al, 3
        out     0xf4, al
        hlt

        align   8
gdt:
        dq      0
        dq      0x00cf9a000000ffff      ; 08h: code 32-bit, execute/read, 4 GiB
        dq      0x00cf92000000ffff      ; 10h: data, read/write, 4 GiB
        dw      7, ldt, 0x8200, 0       ; 18h: LDT, one descriptor
        dw      103, tss, 0x8900, 0     ; 20h: TSS 32-bit
gdt_end:
gdt_desc:
        dw      gdt_end - gdt - 1
        dd      gdt

idt:
        times   13 dq 0
        dw      gp_handler, 0x08, 0x8e00, 0     ; 0Dh #GP: interrupt gate 32-bit
idt_end:
idt_desc:
        dw      idt_end - idt - 1
        dd      idt

ldt:
        dq      0x00cff2000000ffff      ; LDT entry 0 (selector 04h): data, DPL 3
tss:
        dd      0                       ; link
        dd      0x7000                  ; esp0
        dd      0x10                    ; ss0
        times   104 - 12 db 0

        times   510 - ($ - $$) db 0
        dw      0xaa55
