; keyboard: INT 16h reading keys the test types through the PS/2 keyboard
; (PcMachine.typeText("Hi!\n") once "READY" appears on COM1): AH=01h peeks
; without removing, AH=00h returns scan code and ASCII (shifted keys
; included), AH=02h shift flags are clear afterwards, AH=05h stores a
; keystroke that AH=10h then reads. QEMU has no typed input over the
; differential command line: the tests run this guest on vmexit only.
%include "boot.inc"

main:
        sti
.flush:                                  ; drop anything typed before we were ready
        mov     ah, 0x01
        int     0x16
        jz      .empty
        mov     ah, 0x00
        int     0x16
        jmp     .flush
.empty:
        SAY     "READY"

.peek:                                   ; wait for the first key without taking it
        hlt
        mov     ah, 0x01
        int     0x16
        jz      .peek
        EXPECT16 ax, 0x2348, "AH=01h peeks 'H' (scan 23h)"
        mov     ah, 0x00
        int     0x16
        EXPECT16 ax, 0x2348, "AH=00h reads 'H' (shifted)"
        mov     ah, 0x00
        int     0x16
        EXPECT16 ax, 0x1769, "AH=00h reads 'i'"
        mov     ah, 0x00
        int     0x16
        EXPECT16 ax, 0x0221, "AH=00h reads '!' (shift + 1)"
        mov     ah, 0x00
        int     0x16
        EXPECT16 ax, 0x1c0d, "AH=00h reads Enter"
        mov     ah, 0x01
        int     0x16
        CHECK   z, "AH=01h: buffer empty after four keys"
        mov     ah, 0x02
        int     0x16
        and     ax, 0x000f                ; shift, ctrl, alt
        EXPECT16 ax, 0, "AH=02h: no shift, ctrl or alt held"

        mov     ah, 0x05                  ; store a keystroke
        mov     cx, 0x3920                ; space
        int     0x16
        movzx   ax, al
        EXPECT16 ax, 0, "AH=05h stores a keystroke"
        mov     ah, 0x10
        int     0x16
        EXPECT16 ax, 0x3920, "AH=10h reads the stored keystroke"

        SAY     "PASS keyboard"
        jmp     finish

%include "end.inc"
