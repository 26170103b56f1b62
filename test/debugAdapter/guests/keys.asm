; Adapter test guest: says "boot" on COM1, then sends the ASCII code of
; every key read through INT 16h to COM1, for ever. Ctrl+Alt+Del reboots it
; through the BIOS (and it says "boot" again).
        bits    16
        org     0x7c00
start:
        xor     ax, ax
        mov     ds, ax
        mov     ss, ax
        mov     sp, 0x7c00
        sti
        mov     si, banner
        mov     dx, 0x3f8
.say:
        lodsb
        test    al, al
        jz      next_key
        out     dx, al
        jmp     .say
next_key:
        mov     ah, 0
        int     0x16                    ; waits (the BIOS halts until a key)
        mov     dx, 0x3f8
        out     dx, al
        jmp     next_key

banner: db      "boot", 13, 10, 0

        times   510 - ($ - $$) db 0
        dw      0xaa55
