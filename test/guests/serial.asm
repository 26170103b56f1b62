; serial: COM1 input. Prints "READY", then reads bytes by polling the line
; status register (bit 0, data ready) until CR or LF, and expects "ping";
; answers "pong". The test sends "ping\n" (PcMachine.serialInput, the CLI's
; stdin, QEMU's -serial stdio).
%include "boot.inc"

main:
        SAY     "READY"
        mov     di, line
.read:
        mov     dx, COM1 + 5
.wait:
        in      al, dx
        test    al, 0x01
        jz      .wait
        mov     dx, COM1
        in      al, dx
        cmp     al, 13
        je      .eol
        cmp     al, 10
        je      .eol
        cmp     di, line + 15
        jae     .read                    ; too long: drop the rest
        stosb
        jmp     .read
.eol:
        cmp     di, line                 ; skip empty lines
        je      .read
        mov     byte [di], 0
        mov     si, line
        mov     di, expected
        mov     cx, 5
        repe    cmpsb
        CHECK   e, "serial input reads 'ping'"
        SAY     "pong"
        ; Line status after reading everything: no data ready, no errors.
        mov     dx, COM1 + 5
        in      al, dx
        and     ax, 0x1f
        EXPECT16 ax, 0, "LSR: no data ready, no overrun/parity/framing/break"
        SAY     "PASS serial"
        jmp     finish

expected:       db "ping", 0
line:           times 16 db 0

%include "end.inc"
