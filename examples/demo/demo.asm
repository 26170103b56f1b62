; vmexit demo guest: a two-sector floppy program.
;
; The boot sector loads its second sector with INT 13h, greets on the VGA
; screen (INT 10h teletype) and on COM1, then enters big real mode: it switches
; to protected mode just long enough to load FS with a 4 GiB data segment,
; returns to real mode, and uses 32-bit offsets through FS to write and read
; back memory above 1 MiB, which plain real mode cannot reach.
;
; Build: nasm -f bin -o demo.img demo.asm

        bits    16
        org     0x7c00

SECTORS equ     2

start:
        cli
        xor     ax, ax
        mov     ds, ax
        mov     es, ax
        mov     ss, ax
        mov     sp, 0x7c00
        sti
        mov     [boot_drive], dl

        mov     ax, 0x0200 + SECTORS - 1 ; read the rest of the program
        mov     cx, 0x0002               ; cylinder 0, sector 2
        xor     dh, dh
        mov     bx, 0x7e00
        int     0x13
        jc      .disk_error
        jmp     main
.disk_error:
        mov     si, msg_disk_error
        call    print
        jmp     halt

; print: the NUL-terminated string at DS:SI, on the screen and on COM1.
print:
        pusha
.next:
        lodsb
        test    al, al
        jz      .done
        cmp     al, 10
        jne     .char
        mov     al, 13                   ; LF becomes CR LF
        call    put_char
        mov     al, 10
.char:
        call    put_char
        jmp     .next
.done:
        popa
        ret

; put_char: AL to the screen (INT 10h teletype) and to COM1 (polled).
put_char:
        pusha
        mov     ah, 0x0e
        mov     bx, 0x0007
        int     0x10
        mov     dx, 0x3fd                ; line status: wait for THR empty
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

halt:
        cli
        hlt
        jmp     halt

msg_disk_error: db "disk read failed", 10, 0
boot_drive:     db 0

        times   510 - ($ - $$) db 0
        dw      0xaa55

; ---- second sector -------------------------------------------------------

main:
        mov     si, msg_hello
        call    print

        ; Big real mode: load FS's hidden descriptor cache with a 4 GiB limit.
        cli
        lgdt    [gdt_descriptor]
        mov     eax, cr0
        or      al, 1
        mov     cr0, eax
        jmp     0x08:.protected          ; a 16-bit code segment, base 0
.protected:
        mov     bx, 0x10                 ; flat data: base 0, limit 4 GiB
        mov     fs, bx
        and     al, 0xfe
        mov     cr0, eax
        jmp     0x0000:.real
.real:
        xor     bx, bx
        mov     fs, bx                   ; back in real mode: the 4 GiB limit stays
        sti

        mov     esi, 0x00200000          ; 2 MiB, beyond real mode's reach
        mov     dword [fs:esi], 0x5a17c0de
        mov     eax, [fs:esi]
        cmp     eax, 0x5a17c0de
        jne     .failed
        mov     si, msg_big_real
        call    print
        jmp     halt
.failed:
        mov     si, msg_failed
        call    print
        jmp     halt

msg_hello:
        db      "Hello from vmexit!", 10
        db      "This boot sector runs on vmexit's own BIOS and CPU core.", 10, 0
msg_big_real:
        db      "Big real mode: FS keeps a 4 GiB limit after returning to real mode;", 10
        db      "wrote and read back 5A17C0DEh at 2 MiB through FS:ESI.", 10, 0
msg_failed:
        db      "Big real mode check FAILED", 10, 0

        align   8
gdt:
        dq      0                        ; null descriptor
        dq      0x00009a000000ffff       ; 08h: 16-bit code, base 0, limit 64 KiB
        dq      0x00cf92000000ffff       ; 10h: 32-bit data, base 0, limit 4 GiB
gdt_descriptor:
        dw      gdt_descriptor - gdt - 1
        dd      gdt

        times   SECTORS * 512 - ($ - $$) db 0
