; An assembly routine between C functions (no CFI; a frame pointer):
; int asm_helper(int x) returns leaf(x + 1).
        bits    32
        section .text
        global  asm_helper
        extern  leaf
asm_helper:
        push    ebp
        mov     ebp, esp
        mov     eax, [ebp + 8]          ; in helper
        inc     eax
        push    eax
        call    leaf
        add     esp, 4
        pop     ebp
        ret
