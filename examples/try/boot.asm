; A boot sector to step through with vmexit.
;
; What it does, in order (each numbered step is a good place for a breakpoint:
; click left of the line number):
;   1. sets up the segments and a stack below the boot sector;
;   2. greets on the screen (INT 10h teletype) and on COM1;
;   3. enters big real mode: a trip through protected mode that leaves FS
;      with a 4 GiB limit in its hidden descriptor cache, then writes and
;      reads back memory at 2 MiB through FS:ESI;
;   4. echoes every key it gets, from the PC keyboard (INT 16h) or from
;      COM1, forever.
;
; Things to look at while stopped: the Variables view (Registers, Segments
; with the hidden base and limit of each segment), the x86 Machine view in
; the Run and Debug sidebar (the CPU mode changes to big real mode after
; step 3), the memory at 0x7C00 (this file's bytes), and the VM Screen panel
; (the guest's screen and its serial console: type there to send keys).
;
; Build (the vmexit extension does this itself when you press F5 with this
; file open and no launch.json):
;   nasm -f bin -o build/boot.img -l build/boot.lst boot.asm

        bits    16
        org     0x7c00                   ; the BIOS loads us at 0000:7C00

; ---- 1. segments and stack -------------------------------------------------
start:
        cli
        xor     ax, ax
        mov     ds, ax
        mov     es, ax
        mov     ss, ax
        mov     sp, 0x7c00               ; the stack grows down from the boot sector
        sti

; ---- 2. greet ----------------------------------------------------------------
greet:
        mov     si, msg_hello
        call    print

; ---- 3. big real mode --------------------------------------------------------
; In real mode a segment's limit is 64 KiB, but the CPU keeps whatever limit
; the last protected-mode load put in the hidden cache. Load FS with a flat
; 4 GiB descriptor in protected mode, come back: FS keeps the 4 GiB limit.
big_real:
        cli
        lgdt    [gdt_descriptor]
        mov     eax, cr0
        or      al, 1                    ; PE: protected mode
        mov     cr0, eax
        jmp     0x08:.protected          ; a 16-bit code segment, base 0
.protected:
        mov     bx, 0x10                 ; flat data: base 0, limit 4 GiB
        mov     fs, bx
        and     al, 0xfe                 ; back to real mode
        mov     cr0, eax
        jmp     0x0000:.real
.real:
        xor     bx, bx
        mov     fs, bx                   ; selector 0, base 0: the limit stays 4 GiB
        sti

        mov     esi, 0x00200000          ; 2 MiB: out of plain real mode's reach
        mov     dword [fs:esi], 0x5a17c0de
        mov     eax, [fs:esi]
        cmp     eax, 0x5a17c0de
        jne     .failed
        mov     si, msg_big_real
        call    print
        jmp     echo
.failed:
        mov     si, msg_failed
        call    print

; ---- 4. echo keys ------------------------------------------------------------
echo:
        mov     si, msg_prompt
        call    print
.wait:
        mov     ah, 0x01                 ; INT 16h AH=01h: is a key waiting?
        int     0x16
        jnz     .keyboard
        mov     dx, 0x3fd                ; COM1 line status
        in      al, dx
        test    al, 0x01                 ; data ready?
        jnz     .serial
        hlt                              ; sleep until the next interrupt
        jmp     .wait
.keyboard:
        xor     ah, ah                   ; INT 16h AH=00h: take the key
        int     0x16
        jmp     .got
.serial:
        mov     dx, 0x3f8
        in      al, dx
.got:
        mov     [key], al                ; a breakpoint here sees each key in AL
        mov     si, msg_echo
        call    print
        mov     al, [key]
        call    put_char
        call    put_line_end
        jmp     .wait

; print: the NUL-terminated string at DS:SI, on the screen and on COM1.
print:
        pusha
.next:
        lodsb
        test    al, al
        jz      .done
        cmp     al, 10
        jne     .char
        call    put_line_end
        jmp     .next
.char:
        call    put_char
        jmp     .next
.done:
        popa
        ret

; put_line_end: CR LF (the teletype and a terminal both want both).
put_line_end:
        mov     al, 13
        call    put_char
        mov     al, 10
        ; fall through

; put_char: AL to the screen (INT 10h teletype) and to COM1 (polled).
put_char:
        pusha
        mov     ah, 0x0e
        mov     bx, 0x0007               ; page 0, light grey
        int     0x10
        mov     dx, 0x3fd                ; line status: wait until COM1 can take a byte
        mov     ah, al
.wait:
        in      al, dx
        test    al, 0x20
        jz      .wait
        mov     dx, 0x3f8
        mov     al, ah
        out     dx, al
        popa
        ret

msg_hello:      db "Hello from vmexit!", 10, 0
msg_big_real:   db "Big real mode: FS reaches 4 GiB", 10, 0
msg_failed:     db "Big real mode check FAILED", 10, 0
msg_prompt:     db "Type a key:", 10, 0
msg_echo:       db "You typed: ", 0
key:            db 0

        align   8
gdt:
        dq      0                        ; null descriptor
        dq      0x00009a000000ffff       ; 08h: 16-bit code, base 0, limit 64 KiB
        dq      0x00cf92000000ffff       ; 10h: 32-bit data, base 0, limit 4 GiB
gdt_descriptor:
        dw      gdt_descriptor - gdt - 1
        dd      gdt

        times   510 - ($ - $$) db 0
        dw      0xaa55
