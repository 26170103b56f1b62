; memory: the RAM size as the firmware reports it, for a 32 MiB guest: CMOS
; registers 17h/18h and 30h/31h (extended memory in KiB, 31744), INT 15h
; AH=88h (about the same), INT 12h (conventional memory, at most 640 KiB), INT 15h
; AX=E801h (15 MiB below 16 MiB, then 64 KiB blocks up to the top of RAM
; less what the firmware keeps), and INT 15h AX=E820h (a usable entry at 0
; and one at 1 MiB covering most of the rest).
%include "boot.inc"

main:
        mov     al, 0x30
        call    cmos_read
        mov     bl, al
        mov     al, 0x31
        call    cmos_read
        mov     bh, al
        EXPECT16 bx, 31744, "CMOS 30h/31h: extended memory 31744 KiB"
        mov     al, 0x17
        call    cmos_read
        mov     bl, al
        mov     al, 0x18
        call    cmos_read
        mov     bh, al
        EXPECT16 bx, 31744, "CMOS 17h/18h: extended memory 31744 KiB"

        mov     ah, 0x88
        int     0x15
        CHECK   nc, "INT 15h AH=88h succeeds"
        ; SeaBIOS keeps the top of RAM for its tables: a range, not 31744 exactly.
        cmp     ax, 31744
        CHECK   be, "INT 15h AH=88h: at most 31744 KiB"
        cmp     ax, 30720
        CHECK   ae, "INT 15h AH=88h: at least 30720 KiB"

        int     0x12
        cmp     ax, 640
        CHECK   be, "INT 12h: at most 640 KiB"
        cmp     ax, 512
        CHECK   ae, "INT 12h: at least 512 KiB"
        mov     bx, [0x413]
        EXPECT16 ax, bx, "INT 12h = BDA 0040:0013"

        mov     ax, 0xe801
        int     0x15
        CHECK   nc, "INT 15h AX=E801h succeeds"
        EXPECT16 ax, 15360, "E801h AX: 15 MiB between 1 and 16 MiB"
        EXPECT16 cx, ax, "E801h CX = AX"
        EXPECT16 dx, bx, "E801h DX = BX"
        cmp     bx, 256
        CHECK   be, "E801h BX: at most 256 blocks of 64 KiB above 16 MiB"
        cmp     bx, 240
        CHECK   ae, "E801h BX: at least 240 blocks of 64 KiB above 16 MiB"

        ; E820: walk the map; find usable RAM at 0 and from 1 MiB.
        xor     ebx, ebx
        xor     bp, bp                   ; entries
        mov     byte [low_ok], 0
        mov     byte [high_ok], 0
.e820:
        mov     eax, 0xe820
        mov     edx, 0x534d4150          ; 'SMAP'
        mov     ecx, 20
        mov     di, entry
        int     0x15
        jc      .e820_done
        cmp     eax, 0x534d4150
        jne     .e820_bad
        inc     bp
        cmp     dword [entry + 16], 1    ; usable
        jne     .next
        cmp     dword [entry + 4], 0
        jne     .next
        cmp     dword [entry + 0], 0
        jne     .not_low
        cmp     dword [entry + 8], 0x9f000
        jb      .next
        mov     byte [low_ok], 1
        jmp     .next
.not_low:
        cmp     dword [entry + 0], 0x100000
        jne     .next
        cmp     dword [entry + 8], 0x1e00000 ; 30 MiB at least
        jb      .next
        mov     byte [high_ok], 1
.next:
        test    ebx, ebx
        jz      .e820_done
        cmp     bp, 64
        jb      .e820
.e820_bad:
.e820_done:
        cmp     bp, 2
        CHECK   ae, "E820h: at least two entries"
        cmp     byte [low_ok], 1
        CHECK   e, "E820h: usable RAM at 0, at least 636 KiB"
        cmp     byte [high_ok], 1
        CHECK   e, "E820h: usable RAM from 1 MiB, at least 30 MiB"

        SAY     "PASS memory"
        jmp     finish

; cmos_read: AL = CMOS register AL.
cmos_read:
        out     0x70, al
        in      al, 0x71
        ret

        align   4
entry:          times 24 db 0
low_ok:         db 0
high_ok:        db 0

%include "end.inc"
