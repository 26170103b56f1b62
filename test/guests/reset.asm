; reset: the guest resets the machine through the keyboard controller (64h,
; command FEh) and, after the BIOS boots it again, through port 92h bit 0.
; RAM survives a reset, so a counter at 0000:0600 tells the boots apart.
%include "boot.inc"

main:
        cmp     word [0x0602], 0x5a5a
        je      .counted
        mov     word [0x0602], 0x5a5a
        mov     word [0x0600], 0
.counted:
        inc     word [0x0600]
        mov     ax, [0x0600]
        cmp     ax, 1
        je      .first
        cmp     ax, 2
        je      .second
        SAY     "INFO booted a third time after both resets"
        SAY     "PASS reset"
        jmp     .done
.first:
        SAY     "INFO first boot: reset through the keyboard controller"
        mov     al, 0xfe
        out     0x64, al
        jmp     $
.second:
        SAY     "INFO second boot: reset through port 92h"
        in      al, 0x92
        or      al, 1
        out     0x92, al
        jmp     $
.done:
        jmp     finish
%include "end.inc"
