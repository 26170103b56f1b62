; paging: 32-bit paging with 4 KiB and 4 MiB (PSE) pages, a remapped page,
; accessed and dirty bits, #PF for a page not present and for a write to a
; read-only page with CR0.WP (CR2 and the error code), and INVLPG. Then back
; to real mode to check and report.
%include "boot.inc"

PD       equ 0x20000                    ; page directory
PT       equ 0x21000                    ; page table for the first 4 MiB
R_BASE   equ 0x0600                     ; results
R_REMAP  equ R_BASE + 0x00
R_BIG    equ R_BASE + 0x04
R_AD     equ R_BASE + 0x08
R_CR2A   equ R_BASE + 0x0c
R_ERRA   equ R_BASE + 0x10
R_CR2B   equ R_BASE + 0x14
R_ERRB   equ R_BASE + 0x18
R_INVL   equ R_BASE + 0x1c
R_NPF    equ R_BASE + 0x20
PF_SKIP  equ R_BASE + 0x24

main:
        ENTER_FLAT32
        xor     eax, eax
        mov     edi, R_BASE
        mov     ecx, 10
        rep stosd
        PF_GATE page_fault              ; #PF (vector 14)

        ; Page tables: identity for the first 4 MiB (user, writable)...
        mov     edi, PD
        mov     ecx, 1024
        xor     eax, eax
        rep stosd
        mov     edi, PT
        mov     eax, 0x007                 ; P | RW | US
        mov     ecx, 1024
.fill:  stosd
        add     eax, 0x1000
        loop    .fill
        mov     dword [PD], PT | 0x007
        ; ...0x300000 remapped to physical 0x8000, 0x301000 read-only to 0x9000...
        mov     dword [PT + 0x300 * 4], 0x8000 | 0x007
        mov     dword [PT + 0x301 * 4], 0x9000 | 0x005
        ; ...and 4 MiB at linear 0x400000 as one PSE page onto physical 0.
        mov     dword [PD + 4], 0x00000000 | 0x087 ; PS | P | RW | US
        mov     eax, cr4
        or      eax, 1 << 4                ; PSE
        mov     cr4, eax
        mov     eax, PD
        mov     cr3, eax
        mov     eax, cr0
        or      eax, 0x80010000            ; PG | WP
        mov     cr0, eax

        mov     dword [0x8000], 0x11111111
        mov     eax, [0x300000]
        mov     [R_REMAP], eax
        mov     eax, [0x408000]
        mov     [R_BIG], eax
        mov     dword [0x300000], 0x22222222
        mov     eax, [PT + 0x300 * 4]
        and     eax, 0x60                  ; accessed | dirty
        mov     [R_AD], eax

        ; A page not present: the PDE for 8 MiB is empty.
        mov     dword [PF_SKIP], 5
        mov     eax, [0x800000]            ; A1 00 00 80 00
        ; A supervisor write to a read-only page with CR0.WP set.
        mov     dword [PF_SKIP], 10
        mov     dword [0x301000], 1        ; C7 05 00 10 30 00 01 00 00 00

        ; INVLPG: remap 0x300000 to physical 0xA000.
        mov     dword [0xa000], 0x33333333
        mov     dword [PT + 0x300 * 4], 0xa000 | 0x007
        invlpg  [0x300000]
        mov     eax, [0x300000]
        mov     [R_INVL], eax

        ; Paging off, back to real mode.
        mov     eax, cr0
        and     eax, 0x7fffffff
        mov     cr0, eax
        LEAVE_FLAT pm16

page_fault:
        inc     dword [R_NPF]
        pop     eax                        ; the error code
        mov     ebx, cr2
        cmp     dword [R_NPF], 1
        jne     .second
        mov     [R_ERRA], eax
        mov     [R_CR2A], ebx
        jmp     .skip
.second:
        mov     [R_ERRB], eax
        mov     [R_CR2B], ebx
.skip:
        mov     eax, [PF_SKIP]
        add     [esp], eax                 ; past the faulting instruction
        iretd

        bits    16
pm16:
        REAL_MODE_AGAIN
        mov     sp, 0x7c00
        lidt    [ivt_descriptor]
        sti
        EXPECT32 dword [R_REMAP], 0x11111111, "a 4 KiB page remapped (linear 300000h -> physical 8000h)"
        EXPECT32 dword [R_BIG], 0x11111111, "a 4 MiB PSE page (linear 408000h -> physical 8000h)"
        EXPECT32 dword [R_AD], 0x60, "accessed and dirty set in the PTE after a write"
        EXPECT32 dword [R_NPF], 2, "two page faults"
        EXPECT32 dword [R_CR2A], 0x800000, "#PF not present: CR2"
        EXPECT32 dword [R_ERRA], 0, "#PF not present: error code 0 (read, supervisor)"
        EXPECT32 dword [R_CR2B], 0x301000, "#PF read-only: CR2"
        EXPECT32 dword [R_ERRB], 3, "#PF read-only with CR0.WP: error code 3 (present, write)"
        EXPECT32 dword [R_INVL], 0x33333333, "INVLPG: the new mapping is used"
        SAY     "PASS paging"
        jmp     finish

        FLAT_GDT
idt_descriptor:
        dw      0x20 * 8 - 1
        dd      idt

        align   8
idt:
        times   0x20 * 8 db 0

%include "end.inc"
