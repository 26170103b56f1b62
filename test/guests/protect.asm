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

%include "pmtest.inc"

main:
        PM_ENTER
        mov     edi, R
        mov     ecx, SLOTS
        mov     eax, 0xffffffff
        rep stosd
        mov     eax, ldt                ; the LDT descriptor's base
        mov     [gdt_ldt + 2], ax
        shr     eax, 16
        mov     [gdt_ldt + 4], al
        mov     [gdt_ldt + 7], ah
        mov     ax, 0x60
        lldt    ax

        ; ---- Ring 0: data and stack segment loads.
        mov     ax, 0x13
        TRY     R + 0 * 4, mov ds, ax           ; RPL 3 > DPL 0: #GP(10h)
        mov     ax, 0x40
        TRY     R + 1 * 4, mov ds, ax           ; execute-only code: #GP(40h)
        mov     ax, 0x38
        TRY     R + 2 * 4, mov ds, ax           ; a TSS: #GP(38h)
        mov     ax, 0x60
        TRY     R + 3 * 4, mov es, ax           ; an LDT descriptor: #GP(60h)
        mov     ax, 0x48
        TRY     R + 4 * 4, mov fs, ax           ; not present: #NP(48h)
        xor     eax, eax
        TRY     R + 5 * 4, mov ss, ax           ; null SS: #GP(0)
        mov     ax, 0x50
        TRY     R + 6 * 4, mov ss, ax           ; read-only data: #GP(50h)
        mov     ax, 0x48
        TRY     R + 7 * 4, mov ss, ax           ; not present: #SS(48h)
        mov     ax, 0x1000
        TRY     R + 8 * 4, mov ds, ax           ; beyond the GDT: #GP(1000h)
        mov     ax, 0x0c
        TRY     R + 9 * 4, mov gs, ax           ; LDT entry 1, not present: #NP(0Ch)
        mov     ax, 0x23
        TRY     R + 10 * 4, mov ss, ax          ; RPL 3 at CPL 0: #GP(20h)
        TRY     R + 11 * 4, mov es, ax          ; DPL 3 data at CPL 0: loads
        mov     ax, 0x58
        TRY     R + 12 * 4, mov ds, ax          ; loads and sets the accessed bit
        mov     al, [gdt + 0x58 + 5]
        mov     [R_ACC], al
        mov     ax, 0x10
        mov     ds, ax
        ; (An access through a null segment is #GP(0) on hardware and vmexit, but
        ; QEMU's TCG does not check it: test/cpu/unusableSegments.test.ts has it.)
        xor     eax, eax
        TRY     R + 13 * 4, mov fs, ax          ; a null selector: loads
        TRY     R + 14 * 4, jmp 0x68:0          ; not-present code: #NP(68h)
        TRY     R + 15 * 4, jmp 0x10:0          ; a data segment: #GP(10h)
        ; POP SS (32-bit) from a 16-bit stack: ESP moves as a 16-bit SP.
        mov     dword [0xfffc], 0x10
        mov     ax, 0x30
        mov     ss, ax
        mov     esp, 0x1234fffc
        pop     ss
        mov     [R_ESP], esp
        mov     esp, 0x70000            ; (the 32-bit stack again)

        ; ---- To ring 3 by a far RET outward: DS (DPL 0) is nulled, ES (DPL 3) kept.
        TO_RING3 ring3

ring3:
        mov     ax, ds
        mov     [ss:R_DS3], ax
        mov     ax, es
        mov     [ss:R_ES3], ax
        mov     ax, 0x13
        TRY     R + 16 * 4, mov ds, ax          ; DPL 0 data at CPL 3: #GP(10h)
        mov     ax, 0x10
        TRY     R + 17 * 4, mov ds, ax          ; RPL 0 does not help: #GP(10h)
        mov     ax, 0x13
        TRY     R + 18 * 4, mov ss, ax          ; DPL 0 stack at CPL 3: #GP(10h)
        mov     ax, 0x23
        TRY     R + 19 * 4, mov ds, ax          ; DPL 3 data: loads
        TRY     R + 20 * 4, call 0x08:0         ; DPL 0 non-conforming code, no gate: #GP(08h)
        push    dword 0x08
        push    dword 0
        TRY     R + 21 * 4, retf                ; a return inward: #GP(08h)
        add     esp, 8
        mov     ax, 0x78
        TRY     R + 22 * 4, mov ds, ax          ; conforming readable code, DPL 0: loads
        int     0x30                    ; back to ring 0

        bits    16
back_to_real:
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

        PM_GDT
        dq      0x00cf98000000ffff       ; 40h: code 32, execute-only
        dq      0x00cf12000000ffff       ; 48h: data, not present
        dq      0x00cf90000000ffff       ; 50h: data, read-only
        dq      0x00cf92000000ffff       ; 58h: data, accessed bit clear
gdt_ldt:
        dq      0x000082000000000f       ; 60h: LDT, 2 entries, base filled in at run time
        dq      0x00cf1a000000ffff       ; 68h: code 32, not present
        dq      0                        ; 70h: unused
        dq      0x00cf9e000000ffff       ; 78h: code 32, conforming, readable, DPL 0
        PM_TABLES
ldt:
        dq      0
        dq      0x00cf12000000ffff       ; 0Ch: data, not present

%include "end.inc"
