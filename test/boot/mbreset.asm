; A Multiboot 1 kernel that resets the machine once: on the first boot it
; changes its own data, counts the boot in CMOS byte 40h and pulls the reset
; line (port 92h bit 0); on the second it prints whether its data came back
; as in the file (the loader loaded the kernel again) and leaves through
; isa-debug-exit.
;   nasm -f elf32 mbreset.asm; ld -m elf_i386 -Ttext=0x100000

bits 32
COM1      equ 0x3F8
MB_MAGIC  equ 0x1BADB002
MB_FLAGS  equ 0x00000003

section .text
global _start
          dd MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
_start:   mov [saved_eax], eax
          mov esp, stack_top
          call serial_init
          mov al, 0x40
          out 0x70, al
          in al, 0x71
          cmp al, 1
          je .second
          mov esi, s_first
          call puts
          mov dword [pattern], 0xDEADBEEF   ; the file says 12345678h
          mov al, 0x40
          out 0x70, al
          mov al, 1
          out 0x71, al
          in al, 0x92
          or al, 1                          ; fast reset
          out 0x92, al
.wait:    hlt
          jmp .wait

.second:  mov al, 0x40
          out 0x70, al
          xor al, al
          out 0x71, al
          mov esi, s_second
          call puts
          mov eax, [saved_eax]
          call puthex
          mov esi, s_pattern
          call puts
          mov eax, [pattern]
          call puthex
          call newline
          jmp finish

%include "serial.inc"

s_first:  db 'FIRST BOOT: resetting', 13, 10, 0
s_second: db 'SECOND BOOT magic=', 0
s_pattern: db ' data=', 0

section .data
pattern:  dd 0x12345678

section .bss
saved_eax:    resd 1
saved_eflags: resd 1
saved_cr0:    resd 1
              resb 0x1000
stack_top:
