; disk: INT 13h reads from a patterned disk. The test writes the image: the
; program in its first sectors, and from there on every sector holds its own
; LBA: dword k of sector L is (L << 8) | k. Booted from a 1.44M floppy it
; checks AH=08h (80/2/18) and CHS reads (AH=02h); booted from a hard disk of
; HD_SECTORS sectors (16 heads, 63 sectors) it also checks the extensions:
; AH=41h, AH=48h geometry consistent with AH=08h, AH=42h LBA reads, and a
; read past the end failing.
%include "boot.inc"

HD_SECTORS      equ 8064                 ; 8 x 16 x 63, the test's hard-disk size

main:
        ; ---- AH=08h: drive parameters
        mov     ah, 0x08
        mov     dl, [boot_drive]
        xor     di, di
        mov     es, di
        int     0x13
        pushf
        xor     ax, ax                   ; floppies return ES:DI = parameter table
        mov     es, ax
        popf
        CHECK   nc, "int13 08h succeeds"
        mov     al, cl
        and     ax, 0x3f
        mov     [spt], ax
        movzx   ax, dh
        inc     ax
        mov     [heads], ax
        mov     al, cl
        shl     ax, 2
        and     ax, 0x300
        mov     al, ch
        mov     [max_cyl], ax
        movzx   ax, dh
        mov     [max_head], ax
        movzx   ax, dl
        mov     [drive_count], ax

        cmp     byte [boot_drive], 0x80
        jae     hard_disk_checks
        EXPECT16 [spt], 18, "floppy 08h sectors per track"
        EXPECT16 [heads], 2, "floppy 08h heads"
        EXPECT16 [max_cyl], 79, "floppy 08h last cylinder"
        movzx   ax, bl
        EXPECT16 ax, 4, "floppy 08h drive type 1.44M"
        cmp     word [drive_count], 1
        CHECK   ae, "floppy 08h drive count"
        jmp     chs_reads

hard_disk_checks:
        cmp     word [drive_count], 1
        CHECK   ae, "hard disk 08h drive count"
        ; ---- AH=41h: extensions present
        mov     ah, 0x41
        mov     bx, 0x55aa
        mov     dl, [boot_drive]
        int     0x13
        CHECK   nc, "int13 41h succeeds"
        EXPECT16 bx, 0xaa55, "int13 41h signature"
        and     cx, 1
        EXPECT16 cx, 1, "int13 41h: packet access (42h-44h, 47h, 48h) supported"
        ; ---- AH=48h: geometry and size
        mov     word [params], 0x1a
        mov     ah, 0x48
        mov     dl, [boot_drive]
        mov     si, params
        int     0x13
        CHECK   nc, "int13 48h succeeds"
        EXPECT32 [params + 16], HD_SECTORS, "48h total sectors (low)"
        EXPECT32 [params + 20], 0, "48h total sectors (high)"
        EXPECT16 [params + 24], 512, "48h bytes per sector"
        EXPECT32 [params + 8], [heads32], "48h heads = 08h heads"
        EXPECT32 [params + 12], [spt32], "48h sectors per track = 08h sectors per track"
        ; 08h's cylinders x heads x sectors fit in the disk
        movzx   eax, word [max_cyl]
        inc     eax
        movzx   ebx, word [heads]
        imul    eax, ebx
        movzx   ebx, word [spt]
        imul    eax, ebx
        cmp     eax, HD_SECTORS
        CHECK   be, "08h geometry fits in 48h total sectors"
        cmp     eax, HD_SECTORS - 2 * 16 * 63
        CHECK   ae, "08h geometry covers all but at most 2 cylinders"

chs_reads:
        ; ---- CHS read 1: cylinder 1, head 1, sectors 3-7 into 1000:0000
        mov     ax, 0x1000
        mov     es, ax
        xor     bx, bx
        mov     cx, 5
        call    poison
        mov     ax, 0x0205
        mov     cx, 0x0103               ; cylinder 1, sector 3
        mov     dh, 1
        mov     dl, [boot_drive]
        int     0x13
        CHECK   nc, "CHS read 1,1,3 x5: no carry"
        EXPECT16 ax, 0x0005, "CHS read 1,1,3 x5: AH=0, AL=5"
        mov     ax, 1                    ; LBA = (1 * heads + 1) * spt + 2
        mov     dx, 1
        mov     cx, 3
        call    chs_to_lba
        mov     cx, 5
        call    check_pattern
        EXPECT32 eax, ebx, "CHS read 1,1,3 x5: data"

        ; ---- CHS read 2: cylinder 2, head 0, sectors 10-18 into 2000:0200
        mov     ax, 0x2000
        mov     es, ax
        mov     bx, 0x0200
        mov     cx, 9
        call    poison
        mov     ax, 0x0209
        mov     cx, 0x020a               ; cylinder 2, sector 10
        mov     dh, 0
        mov     dl, [boot_drive]
        int     0x13
        CHECK   nc, "CHS read 2,0,10 x9: no carry"
        EXPECT16 ax, 0x0009, "CHS read 2,0,10 x9: AH=0, AL=9"
        mov     ax, 2
        mov     dx, 0
        mov     cx, 10
        call    chs_to_lba
        mov     cx, 9
        call    check_pattern
        EXPECT32 eax, ebx, "CHS read 2,0,10 x9: data"

        ; ---- CHS read 3: the last sector 08h describes
        mov     ax, 0x1000
        mov     es, ax
        xor     bx, bx
        mov     cx, 1
        call    poison
        mov     ax, [max_cyl]
        mov     ch, al
        mov     cl, ah
        shl     cl, 6
        or      cl, [spt]
        mov     dh, [max_head]
        mov     dl, [boot_drive]
        mov     ax, 0x0201
        int     0x13
        CHECK   nc, "CHS read of the last sector 08h reports: no carry"
        mov     ax, [max_cyl]
        mov     dx, [max_head]
        mov     cx, [spt]
        call    chs_to_lba
        mov     cx, 1
        call    check_pattern
        EXPECT32 eax, ebx, "CHS read of the last sector 08h reports: data"

        ; ---- sector 0 does not exist in CHS terms
        mov     ax, 0x0201
        mov     cx, 0x0100               ; cylinder 1, sector 0
        xor     dh, dh
        mov     dl, [boot_drive]
        int     0x13
        CHECK   c, "CHS read of sector 0 fails"

        cmp     byte [boot_drive], 0x80
        jb      done

        ; ---- AH=42h: 7 sectors from LBA 5000 into 3000:0010
        mov     ax, 0x3000
        mov     es, ax
        mov     bx, 0x0010
        mov     cx, 7
        call    poison
        mov     word [dap + 2], 7
        mov     word [dap + 4], 0x0010
        mov     word [dap + 6], 0x3000
        mov     dword [dap + 8], 5000
        mov     dword [dap + 12], 0
        mov     ah, 0x42
        mov     dl, [boot_drive]
        mov     si, dap
        int     0x13
        CHECK   nc, "LBA read 5000 x7: no carry"
        movzx   ax, ah
        EXPECT16 ax, 0, "LBA read 5000 x7: AH=0"
        EXPECT16 [dap + 2], 7, "LBA read 5000 x7: packet count"
        mov     edx, 5000
        mov     cx, 7
        call    check_pattern
        EXPECT32 eax, ebx, "LBA read 5000 x7: data"

        ; ---- AH=42h: the last sector of the disk
        mov     ax, 0x1000
        mov     es, ax
        xor     bx, bx
        mov     cx, 1
        call    poison
        mov     word [dap + 2], 1
        mov     word [dap + 4], 0
        mov     word [dap + 6], 0x1000
        mov     dword [dap + 8], HD_SECTORS - 1
        mov     ah, 0x42
        mov     dl, [boot_drive]
        mov     si, dap
        int     0x13
        CHECK   nc, "LBA read of the last sector: no carry"
        mov     edx, HD_SECTORS - 1
        mov     cx, 1
        call    check_pattern
        EXPECT32 eax, ebx, "LBA read of the last sector: data"

        ; ---- AH=42h past the end fails
        mov     word [dap + 2], 1
        mov     dword [dap + 8], HD_SECTORS + 3
        mov     ah, 0x42
        mov     dl, [boot_drive]
        mov     si, dap
        int     0x13
        CHECK   c, "LBA read past the end fails"

done:
        xor     ax, ax
        mov     es, ax
        SAY     "PASS disk"
        jmp     finish

; chs_to_lba: AX = cylinder, DX = head, CX = sector -> EDX = LBA (08h geometry).
chs_to_lba:
        push    eax
        push    ebx
        movzx   eax, ax
        movzx   ebx, word [heads]
        imul    eax, ebx
        movzx   edx, dx
        add     eax, edx
        movzx   ebx, word [spt]
        imul    eax, ebx
        movzx   ecx, cx
        add     eax, ecx
        dec     eax
        mov     edx, eax
        pop     ebx
        pop     eax
        ret

; poison: fill CX sectors at ES:BX with EEh, so stale data cannot pass.
poison:
        pusha
        mov     di, bx
        shl     cx, 9
        mov     al, 0xee
        rep     stosb
        popa
        ret

; check_pattern: CX sectors at ES:BX, the first being LBA EDX. Returns
; EAX = EBX = 0 when every dword matches, else EAX = got, EBX = want at the
; first mismatch.
check_pattern:
        push    ecx
        push    edx
        push    esi
        push    edi
        mov     di, bx
.sector:
        mov     esi, edx
        shl     esi, 8                   ; (L << 8) | k
        push    cx
        mov     cx, 128
.dword:
        mov     eax, [es:di]
        cmp     eax, esi
        jne     .bad
        add     di, 4
        inc     esi
        loop    .dword
        pop     cx
        inc     edx
        loop    .sector
        xor     eax, eax
        xor     ebx, ebx
        jmp     .done
.bad:
        pop     cx
        mov     ebx, esi
.done:
        pop     edi
        pop     esi
        pop     edx
        pop     ecx
        ret

        align   4
spt:            dw 0
                dw 0
heads:          dw 0
                dw 0
spt32           equ spt
heads32         equ heads
max_cyl:        dw 0
max_head:       dw 0
drive_count:    dw 0
        align   4
params:         times 0x1e db 0
        align   4
dap:            db 0x10, 0
                dw 0                     ; count
                dw 0, 0                  ; buffer offset, segment
                dq 0                     ; LBA

%include "end.inc"
