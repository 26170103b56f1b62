; A Multiboot 1 kernel for the boot tests: it prints over COM1 what the boot
; loader handed it (magic, flags, memory fields, memory map, command line,
; modules with their strings and contents, boot loader name, the CPU state
; the spec requires) and leaves through isa-debug-exit (port F4h, status 1).
; Lines starting with INFO may differ between boot loaders (the memory map,
; the loader's name); the test checks those against the spec instead.
;
;   ELF:          nasm -f elf32 multiboot1.asm; ld -m elf_i386 -Ttext=0x100000
;   a.out kludge: nasm -f bin -DAOUT multiboot1.asm (the header's bit 16)

bits 32

MB_MAGIC  equ 0x1BADB002
%ifdef AOUT
MB_FLAGS  equ 0x00010003        ; page-aligned modules, memory info, load addresses in the header
          org 0x100000
%else
MB_FLAGS  equ 0x00000003
%endif
COM1      equ 0x3F8

section .text
global _start
mb_header:
          dd MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
%ifdef AOUT
          dd mb_header, mb_header, load_end, bss_end, _start
%endif

_start:   mov [saved_eax], eax
          mov [saved_ebx], ebx
          ; The CPU state comes first, before anything changes it.
          pushfd
          pop dword [saved_eflags]
          mov eax, cr0
          mov [saved_cr0], eax
          mov [saved_cs], cs
          mov [saved_ds], ds
          mov esp, stack_top
          call serial_init

          mov esi, s_magic
          call puts
          mov eax, [saved_eax]
          call puthex
          call newline

          mov esi, s_cpu
          call puts
          mov eax, [saved_cr0]
          and eax, 1
          call putbit              ; PE
          mov esi, s_pg
          call puts
          mov eax, [saved_cr0]
          shr eax, 31
          call putbit
          mov esi, s_if
          call puts
          mov eax, [saved_eflags]
          shr eax, 9
          and eax, 1
          call putbit
          mov esi, s_vm
          call puts
          mov eax, [saved_eflags]
          shr eax, 17
          and eax, 1
          call putbit
          call newline

          ; A20: 2 MiB and 3 MiB are different bytes only with A20 on.
          mov dword [0x200000], 0x11111111
          mov dword [0x300000], 0x22222222
          mov esi, s_a20on
          cmp dword [0x200000], 0x11111111
          je .a20
          mov esi, s_a20off
.a20:     call puts

          mov esi, s_info_seg
          call puts
          movzx eax, word [saved_cs]
          call puthex
          mov al, ' '
          call putc
          movzx eax, word [saved_ds]
          call puthex
          call newline

          mov ebx, [saved_ebx]
          mov esi, s_info_flags
          call puts
          mov eax, [ebx]
          call puthex
          call newline
          ; The bits that must agree between loaders, by name.
          mov esi, s_flags
          call puts
          mov edx, [ebx]
          mov esi, s_f_mem
          test edx, 1
          jz .f1
          call puts
.f1:      mov esi, s_f_cmdline
          test edx, 4
          jz .f2
          call puts
.f2:      mov esi, s_f_mods
          test edx, 8
          jz .f3
          call puts
.f3:      mov esi, s_f_mmap
          test edx, 0x40
          jz .f4
          call puts
.f4:      mov esi, s_f_loader
          test edx, 0x200
          jz .f5
          call puts
.f5:      call newline

          test dword [ebx], 1
          jz .nomem
          mov esi, s_info_mem
          call puts
          mov eax, [ebx + 4]
          call puthex
          mov al, ' '
          call putc
          mov eax, [ebx + 8]
          call puthex
          call newline
.nomem:
          test dword [ebx], 4
          jz .nocmd
          mov esi, s_cmdline
          call puts
          mov esi, [ebx + 16]
          call puts
          mov al, '|'
          call putc
          call newline
.nocmd:
          test dword [ebx], 0x40
          jz .nommap
          mov esi, [ebx + 48]          ; first entry
          mov edi, esi
          add edi, [ebx + 44]          ; end
.mmap:    cmp esi, edi
          jae .nommap
          push esi
          mov esi, s_info_mmap
          call puts
          pop esi
          mov eax, [esi + 8]           ; base, high then low
          call puthex
          mov eax, [esi + 4]
          call puthex
          mov al, ' '
          call putc
          mov eax, [esi + 16]          ; length
          call puthex
          mov eax, [esi + 12]
          call puthex
          mov al, ' '
          call putc
          mov eax, [esi + 20]          ; type
          call puthex
          call newline
          add esi, [esi]
          add esi, 4
          jmp .mmap
.nommap:
          test dword [ebx], 0x200
          jz .noname
          mov esi, s_info_loader
          call puts
          mov esi, [ebx + 64]
          call puts
          call newline
.noname:
          test dword [ebx], 8
          jz .nomods
          mov esi, s_mods
          call puts
          mov eax, [ebx + 20]
          call puthex
          call newline
          mov ebp, [ebx + 24]          ; module list
          xor ecx, ecx
.mod:     cmp ecx, [ebx + 20]
          jae .nomods
          mov esi, s_mod
          call puts
          mov eax, ecx
          call puthex
          ; page-aligned, and after the kernel's image and BSS
          mov esi, s_aligned
          test dword [ebp], 0xFFF
          jz .al
          mov esi, s_unaligned
.al:      call puts
          mov esi, s_after
          cmp dword [ebp], kernel_end
          jae .af
          mov esi, s_before
.af:      call puts
          mov esi, s_size
          call puts
          mov eax, [ebp + 4]
          sub eax, [ebp]
          call puthex
          mov esi, s_sum
          call puts
          mov esi, [ebp]
          mov edi, [ebp + 4]
          xor eax, eax
          xor edx, edx
.sum:     cmp esi, edi
          jae .summed
          mov dl, [esi]
          add eax, edx
          inc esi
          jmp .sum
.summed:  call puthex
          mov esi, s_string
          call puts
          mov esi, [ebp + 8]
          call puts
          mov al, '|'
          call putc
          mov esi, s_head
          call puts
          mov esi, [ebp]               ; up to 16 printable bytes of the contents
          mov edi, [ebp + 4]
          mov edx, 16
.head:    cmp esi, edi
          jae .headed
          dec edx
          js .headed
          lodsb
          cmp al, ' '
          jb .dot
          cmp al, '~'
          jbe .pr
.dot:     mov al, '.'
.pr:      call putc
          jmp .head
.headed:  call newline
          add ebp, 16
          inc ecx
          jmp .mod
.nomods:
          ; BSS zeroed by the loader
          mov esi, s_bss
          call puts
          mov edi, bss_check
          mov ecx, bss_check_end - bss_check
          xor eax, eax
.bss:     or al, [edi]
          inc edi
          loop .bss
          call putbit
          call newline

          mov esi, s_done
          call puts
          mov al, 0
          out 0xF4, al
.halt:    cli
          hlt
          jmp .halt

; ---- COM1 at 115200 8N1
serial_init:
          mov dx, COM1 + 3
          mov al, 0x80
          out dx, al
          mov dx, COM1
          mov al, 1
          out dx, al
          mov dx, COM1 + 1
          xor al, al
          out dx, al
          mov dx, COM1 + 3
          mov al, 3
          out dx, al
          ret

putc:     push edx
          push eax
          mov dx, COM1 + 5
.wait:    in al, dx
          test al, 0x20
          jz .wait
          pop eax
          mov dx, COM1
          out dx, al
          pop edx
          ret

puts:     push eax
.next:    lodsb
          test al, al
          jz .end
          call putc
          jmp .next
.end:     pop eax
          ret

newline:  push eax
          mov al, 13
          call putc
          mov al, 10
          call putc
          pop eax
          ret

putbit:   push eax
          and al, 1
          add al, '0'
          call putc
          pop eax
          ret

puthex:   push ecx
          push eax
          mov ecx, 8
.digit:   rol eax, 4
          push eax
          and al, 0x0F
          add al, '0'
          cmp al, '9'
          jbe .d
          add al, 'A' - '9' - 1
.d:       call putc
          pop eax
          loop .digit
          pop eax
          pop ecx
          ret

s_magic:      db 'MAGIC ', 0
s_cpu:        db 'CPU PE=', 0
s_pg:         db ' PG=', 0
s_if:         db ' IF=', 0
s_vm:         db ' VM=', 0
s_a20on:      db 'A20 on', 13, 10, 0
s_a20off:     db 'A20 off', 13, 10, 0
s_info_seg:   db 'INFO CS DS ', 0
s_info_flags: db 'INFO FLAGS ', 0
s_flags:      db 'FLAGS', 0
s_f_mem:      db ' mem', 0
s_f_cmdline:  db ' cmdline', 0
s_f_mods:     db ' mods', 0
s_f_mmap:     db ' mmap', 0
s_f_loader:   db ' loader', 0
s_info_mem:   db 'INFO MEM ', 0
s_cmdline:    db 'CMDLINE |', 0
s_info_mmap:  db 'INFO MMAP ', 0
s_info_loader: db 'INFO LOADER ', 0
s_mods:       db 'MODS ', 0
s_mod:        db 'MOD ', 0
s_aligned:    db ' aligned', 0
s_unaligned:  db ' unaligned', 0
s_after:      db ' after-kernel', 0
s_before:     db ' inside-kernel', 0
s_size:       db ' size=', 0
s_sum:        db ' sum=', 0
s_string:     db ' string=|', 0
s_head:       db ' head=', 0
s_bss:        db 'BSS nonzero=', 0
s_done:       db 'DONE', 13, 10, 0

%ifdef AOUT
load_end:
%endif

section .bss
saved_eax:    resd 1
saved_ebx:    resd 1
saved_eflags: resd 1
saved_cr0:    resd 1
saved_cs:     resw 1
saved_ds:     resw 1
bss_check:    resb 0x3000          ; checked for zeros (a loader that skips the BSS leaves file bytes or garbage here)
bss_check_end:
              resb 0x1000
stack_top:
bss_end:
kernel_end:
