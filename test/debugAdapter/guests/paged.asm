; Adapter test guest for breakpoints and watchpoints under paging: 32-bit
; protected mode with 4 KiB pages. The first 4 MiB are identity-mapped;
; linear 400000h maps to physical 7000h (a second name for the page holding
; this boot sector, so `routine` runs at two linear addresses), and linear
; 401000h maps to physical 30000h, then, after a CR3 reload, to 31000h.
        bits    16
        org     0x7c00
PD      equ     0x20000
PT0     equ     0x21000
PT1     equ     0x22000
ALIAS   equ     0x400000 - 0x7000       ; linear alias of a boot-sector address
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
        jmp     0x08:pm32

        bits    32
pm32:
        mov     ax, 0x10
        mov     ds, ax
        mov     es, ax
        mov     ss, ax
        mov     esp, 0x7c00
        ; Page tables: clear PD, PT0 and PT1, identity-map 0-4 MiB in PT0.
        mov     edi, PD
        mov     ecx, 3 * 1024
        xor     eax, eax
        rep stosd
        mov     edi, PT0
        mov     eax, 3                  ; present, writable
        mov     ecx, 1024
.identity:
        stosd
        add     eax, 0x1000
        loop    .identity
        mov     dword [PD], PT0 | 3
        mov     dword [PD + 4], PT1 | 3
        mov     dword [PT1], 0x7000 | 3
        mov     dword [PT1 + 4], 0x30000 | 3
        mov     eax, PD
        mov     cr3, eax
        mov     eax, cr0
        or      eax, 0x80000000
        mov     cr0, eax
paged:
        call    routine                 ; through the identity mapping
        mov     eax, routine + ALIAS
        call    eax                     ; through the alias
first_write:
        mov     dword [0x401000], 0x11111111    ; physical 30000h
        mov     dword [PT1 + 4], 0x31000 | 3
        mov     eax, PD
        mov     cr3, eax                ; the new mapping takes effect
second_write:
        mov     dword [0x401000], 0x22222222    ; physical 31000h
        mov     dword [0x30000], 0x33333333     ; physical 30000h, no longer at 401000h
        mov     al, 2
        out     0xf4, al
        hlt

routine:
        inc     ebx
        ret

        align   8
gdt:
        dq      0
        dq      0x00cf9a000000ffff      ; 08h: code 32-bit, 4 GiB
        dq      0x00cf92000000ffff      ; 10h: data, 4 GiB
        dq      0x00009a000000ffff      ; 18h: code 16-bit, 64 KiB (for the disassembler's test)
gdt_desc:
        dw      gdt_desc - gdt - 1
        dd      gdt

        times   510 - ($ - $$) db 0
        dw      0xaa55
