; exitcode: writes EXIT_VALUE (nasm -DEXIT_VALUE=n, default 42) to port F4h:
; isa-debug-exit status (n << 1) | 1.
%include "boot.inc"

%ifndef EXIT_VALUE
%define EXIT_VALUE 42
%endif

main:
        SAY     "INFO exiting through port F4h"
        mov     al, EXIT_VALUE
        out     0xf4, al
        jmp     halt

%include "end.inc"
