; Adapter test guest: caller frames across far calls (9A and FF /3) and
; through an INT n handler with a frame pointer (vector 60h, installed here),
; and near calls into routines without a frame pointer (leaf_outer/leaf_inner),
; which only the symbols can explain.
; Exits with status (0x21 << 1) | 1.
        bits    16
        org     0x7c00
start:
        xor     ax, ax
        mov     ds, ax
        mov     ss, ax
        mov     sp, 0x7c00
        xor     bp, bp                  ; the end of the BP chain
        mov     word [0x60 * 4], int60
        mov     word [0x60 * 4 + 2], 0
        call    0x07c0:far_proc - 0x7c00
after_far1:
        call    far [far_ptr]
after_far2:
        call    leaf_outer
after_leaf_outer:
        int     0x60
after_int60:
        mov     ah, 0x0e
        mov     al, 'F'
        int     0x10
after_int10:
        mov     al, 0x21
        out     0xf4, al
        hlt

; Runs in segment 07C0 (offsets are linear - 0x7C00).
far_proc:
        push    bp
        mov     bp, sp
        call    near_in_far
after_near:
        pop     bp
        retf

near_in_far:
        push    bp
        mov     bp, sp
in_near:
        nop
        pop     bp
        ret

; No frame pointers here: BP stays 0, the stack holds AX and the returns.
leaf_outer:
        push    ax
        mov     ax, leaf_inner
        call    ax                      ; an indirect call (FF /2)
after_leaf_inner:
        pop     ax
        ret

leaf_inner:
        mov     cx, 3
in_leaf:
        nop
        ret

int60:
        push    bp
        mov     bp, sp
in_int60:
        nop
        pop     bp
        iret

far_ptr:
        dw      far_proc - 0x7c00, 0x07c0

        times   510 - ($ - $$) db 0
        dw      0xaa55
