; callgate: far CALL from ring 3 through call gates into ring 0 and RETF back
; (SDM vol. 3 §5.8.5-5.8.6, vol. 2 CALL, RET): a 32-bit gate copying three
; dword parameters onto the ring-0 stack the TSS names, a 16-bit gate into a
; 16-bit code segment copying two words, the frames both handlers see, the
; return with the parameters released on both stacks; a gate whose DPL is
; below CPL 3 (#GP(gate)), a not-present gate (#NP(gate)) and a JMP through
; a gate inward (#GP(code segment)). Then back to real mode to report.
;
; (The high half of a 16-bit gate's offset is ignored by hardware but used by
; QEMU's TCG, so this guest's 16-bit gate has it 0; test/cpu/farTransfers.test.ts
; checks it.)
%include "boot.inc"

R_CS0    equ 0x0600                     ; 32-bit gate handler: its CS, SS, ESP
R_SS0    equ 0x0604
R_ESP0   equ 0x0608
R_FRAME  equ 0x0610                     ; its frame: 7 dwords (EIP CS P1 P2 P3 ESP SS)
R_BACK   equ 0x0630                     ; ring 3 after the return: ESP, CS
R_BACKCS equ 0x0634
R_W16    equ 0x0640                     ; 16-bit gate handler: its frame, 6 words (IP CS P1 P2 SP SS)
R_CS16   equ 0x0650
R_BACK16 equ 0x0654
R_F1     equ 0x0660                     ; faults: vector << 16 | error code
R_F2     equ 0x0664
R_F3     equ 0x0668

%include "pmtest.inc"

main:
        PM_ENTER
        mov     edi, 0x600
        mov     ecx, 0x20
        mov     eax, 0xffffffff
        rep stosd
        mov     eax, gate32_handler     ; the gates' offsets
        mov     [gdt_gate32], ax
        shr     eax, 16
        mov     [gdt_gate32 + 6], ax
        mov     eax, gate16_handler
        mov     [gdt_gate16], ax
        TO_RING3 ring3

ring3:
        mov     ax, 0x23
        mov     ds, ax
        mov     es, ax
        push    dword 0x33333333
        push    dword 0x22222222
        push    dword 0x11111111
        call    0x43:0                  ; the 32-bit gate (offset from the gate)
        mov     [ss:R_BACK], esp
        mov     ax, cs
        mov     [ss:R_BACKCS], ax
        push    word 0xbbbb
        push    word 0xaaaa
        call    0x4b:0                  ; the 16-bit gate
        mov     [ss:R_BACK16], esp
        TRY     R_F1, call 0x53:0       ; gate DPL 0: #GP(50h)
        TRY     R_F2, call 0x5b:0       ; gate not present: #NP(58h)
        TRY     R_F3, jmp 0x43:0        ; a JMP through a gate to ring 0: #GP(08h)
        int     0x30

gate32_handler:                         ; ring 0, on the TSS stack
        mov     ax, cs
        mov     [ss:R_CS0], ax
        mov     ax, ss
        mov     [ss:R_SS0], ax
        mov     [ss:R_ESP0], esp
        mov     esi, esp
        mov     edi, R_FRAME
        mov     ecx, 7
.copy:
        mov     eax, [ss:esi]
        mov     [ss:edi], eax
        add     esi, 4
        add     edi, 4
        loop    .copy
        retf    12                      ; the three parameters

        bits    16
gate16_handler:                         ; ring 0, 16-bit code, on the TSS stack
        mov     ax, cs
        mov     [ss:R_CS16], ax
        mov     esi, esp                ; SS is 32-bit: address the frame by ESP
        xor     ebx, ebx
.copy:
        mov     ax, [ss:esi + ebx]
        mov     [ss:R_W16 + ebx], ax
        add     ebx, 2
        cmp     ebx, 12
        jne     .copy
        retf    4                       ; 16-bit: the two word parameters

back_to_real:
        EXPECT16 word [R_CS0], 0x08, "32-bit gate: the handler runs in ring 0 (CS 08h)"
        EXPECT16 word [R_SS0], 0x10, "32-bit gate: SS0 from the TSS"
        EXPECT32 dword [R_ESP0], 0x6f000 - 28, "32-bit gate: ESP0 less 7 dwords"
        EXPECT32 dword [R_FRAME + 4], 0x1b, "32-bit gate frame: return CS"
        EXPECT32 dword [R_FRAME + 8], 0x11111111, "32-bit gate frame: parameter 1"
        EXPECT32 dword [R_FRAME + 12], 0x22222222, "32-bit gate frame: parameter 2"
        EXPECT32 dword [R_FRAME + 16], 0x33333333, "32-bit gate frame: parameter 3"
        EXPECT32 dword [R_FRAME + 20], RING3_ESP - 12, "32-bit gate frame: the caller's ESP"
        EXPECT32 dword [R_FRAME + 24], 0x23, "32-bit gate frame: the caller's SS"
        EXPECT32 dword [R_BACK], RING3_ESP, "RETF 12 released the parameters on the ring-3 stack"
        EXPECT16 word [R_BACKCS], 0x1b, "RETF returned to ring 3"
        EXPECT16 word [R_CS16], 0x28, "16-bit gate: the handler runs in ring 0 (CS 28h)"
        EXPECT16 word [R_W16 + 2], 0x1b, "16-bit gate frame: return CS"
        EXPECT16 word [R_W16 + 4], 0xaaaa, "16-bit gate frame: parameter 1"
        EXPECT16 word [R_W16 + 6], 0xbbbb, "16-bit gate frame: parameter 2"
        EXPECT16 word [R_W16 + 8], RING3_ESP - 4, "16-bit gate frame: the caller's SP"
        EXPECT16 word [R_W16 + 10], 0x23, "16-bit gate frame: the caller's SS"
        EXPECT32 dword [R_BACK16], RING3_ESP, "RETF 4 (16-bit) released the word parameters"
        EXPECT32 dword [R_F1], 0x000d0050, "a gate with DPL 0 from ring 3: #GP(50h)"
        EXPECT32 dword [R_F2], 0x000b0058, "a gate not present: #NP(58h)"
        EXPECT32 dword [R_F3], 0x000d0008, "JMP through a gate to ring 0: #GP(08h)"
        SAY     "PASS callgate"
        jmp     finish

        PM_GDT
gdt_gate32:
        dq      0x0000ec0300080000       ; 40h: 32-bit call gate, DPL 3, 3 parameters, 08h:offset
gdt_gate16:
        dq      0x0000e40200280000       ; 48h: 16-bit call gate, DPL 3, 2 parameters, 28h:offset
        dq      0x00008c0000080000       ; 50h: 32-bit call gate, DPL 0
        dq      0x00006c0000080000       ; 58h: 32-bit call gate, DPL 3, not present
        PM_TABLES

%include "end.inc"
