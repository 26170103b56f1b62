; pmint: interrupts and exceptions in 32-bit protected mode, through the IDT.
;
; INT 30h through a 32-bit interrupt gate (same privilege); a #GP with its
; error code (a selector beyond the GDT), the handler skipping the faulting
; instruction; IRETD outward to ring 3; from ring 3, INT 31h through a DPL 3
; gate onto the ring-0 stack the TSS names and IRETD back out; INT 32h through
; a DPL 0 gate, which is #GP(32h*8+2) from ring 3. Then back to real mode to
; check and report.
%include "boot.inc"

R_INT    equ 0x0600                     ; results, in low memory
R_INT_CS equ 0x0604
R_GP1    equ 0x0608
R_R3CS   equ 0x060c
R_R3SS   equ 0x0610
R_R0ESP  equ 0x0614
R_H31CS  equ 0x0618
R_GPN    equ 0x061c
R_GP2    equ 0x0620
R_GP2CS  equ 0x0624
R_R3DS   equ 0x0628

main:
        cli
        ; The TSS descriptor's base is the TSS's address.
        mov     eax, tss
        mov     [gdt_tss + 2], ax
        shr     eax, 16
        mov     [gdt_tss + 4], al
        mov     [gdt_tss + 7], ah
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
        mov     esp, 0x9000
        xor     eax, eax
        mov     edi, R_INT
        mov     ecx, 11
        rep stosd
        mov     ebx, 0x30
        mov     eax, h30
        mov     cx, 0x8e00                ; 32-bit interrupt gate, DPL 0
        call    set_gate
        mov     ebx, 0x31
        mov     eax, h31
        mov     cx, 0xee00                ; DPL 3: ring 3 may use it
        call    set_gate
        mov     ebx, 0x32
        mov     eax, h30
        mov     cx, 0x8e00                ; DPL 0: #GP from ring 3
        call    set_gate
        mov     ebx, 13
        mov     eax, hgp
        mov     cx, 0x8f00                ; 32-bit trap gate
        call    set_gate
        lidt    [idt_descriptor]
        mov     ax, 0x38
        ltr     ax

        int     0x30
        mov     ax, 0x40                  ; beyond the GDT's limit
        mov     ds, ax                    ; #GP(40h); the handler skips these 2 bytes
        ; To ring 3.
        push    dword 0x23                ; SS: ring-3 data
        push    dword 0x7000              ; ESP
        pushfd
        push    dword 0x1b                ; CS: ring-3 code
        push    dword ring3
        iretd

ring3:
        ; The IRETD outward made DS and ES null (their DPL 0 is below CPL 3): note it, load ring-3 data.
        mov     ax, ds
        mov     [ss:R_R3DS], ax
        mov     ax, 0x23
        mov     ds, ax
        mov     es, ax
        int     0x31                      ; onto the ring-0 stack and back
        int     0x32                      ; #GP: the handler goes back to real mode from ring 0
        jmp     $

; set_gate: IDT entry EBX -> handler EAX, selector 08h, attributes CX.
set_gate:
        lea     edi, [idt + ebx * 8]
        mov     [edi], ax
        mov     word [edi + 2], 0x08
        mov     [edi + 4], cx
        shr     eax, 16
        mov     [edi + 6], ax
        ret

h30:
        inc     dword [R_INT]
        mov     eax, [esp + 4]
        mov     [R_INT_CS], eax
        iretd

h31:
        mov     eax, [esp + 4]
        mov     [R_R3CS], eax
        mov     eax, [esp + 16]
        mov     [R_R3SS], eax
        mov     [R_R0ESP], esp
        mov     ax, cs
        mov     [R_H31CS], ax
        iretd

hgp:
        inc     dword [R_GPN]
        mov     eax, [esp]                ; the error code
        cmp     dword [R_GPN], 1
        jne     .from_ring3
        mov     [R_GP1], eax
        add     esp, 4
        add     dword [esp], 2            ; past `mov ds, ax`
        iretd
.from_ring3:
        mov     [R_GP2], eax
        mov     eax, [esp + 8]
        mov     [R_GP2CS], eax
        ; Back to real mode, from ring 0.
        mov     ax, 0x30
        mov     ds, ax
        mov     es, ax
        mov     fs, ax
        mov     gs, ax
        mov     ss, ax
        jmp     0x28:pm16

        bits    16
pm16:
        REAL_MODE_AGAIN
        mov     sp, 0x7c00
        lidt    [ivt_descriptor]
        sti
        EXPECT32 dword [R_INT], 1, "INT 30h through a 32-bit interrupt gate"
        EXPECT32 dword [R_R3DS], 0, "IRETD to ring 3 made DS null (DPL 0 data)"
        EXPECT32 dword [R_INT_CS], 0x08, "INT 30h pushed the ring-0 CS"
        EXPECT32 dword [R_GP1], 0x40, "#GP error code: the selector beyond the GDT"
        EXPECT32 dword [R_R3CS], 0x1b, "INT 31h from ring 3 pushed CS 1Bh"
        EXPECT32 dword [R_R3SS], 0x23, "INT 31h pushed the ring-3 SS"
        EXPECT32 dword [R_R0ESP], 0x8800 - 20, "the handler runs on the TSS's ring-0 stack"
        EXPECT16 word [R_H31CS], 0x08, "the handler runs in ring 0"
        EXPECT32 dword [R_GP2], 0x32 * 8 + 2, "INT 32h from ring 3 through a DPL 0 gate: #GP(192h)"
        EXPECT32 dword [R_GP2CS], 0x1b, "that #GP came from ring 3"
        SAY     "PASS pmint"
        jmp     finish

        align   8
gdt:
        dq      0                        ; null
        dq      0x00cf9a000000ffff       ; 08h: code 32, DPL 0, 4 GiB
        dq      0x00cf92000000ffff       ; 10h: data, DPL 0, 4 GiB
        dq      0x00cffa000000ffff       ; 18h: code 32, DPL 3
        dq      0x00cff2000000ffff       ; 20h: data, DPL 3
        dq      0x00009a000000ffff       ; 28h: code 16, DPL 0, 64 KiB (back to real mode)
        dq      0x000092000000ffff       ; 30h: data 16, 64 KiB
gdt_tss:
        dq      0x0000890000000067       ; 38h: 32-bit TSS, base filled in at run time
gdt_descriptor:
        dw      gdt_descriptor - gdt - 1
        dd      gdt

idt_descriptor:
        dw      0x40 * 8 - 1
        dd      idt
ivt_descriptor:
        dw      0x3ff
        dd      0

        align   4
tss:
        dd      0                        ; previous task link
        dd      0x8800                   ; ESP0
        dd      0x10                     ; SS0
        times   104 - ($ - tss) db 0

        align   8
idt:
        times   0x40 * 8 db 0

%include "end.inc"
