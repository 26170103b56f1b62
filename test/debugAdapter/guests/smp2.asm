; Adapter test guest for two vCPUs: the BSP enters protected mode, enables
; its local APIC and sends INIT and a Start-up IPI (vector 08h) to all
; excluding self; the AP starts at 0800:0000, where the BSP left a far jump
; to ap_entry, counts itself in and halts; the BSP waits for it and halts.
        bits    16
        org     0x7c00

start:
        cli
        xor     ax, ax
        mov     ds, ax
        mov     ss, ax
        mov     sp, 0x7c00
        mov     byte [0x8000], 0xea      ; jmp 0000:ap_entry at the SIPI's 8000h
        mov     word [0x8001], ap_entry
        mov     word [0x8003], 0
        lgdt    [gdt_descriptor]
        mov     eax, cr0
        or      al, 1
        mov     cr0, eax
        jmp     0x08:bsp32

        bits    32
bsp32:
        mov     ax, 0x10
        mov     ds, ax
        mov     ss, ax
        mov     dword [0xfee000f0], 0x1ff        ; APIC software-enabled
        mov     dword [0xfee00310], 0
        mov     dword [0xfee00300], 0x000c4500   ; INIT to all excluding self
sipi:
        mov     dword [0xfee00300], 0x000c4608   ; Start-up, vector 08h
bsp_wait:
        cmp     word [ap_counter], 0
        je      bsp_wait
bsp_done:
        mov     ebx, 0xb5b5b5b5
        hlt

        bits    16
ap_entry:
        xor     ax, ax
        mov     ds, ax
        mov     ax, 0x1234
ap_spot:
        inc     word [ap_counter]
        inc     ax
        inc     ax
        cli
        hlt

ap_counter:     dw 0

        align   8
gdt:
        dq      0
        dq      0x00cf9a000000ffff       ; 08h: code 32, 4 GiB
        dq      0x00cf92000000ffff       ; 10h: data, 4 GiB
gdt_descriptor:
        dw      gdt_descriptor - gdt - 1
        dd      gdt

        times   510 - ($ - $$) db 0
        dw      0xaa55
