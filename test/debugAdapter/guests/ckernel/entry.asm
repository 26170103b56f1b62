; Entry of the C kernel test guests (linked first, at 0x10000): calls kmain
; and exits with status (kmain's result << 1) | 1 through port F4h.
        bits    32
        section .text
        global  _start
        extern  kmain
_start:
        mov     esp, 0x90000
        xor     ebp, ebp
        call    kmain
        out     0xf4, al
hang:
        hlt
        jmp     hang
