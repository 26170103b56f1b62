; exceptions: processor exceptions through the real-mode IVT. Faults (#DE
; from DIV/IDIV, #UD from UD2, #BR from BOUND) push the address of the
; faulting instruction (its first prefix) and leave the destination
; unchanged; traps (INT3, INT 3, INTO with OF set) push the address after
; the instruction. Single-step: TF set by POPF traps after every following
; instruction, with the pushed IP at the next instruction to run.
%include "boot.inc"

%macro FAULT_HANDLER 1
vec%1_handler:
        push    bp
        mov     bp, sp
        push    ax
        mov     byte [cs:got_vector], %1
        mov     ax, [bp + 2]
        mov     [cs:got_ip], ax
        mov     ax, [bp + 4]
        mov     [cs:got_cs], ax
        inc     word [cs:hits]
        mov     ax, [cs:resume]          ; faults: continue where the test says
        test    ax, ax
        jz      .return
        mov     [bp + 2], ax
.return:
        pop     ax
        pop     bp
        iret
%endmacro

%macro ARM 1                             ; resume address (0: return to the pushed IP)
        mov     word [resume], %1
        mov     word [hits], 0
        mov     byte [got_vector], 0xff
        mov     word [got_ip], 0xffff
        mov     word [got_cs], 0xffff
%endmacro

main:
        cli
        mov     word [0 * 4], vec0_handler
        mov     word [0 * 4 + 2], 0
        mov     word [3 * 4], vec3_handler
        mov     word [3 * 4 + 2], 0
        mov     word [4 * 4], vec4_handler
        mov     word [4 * 4 + 2], 0
        mov     word [5 * 4], vec5_handler
        mov     word [5 * 4 + 2], 0
        mov     word [6 * 4], vec6_handler
        mov     word [6 * 4 + 2], 0
        mov     word [1 * 4], step_handler
        mov     word [1 * 4 + 2], 0
        sti

        ; ---- #DE: DIV r/m8 by zero
        ARM     .de1_after
        mov     ax, 0x1234
        xor     bl, bl
.de1:   div     bl
.de1_after:
        EXPECT16 [hits], 1, "#DE div bl,0: taken once"
        movzx   cx, byte [got_vector]
        EXPECT16 cx, 0, "#DE div bl,0: vector 0"
        EXPECT16 [got_ip], .de1, "#DE div bl,0: pushed IP = the DIV"
        EXPECT16 [got_cs], 0, "#DE div bl,0: pushed CS"
        EXPECT16 ax, 0x1234, "#DE div bl,0: AX unchanged"

        ; ---- #DE: DIV r/m16 quotient overflow (DX:AX = 10000h / 1)
        ARM     .de2_after
        mov     dx, 1
        xor     ax, ax
        mov     bx, 1
.de2:   div     bx
.de2_after:
        EXPECT16 [hits], 1, "#DE div overflow: taken once"
        EXPECT16 [got_ip], .de2, "#DE div overflow: pushed IP = the DIV"
        EXPECT16 dx, 1, "#DE div overflow: DX unchanged"
        EXPECT16 ax, 0, "#DE div overflow: AX unchanged"

        ; ---- #DE: IDIV r/m8, -32768 / -1 does not fit
        ARM     .de3_after
        mov     ax, 0x8000
        mov     bl, 0xff
.de3:   idiv    bl
.de3_after:
        EXPECT16 [hits], 1, "#DE idiv 8000h/-1: taken once"
        EXPECT16 [got_ip], .de3, "#DE idiv 8000h/-1: pushed IP = the IDIV"

        ; ---- #DE with prefixes: the pushed IP is the first prefix
        ARM     .de4_after
        mov     byte [zero_byte], 0
        mov     di, zero_byte
        mov     ax, 7
.de4:   div     byte [es:di]             ; 26 F6 35
.de4_after:
        EXPECT16 [got_ip], .de4, "#DE div byte [es:di]: pushed IP = the ES prefix"
        ARM     .de5_after
        xor     ebx, ebx
        xor     edx, edx
        mov     eax, 5
.de5:   div     ebx                      ; 66 F7 F3
.de5_after:
        EXPECT16 [got_ip], .de5, "#DE div ebx: pushed IP = the 66h prefix"

        ; ---- #UD: UD2
        ARM     .ud_after
.ud:    ud2
.ud_after:
        EXPECT16 [hits], 1, "#UD ud2: taken once"
        movzx   cx, byte [got_vector]
        EXPECT16 cx, 6, "#UD ud2: vector 6"
        EXPECT16 [got_ip], .ud, "#UD ud2: pushed IP = the UD2"

        ; ---- INT3 (CC) and INT 3 (CD 03): traps
        ARM     0
        int3
.bp1_next:
        EXPECT16 [hits], 1, "int3: taken once"
        EXPECT16 [got_ip], .bp1_next, "int3: pushed IP = next instruction"
        ARM     0
        int     3
.bp2_next:
        EXPECT16 [got_ip], .bp2_next, "int 3 (CD 03): pushed IP = next instruction"
        movzx   cx, byte [got_vector]
        EXPECT16 cx, 3, "int 3: vector 3"

        ; ---- INTO: a trap when OF is set, nothing when clear
        ARM     0
        mov     al, 0x7f
        add     al, 1                    ; OF = 1
        into
.into_next:
        EXPECT16 [hits], 1, "into with OF=1: taken once"
        movzx   cx, byte [got_vector]
        EXPECT16 cx, 4, "into with OF=1: vector 4"
        EXPECT16 [got_ip], .into_next, "into with OF=1: pushed IP = next instruction"
        ARM     0
        mov     al, 1
        add     al, 1                    ; OF = 0
        into
        EXPECT16 [hits], 0, "into with OF=0: not taken"

        ; ---- BOUND: #BR (a fault) when out of range
        ARM     .br_after
        mov     ax, 25
.br:    bound   ax, [bounds]             ; 10..20
.br_after:
        EXPECT16 [hits], 1, "bound 25 in 10..20: taken once"
        movzx   cx, byte [got_vector]
        EXPECT16 cx, 5, "bound: vector 5"
        EXPECT16 [got_ip], .br, "bound: pushed IP = the BOUND"
        ARM     .br_after2
        mov     ax, 9
        bound   ax, [bounds]
.br_after2:
        EXPECT16 [hits], 1, "bound 9 in 10..20: taken once"
        ARM     0
        mov     ax, 20
        bound   ax, [bounds]
        mov     ax, 10
        bound   ax, [bounds]
        EXPECT16 [hits], 0, "bound 10 and 20 in 10..20: not taken"

        ; ---- single-step: TF set by POPF
        mov     word [step_count], 0
        mov     word [step_stop], .s_end
        pushf
        pop     ax
        or      ax, 0x0100
        push    ax
        popf                             ; no trap after the POPF that sets TF
.s1:    nop
.s2:    mov     cx, 3
.s3:    loop    .s3
.s4:    inc     dx
.s_end:
        pushf
        pop     ax
        and     ax, 0x0100
        EXPECT16 ax, 0, "single-step: TF clear after the handler cleared it"
        EXPECT16 [step_count], 6, "single-step: 6 traps"
        EXPECT16 [step_ips + 0], .s2, "single-step trap 1: after nop"
        EXPECT16 [step_ips + 2], .s3, "single-step trap 2: after mov cx"
        EXPECT16 [step_ips + 4], .s3, "single-step trap 3: loop taken"
        EXPECT16 [step_ips + 6], .s3, "single-step trap 4: loop taken"
        EXPECT16 [step_ips + 8], .s4, "single-step trap 5: loop falls through"
        EXPECT16 [step_ips + 10], .s_end, "single-step trap 6: after inc"
        EXPECT16 [step_flags], 0x0100, "single-step: pushed FLAGS have TF set"

        SAY     "PASS exceptions"
        jmp     finish

FAULT_HANDLER 0
FAULT_HANDLER 3
FAULT_HANDLER 4
FAULT_HANDLER 5
FAULT_HANDLER 6

step_handler:
        push    bp
        mov     bp, sp
        push    ax
        push    bx
        mov     bx, [cs:step_count]
        cmp     bx, 16
        jae     .counted
        shl     bx, 1
        mov     ax, [bp + 2]
        mov     [cs:step_ips + bx], ax
.counted:
        inc     word [cs:step_count]
        mov     ax, [bp + 6]
        and     ax, 0x0100
        mov     [cs:step_flags], ax
        mov     ax, [bp + 2]
        cmp     ax, [cs:step_stop]
        jne     .return
        and     word [bp + 6], 0xfeff    ; stop stepping: TF off in the pushed FLAGS
.return:
        pop     bx
        pop     ax
        pop     bp
        iret

        align   2
bounds:         dw 10, 20
resume:         dw 0
hits:           dw 0
got_ip:         dw 0
got_cs:         dw 0
got_vector:     db 0
zero_byte:      db 0
step_count:     dw 0
step_stop:      dw 0
step_flags:     dw 0
step_ips:       times 16 dw 0

%include "end.inc"
