; atapi: the ATAPI CD-ROM on the secondary IDE channel (170h-177h, 376h), by
; polling with nIEN set: the signature after a soft reset, IDENTIFY DEVICE
; aborting with it, IDENTIFY PACKET DEVICE, PACKET with READ(10) of the
; primary volume descriptor (block 16, "CD001"), READ CAPACITY, INQUIRY,
; an unknown command and a read past the end (check condition, then
; REQUEST SENSE), and the absent slave reading as zeros. Run with a CD image
; in the drive (QEMU: -cdrom).
%include "boot.inc"

IDE     equ     0x170
CTL     equ     0x376
BUF     equ     0x9000

main:
        ; Soft reset with interrupts off (nIEN), then select the master.
        mov     dx, CTL
        mov     al, 0x06
        out     dx, al
        mov     cx, 1000
.delay: in      al, 0x80
        loop    .delay
        mov     al, 0x02
        out     dx, al
        call    wait_idle
        mov     dx, IDE + 6
        mov     al, 0xa0
        out     dx, al
        call    wait_idle
        call    signature
        EXPECT32 eax, 0xeb140101, "soft reset: the ATAPI signature (EBh 14h 01h 01h)"

        ; IDENTIFY DEVICE is for ATA disks: an ATAPI device aborts and shows the signature.
        mov     dx, IDE + 7
        mov     al, 0xec
        out     dx, al
        call    wait_idle
        and     al, 0x01
        EXPECT16 ax, 0x0001, "IDENTIFY DEVICE: ERR"
        mov     dx, IDE + 1
        xor     ax, ax
        in      al, dx
        and     ax, 0x04
        EXPECT16 ax, 0x0004, "IDENTIFY DEVICE: ABRT"
        call    signature
        EXPECT32 eax, 0xeb140101, "IDENTIFY DEVICE: the signature"

        ; IDENTIFY PACKET DEVICE: 256 words of PIO data.
        mov     dx, IDE + 7
        mov     al, 0xa1
        out     dx, al
        call    wait_drq
        mov     di, BUF
        mov     cx, 256
        mov     dx, IDE
        rep     insw
        EXPECT16 word [BUF], 0x85c0, "IDENTIFY PACKET DEVICE word 0: ATAPI CD-ROM, removable, 12-byte packets"
        mov     ax, [BUF + 49 * 2]
        and     ax, 0x0200
        EXPECT16 ax, 0x0200, "IDENTIFY PACKET DEVICE: LBA supported"
        call    wait_idle
        and     al, 0x89
        EXPECT16 ax, 0, "IDENTIFY PACKET DEVICE: done (no BSY, DRQ, ERR)"

        ; READ(10) of block 16 with a 2048-byte limit.
        mov     si, cdb_read16
        mov     bx, 2048
        call    packet
        mov     dx, IDE + 2
        xor     ax, ax
        in      al, dx
        and     ax, 3
        EXPECT16 ax, 2, "READ(10): interrupt reason IO (data to the host)"
        call    byte_count
        EXPECT16 ax, 2048, "READ(10): byte count 2048"
        mov     di, BUF
        mov     cx, 1024
        mov     dx, IDE
        rep     insw
        call    wait_idle
        and     al, 0x89
        EXPECT16 ax, 0, "READ(10): done"
        mov     dx, IDE + 2
        xor     ax, ax
        in      al, dx
        and     ax, 3
        EXPECT16 ax, 3, "READ(10): interrupt reason CoD IO (status)"
        mov     eax, [BUF + 1]
        EXPECT32 eax, 0x30304443, "the primary volume descriptor at block 16: CD00"
        movzx   ax, byte [BUF + 5]
        EXPECT16 ax, '1', "... and 1"
        mov     si, msg_volume
        call    puts
        mov     si, BUF + 40
        mov     cx, 32
.vol:   lodsb
        call    putc
        loop    .vol
        call    crlf

        ; READ CAPACITY: the last block and 2048.
        mov     si, cdb_capacity
        mov     bx, 8
        call    packet
        mov     di, BUF
        mov     cx, 4
        mov     dx, IDE
        rep     insw
        call    wait_idle
        mov     si, msg_capacity
        call    puts
        mov     eax, [BUF]
        bswap   eax
        call    puthex32
        mov     al, ' '
        call    putc
        mov     eax, [BUF + 4]
        bswap   eax
        call    puthex32
        call    crlf

        ; INQUIRY: a removable CD/DVD device (type 5).
        mov     si, cdb_inquiry
        mov     bx, 36
        call    packet
        mov     di, BUF
        mov     cx, 18
        mov     dx, IDE
        rep     insw
        call    wait_idle
        movzx   ax, byte [BUF]
        EXPECT16 ax, 5, "INQUIRY: peripheral type 5 (CD/DVD)"
        movzx   ax, byte [BUF + 1]
        and     al, 0x80
        EXPECT16 ax, 0x80, "INQUIRY: removable"

        ; An unknown command: check condition, sense key ILLEGAL REQUEST, ASC 20h.
        mov     si, cdb_bad
        mov     bx, 2048
        call    packet
        call    wait_idle
        and     al, 0x09
        EXPECT16 ax, 0x01, "unknown command: ERR, no DRQ"
        mov     dx, IDE + 1
        xor     ax, ax
        in      al, dx
        shr     al, 4
        EXPECT16 ax, 5, "unknown command: sense key 5 in the error register"
        call    request_sense
        EXPECT16 ax, 0x0520, "REQUEST SENSE after it: ILLEGAL REQUEST, INVALID COMMAND OPERATION CODE"

        ; A read past the end: LOGICAL BLOCK ADDRESS OUT OF RANGE.
        mov     si, cdb_read_far
        mov     bx, 2048
        call    packet
        call    wait_idle
        and     al, 0x01
        EXPECT16 ax, 0x01, "READ(10) past the end: ERR"
        call    request_sense
        EXPECT16 ax, 0x0521, "REQUEST SENSE after it: ILLEGAL REQUEST, LBA OUT OF RANGE"

        ; The slave is not there: its registers read as zeros.
        mov     dx, IDE + 6
        mov     al, 0xb0
        out     dx, al
        mov     dx, IDE + 7
        xor     ax, ax
        in      al, dx
        EXPECT16 ax, 0, "absent slave: status 0"
        mov     dx, IDE + 6
        mov     al, 0xa0
        out     dx, al

        ; With interrupts (nIEN clear): IRQ 15 for the data and for the status.
        cli
        mov     word [0x77 * 4], irq15
        mov     word [0x77 * 4 + 2], 0
        in      al, 0xa1
        and     al, 0x7f                 ; unmask IRQ 15 on the slave 8259
        out     0xa1, al
        in      al, 0x21
        and     al, 0xfb                 ; and the cascade on the master
        out     0x21, al
        mov     dx, CTL
        xor     al, al
        out     dx, al
        mov     dx, IDE + 7              ; acknowledge anything pending
        in      al, dx
        mov     byte [irq_count], 0
        sti
        mov     si, cdb_read16
        mov     bx, 2048
        call    packet
        mov     cx, 100
.irq1:  cmp     byte [irq_count], 1      ; the data is ready: one interrupt
        jae     .data
        hlt
        loop    .irq1
.data:  movzx   ax, byte [irq_count]
        EXPECT16 ax, 1, "IRQ 15 when the data is ready"
        mov     di, BUF
        mov     cx, 1024
        mov     dx, IDE
        rep     insw
        mov     cx, 100
.irq2:  cmp     byte [irq_count], 2      ; and one for the status
        jae     .status
        hlt
        loop    .irq2
.status:
        movzx   ax, byte [irq_count]
        EXPECT16 ax, 2, "IRQ 15 again for the status"
        mov     dx, CTL                  ; interrupts off again
        mov     al, 0x02
        out     dx, al
        jmp     finish

; IRQ 15: count it, acknowledge it at the drive (status read) and at both 8259s.
irq15:
        push    ax
        push    dx
        inc     byte [cs:irq_count]
        mov     dx, IDE + 7
        in      al, dx
        mov     al, 0x20
        out     0xa0, al
        out     0x20, al
        pop     dx
        pop     ax
        iret

irq_count:    db 0

; The signature registers (sector count, LBA low, mid, high) in EAX, high to low.
signature:
        mov     dx, IDE + 5
        in      al, dx
        shl     eax, 8
        dec     dx
        in      al, dx
        shl     eax, 8
        dec     dx
        in      al, dx
        shl     eax, 8
        dec     dx
        in      al, dx
        ret

; Wait until BSY and DRQ are clear; AX = the status.
wait_idle:
        push    cx
        mov     cx, 0xffff
        mov     dx, IDE + 7
.wait:  in      al, dx
        test    al, 0x88
        jz      .done
        loop    .wait
.done:  xor     ah, ah
        pop     cx
        ret

; Wait for DRQ with BSY clear (or an error); AX = the status.
wait_drq:
        push    cx
        mov     cx, 0xffff
        mov     dx, IDE + 7
.wait:  in      al, dx
        test    al, 0x80
        jnz     .next
        test    al, 0x09
        jnz     .done
.next:  loop    .wait
.done:  xor     ah, ah
        pop     cx
        ret

; The PIO byte count (LBA mid, high) in AX.
byte_count:
        mov     dx, IDE + 5
        in      al, dx
        mov     ah, al
        dec     dx
        in      al, dx
        ret

; PACKET with the 12-byte CDB at SI and the byte count limit BX; returns with
; the device's answer pending (AX = status after the CDB).
packet:
        mov     dx, IDE + 1
        xor     al, al
        out     dx, al
        mov     dx, IDE + 4
        mov     al, bl
        out     dx, al
        inc     dx
        mov     al, bh
        out     dx, al
        mov     dx, IDE + 7
        mov     al, 0xa0
        out     dx, al
        call    wait_drq
        mov     cx, 6
        mov     dx, IDE
        rep     outsw
        call    wait_drq
        ret

; REQUEST SENSE: AX = sense key << 8 | additional sense code.
request_sense:
        mov     si, cdb_sense
        mov     bx, 18
        call    packet
        mov     di, BUF
        mov     cx, 9
        mov     dx, IDE
        rep     insw
        call    wait_idle
        mov     ah, [BUF + 2]
        and     ah, 0x0f
        mov     al, [BUF + 12]
        ret

cdb_read16:   db 0x28, 0, 0, 0, 0, 16, 0, 0, 1, 0, 0, 0
cdb_read_far: db 0x28, 0, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0, 0
cdb_capacity: db 0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
cdb_inquiry:  db 0x12, 0, 0, 0, 36, 0, 0, 0, 0, 0, 0, 0
cdb_sense:    db 0x03, 0, 0, 0, 18, 0, 0, 0, 0, 0, 0, 0
cdb_bad:      db 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
msg_volume:   db "VOLUME ", 0
msg_capacity: db "CAPACITY ", 0

%include "end.inc"
