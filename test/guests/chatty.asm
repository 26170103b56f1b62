; chatty: writes numbered lines on COM1 as fast as it can, forever (or, with
; -DDEBUGCON, on port E9h). For the CLI's output handling: a reader that
; stops (`| head`), a pipe nobody reads (back-pressure, --timeout), an
; output on a full device.
%include "boot.inc"

main:
        xor     ebx, ebx
.line:
        mov     si, text
%ifdef DEBUGCON
.char:
        lodsb
        test    al, al
        jz      .number
        out     0xe9, al
        jmp     .char
.number:
        inc     ebx
        jmp     .line
%else
        call    puts
        mov     eax, ebx
        call    puthex32
        mov     al, 10
        call    putc
        inc     ebx
        jmp     .line
%endif

text:   db      "chatty line ", 0

%include "end.inc"
