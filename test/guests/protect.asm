; protect: segment protection in 32-bit protected mode, every fault class of
; a segment load with its error code (SDM vol. 2 MOV, POP, JMP, CALL, RET;
; vol. 3 §5.5-5.8), from ring 0 and from ring 3.
;
; Each check runs one instruction that may fault; the #TS/#NP/#SS/#GP
; handlers record vector and error code in the check's slot (FFFFFFFFh: no
; fault) and return past the instruction. Ring 3 is entered by a far RET
; outward (which must null DS, a DPL 0 segment) and left through INT 30h.
; Then back to real mode to report.
%include "boot.inc"

R        equ 0x0600                     ; result slots, one dword per check
SLOTS    equ 24
R_ACC    equ 0x0700                     ; the access byte of descriptor 58h after loading it
R_ESP    equ 0x0704                     ; ESP after POP SS from a 16-bit stack
R_DS3    equ 0x0708                     ; DS seen in ring 3 after the far RET outward
R_ES3    equ 0x070c                     ; ES seen in ring 3 (loaded with 23h in ring 0: kept)
R_SLOT   equ 0x0710                     ; the slot of the running check
R_SKIP   equ 0x0714                     ; the length of its instruction

; TRY slot, instruction: run `instruction`, recording a fault in `slot`.
%macro TRY 2+
        mov     dword [ss:R_SLOT], %1
        mov     dword [ss:R_SKIP], %%end - %%start
%%start:
        %2
%%end:
%endmacro

main:
        cli
        mov     eax, tss                ; the TSS and LDT descriptors' bases
        mov     [gdt_tss + 2], ax
        shr     eax, 16
        mov     [gdt_tss + 4], al
        mov     [gdt_tss + 7], ah
        mov     eax, ldt
        mov     [gdt_ldt + 2], ax
        shr     eax, 16
        mov     [gdt_ldt + 4], al
        mov     [gdt_ldt + 7], ah
        lgdt    [gdt_descriptor]
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
        mov     esp, 0x70000            ; stacks well above the program
        mov     edi, R
        mov     ecx, SLOTS
        mov     eax, 0xffffffff
        rep stosd
        mov     ebx, 10
        mov     eax, fault10
        mov     cx, 0x8e00
        call    set_gate
        mov     ebx, 11
        mov     eax, fault11
        call    set_gate
        mov     ebx, 12
        mov     eax, fault12
        call    set_gate
        mov     ebx, 13
        mov     eax, fault13
        call    set_gate
        mov     ebx, 0x30
        mov     eax, back_to_ring0
        mov     cx, 0xee00              ; DPL 3
        call    set_gate
        lidt    [idt_descriptor]
        mov     ax, 0x38
        ltr     ax
        mov     ax, 0x60
        lldt    ax

        ; ---- Ring 0: data and stack segment loads.
        mov     ax, 0x13
        TRY     0, mov ds, ax           ; RPL 3 > DPL 0: #GP(10h)
        mov     ax, 0x40
        TRY     1, mov ds, ax           ; execute-only code: #GP(40h)
        mov     ax, 0x38
        TRY     2, mov ds, ax           ; a TSS: #GP(38h)
        mov     ax, 0x60
        TRY     3, mov es, ax           ; an LDT descriptor: #GP(60h)
        mov     ax, 0x48
        TRY     4, mov fs, ax           ; not present: #NP(48h)
        xor     eax, eax
        TRY     5, mov ss, ax           ; null SS: #GP(0)
        mov     ax, 0x50
        TRY     6, mov ss, ax           ; read-only data: #GP(50h)
        mov     ax, 0x48
        TRY     7, mov ss, ax           ; not present: #SS(48h)
        mov     ax, 0x1000
        TRY     8, mov ds, ax           ; beyond the GDT: #GP(1000h)
        mov     ax, 0x0c
        TRY     9, mov gs, ax           ; LDT entry 1, not present: #NP(0Ch)
        mov     ax, 0x23
        TRY     10, mov ss, ax          ; RPL 3 at CPL 0: #GP(20h)
        TRY     11, mov es, ax          ; DPL 3 data at CPL 0: loads
        mov     ax, 0x58
        TRY     12, mov ds, ax          ; loads and sets the accessed bit
        mov     al, [gdt + 0x58 + 5]
        mov     [R_ACC], al
        mov     ax, 0x10
        mov     ds, ax
        ; (An access through a null segment is #GP(0) on hardware and vmexit, but
        ; QEMU's TCG does not check it: test/cpu/unusableSegments.test.ts has it.)
        xor     eax, eax
        TRY     13, mov fs, ax          ; a null selector: loads
        TRY     14, jmp 0x68:0          ; not-present code: #NP(68h)
        TRY     15, jmp 0x10:0          ; a data segment: #GP(10h)
        ; POP SS (32-bit) from a 16-bit stack: ESP moves as a 16-bit SP.
        mov     dword [0xfffc], 0x10
        mov     ax, 0x30
        mov     ss, ax
        mov     esp, 0x1234fffc
        pop     ss
        mov     [R_ESP], esp
        mov     esp, 0x70000

        ; ---- To ring 3 by a far RET outward: DS (DPL 0) is nulled, ES (DPL 3) kept.
        push    dword 0x23
        push    dword 0x6e000
        push    dword 0x1b
        push    dword ring3
        retf

ring3:
        mov     ax, ds
        mov     [ss:R_DS3], ax
        mov     ax, es
        mov     [ss:R_ES3], ax
        mov     ax, 0x13
        TRY     16, mov ds, ax          ; DPL 0 data at CPL 3: #GP(10h)
        mov     ax, 0x10
        TRY     17, mov ds, ax          ; RPL 0 does not help: #GP(10h)
        mov     ax, 0x13
        TRY     18, mov ss, ax          ; DPL 0 stack at CPL 3: #GP(10h)
        mov     ax, 0x23
        TRY     19, mov ds, ax          ; DPL 3 data: loads
        TRY     20, call 0x08:0         ; DPL 0 non-conforming code, no gate: #GP(08h)
        push    dword 0x08
        push    dword 0
        TRY     21, retf                ; a return inward: #GP(08h)
        add     esp, 8
        mov     ax, 0x78
        TRY     22, mov ds, ax          ; conforming readable code, DPL 0: loads
        int     0x30                    ; back to ring 0

back_to_ring0:
        mov     ax, 0x30
        mov     ds, ax
        mov     es, ax
        mov     fs, ax
        mov     gs, ax
        mov     ss, ax
        jmp     0x28:pm16

; fault10..13: record the vector and error code in the running check's slot, skip its instruction.
fault10:
        push    dword 10
        jmp     fault
fault11:
        push    dword 11
        jmp     fault
fault12:
        push    dword 12
        jmp     fault
fault13:
        push    dword 13
fault:
        push    eax
        push    ebx
        mov     ebx, [ss:R_SLOT]
        mov     eax, [esp + 8]          ; the vector
        shl     eax, 16
        or      ax, [esp + 12]          ; the error code
        mov     [ss:R + ebx * 4], eax
        mov     eax, [ss:R_SKIP]
        add     [esp + 16], eax         ; past the faulting instruction
        pop     ebx
        pop     eax
        add     esp, 8                  ; the vector and the error code
        iretd

; set_gate: IDT entry EBX -> handler EAX, selector 08h, attributes CX.
set_gate:
        lea     edi, [idt + ebx * 8]
        mov     [edi], ax
        mov     word [edi + 2], 0x08
        mov     [edi + 4], cx
        shr     eax, 16
        mov     [edi + 6], ax
        ret

        bits    16
pm16:
        REAL_MODE_AGAIN
        mov     sp, 0x7c00
        lidt    [ivt_descriptor]
        sti
        EXPECT32 dword [R + 0 * 4], 0x000d0010, "MOV DS, RPL 3 > DPL 0: #GP(10h)"
        EXPECT32 dword [R + 1 * 4], 0x000d0040, "MOV DS, execute-only code: #GP(40h)"
        EXPECT32 dword [R + 2 * 4], 0x000d0038, "MOV DS, a TSS: #GP(38h)"
        EXPECT32 dword [R + 3 * 4], 0x000d0060, "MOV ES, an LDT descriptor: #GP(60h)"
        EXPECT32 dword [R + 4 * 4], 0x000b0048, "MOV FS, not present: #NP(48h)"
        EXPECT32 dword [R + 5 * 4], 0x000d0000, "MOV SS, null: #GP(0)"
        EXPECT32 dword [R + 6 * 4], 0x000d0050, "MOV SS, read-only data: #GP(50h)"
        EXPECT32 dword [R + 7 * 4], 0x000c0048, "MOV SS, not present: #SS(48h)"
        EXPECT32 dword [R + 8 * 4], 0x000d1000, "MOV DS, beyond the GDT: #GP(1000h)"
        EXPECT32 dword [R + 9 * 4], 0x000b000c, "MOV GS, LDT entry not present: #NP(0Ch), TI set"
        EXPECT32 dword [R + 10 * 4], 0x000d0020, "MOV SS, RPL 3 at CPL 0: #GP(20h)"
        EXPECT32 dword [R + 11 * 4], 0xffffffff, "MOV ES, DPL 3 data at CPL 0: loads"
        EXPECT32 dword [R + 12 * 4], 0xffffffff, "MOV DS, 58h: loads"
        EXPECT16 word [R_ACC], 0x93, "the load set descriptor 58h's accessed bit"
        EXPECT32 dword [R + 13 * 4], 0xffffffff, "MOV FS, null: loads"
        EXPECT32 dword [R + 14 * 4], 0x000b0068, "JMP FAR to not-present code: #NP(68h)"
        EXPECT32 dword [R + 15 * 4], 0x000d0010, "JMP FAR to a data segment: #GP(10h)"
        EXPECT32 dword [R_ESP], 0x12340000, "POP SS from a 16-bit stack moves SP, not ESP"
        EXPECT32 dword [R_DS3], 0, "RETF outward nulled DS (DPL 0)"
        EXPECT32 dword [R_ES3], 0x23, "RETF outward kept ES (DPL 3)"
        EXPECT32 dword [R + 16 * 4], 0x000d0010, "ring 3: MOV DS, DPL 0 data: #GP(10h)"
        EXPECT32 dword [R + 17 * 4], 0x000d0010, "ring 3: MOV DS, RPL 0 DPL 0: #GP(10h)"
        EXPECT32 dword [R + 18 * 4], 0x000d0010, "ring 3: MOV SS, DPL 0: #GP(10h)"
        EXPECT32 dword [R + 19 * 4], 0xffffffff, "ring 3: MOV DS, DPL 3 data: loads"
        EXPECT32 dword [R + 20 * 4], 0x000d0008, "ring 3: CALL FAR to DPL 0 code: #GP(08h)"
        EXPECT32 dword [R + 21 * 4], 0x000d0008, "ring 3: RETF inward: #GP(08h)"
        EXPECT32 dword [R + 22 * 4], 0xffffffff, "ring 3: MOV DS, conforming code: loads"
        SAY     "PASS protect"
        jmp     finish

        align   8
gdt:
        dq      0                        ; null
        dq      0x00cf9a000000ffff       ; 08h: code 32, DPL 0, 4 GiB
        dq      0x00cf92000000ffff       ; 10h: data, DPL 0, 4 GiB
        dq      0x00cffa000000ffff       ; 18h: code 32, DPL 3
        dq      0x00cff2000000ffff       ; 20h: data, DPL 3
        dq      0x00009a000000ffff       ; 28h: code 16, DPL 0, 64 KiB (back to real mode)
        dq      0x000092000000ffff       ; 30h: data 16, 64 KiB (also the 16-bit stack)
gdt_tss:
        dq      0x0000890000000067       ; 38h: 32-bit TSS, base filled in at run time
        dq      0x00cf98000000ffff       ; 40h: code 32, execute-only
        dq      0x00cf12000000ffff       ; 48h: data, not present
        dq      0x00cf90000000ffff       ; 50h: data, read-only
        dq      0x00cf92000000ffff       ; 58h: data, accessed bit clear
gdt_ldt:
        dq      0x000082000000000f       ; 60h: LDT, 2 entries, base filled in at run time
        dq      0x00cf1a000000ffff       ; 68h: code 32, not present
        dq      0                        ; 70h: unused
        dq      0x00cf9e000000ffff       ; 78h: code 32, conforming, readable, DPL 0
gdt_descriptor:
        dw      gdt_descriptor - gdt - 1
        dd      gdt

ldt:
        dq      0
        dq      0x00cf12000000ffff       ; 0Ch: data, not present

idt_descriptor:
        dw      0x40 * 8 - 1
        dd      idt
ivt_descriptor:
        dw      0x3ff
        dd      0

        align   4
tss:
        dd      0                        ; previous task link
        dd      0x6f000                  ; ESP0
        dd      0x10                     ; SS0
        times   104 - ($ - tss) db 0

        align   8
idt:
        times   0x40 * 8 db 0

%include "end.inc"
