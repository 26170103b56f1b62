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

          call print_cpu_state

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
          mov esi, [ebp]
          mov edi, [ebp + 4]
          call print_module_body
          mov esi, s_string
          call puts
          mov esi, [ebp + 8]
          call puts
          mov al, '|'
          call putc
          call newline
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

          jmp finish

%include "serial.inc"

s_info_seg:   db 'INFO CS DS ', 0
s_info_flags: db 'INFO FLAGS ', 0
s_flags:      db 'FLAGS', 0
s_f_mem:      db ' mem', 0
s_f_cmdline:  db ' cmdline', 0
s_f_mods:     db ' mods', 0
s_f_mmap:     db ' mmap', 0
s_f_loader:   db ' loader', 0
s_info_mem:   db 'INFO MEM ', 0
s_info_mmap:  db 'INFO MMAP ', 0
s_info_loader: db 'INFO LOADER ', 0
s_string:     db ' string=|', 0
s_bss:        db 'BSS nonzero=', 0

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
