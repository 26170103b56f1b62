; a20: the A20 gate through both of its gates: system control port A (92h,
; bit 1) and the keyboard controller's output port (command D1h writes it,
; D0h reads it, bit 1). With A20 off, 0000:0500 and FFFF:0510 (physical
; 100500h) are the same byte; with A20 on they are not. Each gate is toggled
; while the other one is off, so the result is the same whether a board ORs
; the gates (hardware) or lets the last write win.
%include "boot.inc"

main:
        cli                              ; the BIOS's IRQ1 handler must not eat KBC replies
        call    kbc_flush

        ; Port 92h off, then the keyboard controller's gate.
        call    p92_off
        in      al, 0x92
        and     ax, 0x02
        EXPECT16 ax, 0, "port 92h bit 1 reads back 0"
        mov     al, 0xdd                 ; output port: A20 off (bit 0 = no reset)
        call    kbc_write_outport
        call    kbc_read_outport
        and     ax, 0x02
        EXPECT16 ax, 0, "KBC D0h output port bit 1 = 0 after D1h DDh"
        call    probe
        EXPECT16 ax, 1, "A20 off: 0000:0500 aliases FFFF:0510"

        mov     al, 0xdf                 ; output port: A20 on
        call    kbc_write_outport
        call    kbc_read_outport
        and     ax, 0x02
        EXPECT16 ax, 2, "KBC D0h output port bit 1 = 1 after D1h DFh"
        call    probe
        EXPECT16 ax, 0, "A20 on through the KBC: no alias"

        mov     al, 0xdd
        call    kbc_write_outport
        call    probe
        EXPECT16 ax, 1, "A20 off again through the KBC: alias"

        ; Now port 92h, with the KBC gate off.
        call    p92_on
        in      al, 0x92
        and     ax, 0x02
        EXPECT16 ax, 2, "port 92h bit 1 reads back 1"
        call    probe
        EXPECT16 ax, 0, "A20 on through port 92h: no alias"
        call    p92_off
        call    probe
        EXPECT16 ax, 1, "A20 off again through port 92h: alias"

        ; The wrap point itself: FFFF:0010 is physical 100000h, which is 0 with A20 off.
        push    word [0x0000]
        mov     byte [0x0000], 0xa5
        push    ds
        mov     ax, 0xffff
        mov     ds, ax
        mov     al, [0x0010]             ; FFFF:0010 = 100000h -> 000000h with A20 off
        pop     ds
        movzx   ax, al
        EXPECT16 ax, 0xa5, "A20 off: FFFF:0010 reads physical 0"
        pop     word [0x0000]

        ; Leave A20 on, the way a boot loader would.
        call    p92_on
        call    probe
        EXPECT16 ax, 0, "A20 on at the end"
        SAY     "PASS a20"
        jmp     finish

; probe: AX = 1 when 0000:0500 and FFFF:0510 alias, 0 when not.
probe:
        push    ds
        push    es
        xor     ax, ax
        mov     ds, ax
        mov     ax, 0xffff
        mov     es, ax
        mov     byte [0x0500], 0x11
        mov     byte [es:0x0510], 0x22
        mov     al, [0x0500]
        mov     ah, [es:0x0510]
        cmp     ax, 0x2222               ; both read the last write: one byte
        je      .alias
        cmp     ax, 0x2211
        jne     .weird
        xor     ax, ax
        jmp     .done
.alias:
        mov     ax, 1
        jmp     .done
.weird:
        mov     ax, 0xeeee               ; neither behaviour: shows in the FAIL line
.done:
        pop     es
        pop     ds
        ret

p92_on:
        in      al, 0x92
        or      al, 0x02
        and     al, 0xfe                 ; never bit 0 (fast reset)
        out     0x92, al
        ret
p92_off:
        in      al, 0x92
        and     al, 0xfc
        out     0x92, al
        ret

; kbc_wait_in: until the controller's input buffer is empty (status bit 1).
kbc_wait_in:
        in      al, 0x64
        test    al, 0x02
        jnz     kbc_wait_in
        ret
; kbc_wait_out: until there is a byte to read (status bit 0).
kbc_wait_out:
        in      al, 0x64
        test    al, 0x01
        jz      kbc_wait_out
        ret
; kbc_flush: read and drop whatever is waiting in the output buffer.
kbc_flush:
        in      al, 0x64
        test    al, 0x01
        jz      .done
        in      al, 0x60
        jmp     kbc_flush
.done:
        ret
; kbc_write_outport: AL to the output port (command D1h).
kbc_write_outport:
        push    ax
        call    kbc_wait_in
        mov     al, 0xd1
        out     0x64, al
        call    kbc_wait_in
        pop     ax
        out     0x60, al
        call    kbc_wait_in
        ret
; kbc_read_outport: AX = the output port (command D0h).
kbc_read_outport:
        call    kbc_wait_in
        mov     al, 0xd0
        out     0x64, al
        call    kbc_wait_out
        in      al, 0x60
        xor     ah, ah
        ret

%include "end.inc"
