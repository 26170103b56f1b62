; diskwrite: INT 13h AH=03h writes one sector (cylinder 1, head 0, sector 5
; of a 1.44M floppy: LBA 40) filled with "vmexit wrote this sector! ", reads it
; back with AH=02h into another buffer and compares.
%include "boot.inc"

main:
        mov     di, buffer               ; fill the sector to write
        mov     cx, 512
        xor     bx, bx
.fill:
        mov     al, [text + bx]
        stosb
        inc     bx
        cmp     bx, text_len
        jb      .next
        xor     bx, bx
.next:
        loop    .fill

        mov     ax, 0x0301
        mov     cx, 0x0105               ; cylinder 1, sector 5
        xor     dh, dh                   ; head 0
        mov     dl, [boot_drive]
        mov     bx, buffer
        int     0x13
        CHECK   nc, "int13 03h write: no carry"
        EXPECT16 ax, 0x0001, "int13 03h write: AH=0, AL=1"

        mov     ax, 0x0201
        mov     cx, 0x0105
        xor     dh, dh
        mov     dl, [boot_drive]
        mov     bx, readback
        int     0x13
        CHECK   nc, "int13 02h read back: no carry"
        mov     si, buffer
        mov     di, readback
        mov     cx, 512
        repe    cmpsb
        CHECK   e, "the sector reads back as written"

        SAY     "PASS diskwrite"
        jmp     finish

text:           db "vmexit wrote this sector! "
text_len        equ $ - text

        align   16
buffer:         times 512 db 0
readback:       times 512 db 0

%include "end.inc"
