; bigreal: big real mode round trip. Protected mode just long enough to load
; DS, ES, FS and GS with flat 4 GiB data descriptors, back to real mode, then
; 32-bit offsets above 1 MiB through those segments; then the segment
; registers are reloaded in real mode (which changes only selector and base)
; and the 4 GiB limit must still be in the hidden descriptor caches.
%include "boot.inc"

main:
        in      al, 0x92                 ; A20 on (port 92h), so bit 20 counts
        or      al, 0x02
        and     al, 0xfe
        out     0x92, al

        cli
        lgdt    [gdt_descriptor]
        mov     eax, cr0
        or      al, 1
        mov     cr0, eax
        jmp     0x08:.protected          ; 16-bit code, base 0
.protected:
        mov     bx, 0x10                 ; flat data: base 0, limit 4 GiB
        mov     ds, bx
        mov     es, bx
        mov     fs, bx
        mov     gs, bx
        and     al, 0xfe
        mov     cr0, eax
        jmp     0x0000:.real
.real:
        xor     bx, bx                   ; real-mode selectors again
        mov     ds, bx
        mov     es, bx
        mov     fs, bx
        mov     gs, bx
        sti

        mov     eax, cr0
        and     eax, 1
        EXPECT32 eax, 0, "back in real mode (CR0.PE clear)"

        ; Write through each segment with a 32-bit offset above 1 MiB.
        mov     esi, 0x00200000          ; 2 MiB
        mov     dword [ds:esi], 0x11111111
        mov     dword [es:esi + 4], 0x22222222
        mov     dword [fs:esi + 8], 0x33333333
        mov     dword [gs:esi + 12], 0x44444444
        mov     eax, [fs:esi]
        EXPECT32 eax, 0x11111111, "DS:ESI at 2 MiB, read through FS"
        mov     eax, [gs:esi + 4]
        EXPECT32 eax, 0x22222222, "ES:ESI+4 at 2 MiB, read through GS"
        mov     eax, [ds:esi + 8]
        EXPECT32 eax, 0x33333333, "FS:ESI+8 at 2 MiB, read through DS"
        mov     eax, [es:esi + 12]
        EXPECT32 eax, 0x44444444, "GS:ESI+12 at 2 MiB, read through ES"

        ; Not an alias of low memory: 2 MiB and 0 differ.
        mov     eax, [0x7c00]            ; our own first bytes
        cmp     eax, 0x11111111
        CHECK   ne, "2 MiB is not an alias of low memory"

        ; 1 MiB + 16 with A20 on is its own memory, not 0000:0010.
        mov     edi, 0x00100010
        mov     eax, [ds:edi]
        not     eax
        mov     [ds:edi], eax
        mov     ebx, [0x0010]
        cmp     eax, ebx
        CHECK   ne, "1 MiB + 16 is distinct from 16 with A20 on"

        ; A string instruction with 32-bit addressing (a32 movsd) up there.
        mov     esi, 0x00200000
        mov     edi, 0x00300000
        mov     ecx, 4
        a32 rep movsd
        EXPECT32 edi, 0x00300010, "a32 rep movsd advances EDI"
        mov     eax, [fs:dword 0x0030000c]
        EXPECT32 eax, 0x44444444, "a32 rep movsd copied to 3 MiB"

        ; Reload the segment registers in real mode: only selector and base
        ; change, the 4 GiB limit stays in the hidden cache.
        mov     ax, 0x1000
        mov     ds, ax
        mov     es, ax
        mov     fs, ax
        mov     gs, ax
        mov     esi, 0x001f0000          ; base 10000h + 1F0000h = 2 MiB
        mov     eax, [ds:esi]
        EXPECT32 eax, 0x11111111, "DS reloaded in real mode keeps 4 GiB limit"
        mov     eax, [es:esi + 4]
        EXPECT32 eax, 0x22222222, "ES reloaded in real mode keeps 4 GiB limit"
        mov     dword [fs:esi + 0x10], 0x55555555
        mov     eax, [gs:esi + 0x10]
        EXPECT32 eax, 0x55555555, "FS/GS reloaded in real mode keep 4 GiB limit"
        xor     ax, ax
        mov     ds, ax
        mov     es, ax
        mov     fs, ax
        mov     gs, ax
        mov     eax, [fs:dword 0x00200010]
        EXPECT32 eax, 0x55555555, "selector 0 again, 4 GiB limit still"

        ; The top of RAM (32 MiB guest): last dword below 32 MiB.
        mov     edi, 0x01fffffc
        mov     dword [fs:edi], 0xcafef00d
        mov     eax, [fs:edi]
        EXPECT32 eax, 0xcafef00d, "last dword below 32 MiB"

        ; A code-segment round trip too: CS is back to a real-mode segment
        ; (a far call to 0000:xxxx and back works, IP arithmetic is 16-bit).
        call    0x0000:far_fn
        EXPECT16 ax, 0x1234, "far call after the round trip"

        SAY     "PASS bigreal"
        jmp     finish

far_fn:
        mov     ax, 0x1234
        retf

        align   8
gdt:
        dq      0                        ; null
        dq      0x00009a000000ffff       ; 08h: 16-bit code, base 0, limit 64 KiB
        dq      0x00cf92000000ffff       ; 10h: data, base 0, limit 4 GiB, G=1
gdt_descriptor:
        dw      gdt_descriptor - gdt - 1
        dd      gdt

%include "end.inc"
