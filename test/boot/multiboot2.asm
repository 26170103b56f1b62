; A Multiboot 2 kernel for the boot tests: it prints over COM1 the magic,
; the CPU state, and each boot information tag it is handed (command line,
; modules with their contents, memory map format), then leaves through
; isa-debug-exit (port F4h, status 1). Lines starting with INFO may differ
; between boot loaders (memory, loader name, the tags only GRUB gives).
;
;   ELF32: nasm -f elf32; ld -m elf_i386 -Ttext=0x100000
;   ELF64: nasm -f elf64; ld -m elf_x86_64 -Ttext=0x100000 (the code is 32-bit, as the entry is)
;   -DNEED_ACPI: the information request (not optional) asks for an ACPI RSDP
;   -DFRAMEBUFFER=W,H,D: a framebuffer tag (not optional)

bits 32
COM1      equ 0x3F8
MB2_MAGIC equ 0xE85250D6

section .text
global _start
          align 8
mb2_header:
          dd MB2_MAGIC, 0, mb2_header_end - mb2_header
          dd 0x100000000 - (MB2_MAGIC + (mb2_header_end - mb2_header))
          ; information request: what this kernel prints (optional unless NEED_ACPI)
          align 8
%ifdef NEED_ACPI
info_req: dw 1, 0
%else
info_req: dw 1, 1
%endif
          dd info_req_end - info_req
          dd 1, 3, 6, 14
info_req_end:
%ifdef FRAMEBUFFER
          align 8
fb_tag:   dw 5, 0
          dd 20
          dd FRAMEBUFFER
%endif
          align 8
          dw 0, 0
          dd 8
mb2_header_end:

_start:   mov [saved_eax], eax
          mov [saved_ebx], ebx
          pushfd
          pop dword [saved_eflags]
          mov eax, cr0
          mov [saved_cr0], eax
          mov esp, stack_top
          call serial_init

          mov esi, s_magic
          call puts
          mov eax, [saved_eax]
          call puthex
          call newline
          call print_cpu_state

          mov ebx, [saved_ebx]
          mov esi, s_aligned_info
          test ebx, 7
          jz .ia
          mov esi, s_unaligned_info
.ia:      call puts
          mov esi, s_info_total
          call puts
          mov eax, [ebx]
          call puthex
          call newline

          ; The tags, each 8-byte aligned, until the end tag.
          lea ebp, [ebx + 8]
.tag:     mov eax, [ebp]
          test eax, eax
          jz .end
          cmp eax, 1
          je .cmdline
          cmp eax, 3
          je .module
          cmp eax, 4
          je .meminfo
          cmp eax, 6
          je .mmap
          cmp eax, 2
          je .loader
          mov esi, s_info_tag
          call puts
          call puthex
          call newline
          jmp .next

.cmdline: mov esi, s_cmdline
          call puts
          lea esi, [ebp + 8]
          call puts
          mov al, '|'
          call putc
          call newline
          jmp .next

.loader:  mov esi, s_info_loader
          call puts
          lea esi, [ebp + 8]
          call puts
          call newline
          jmp .next

.meminfo: mov esi, s_info_mem
          call puts
          mov eax, [ebp + 8]
          call puthex
          mov al, ' '
          call putc
          mov eax, [ebp + 12]
          call puthex
          call newline
          jmp .next

.module:  mov esi, s_mod
          call puts
          mov eax, [mod_count]
          call puthex
          inc dword [mod_count]
          mov esi, s_aligned
          test dword [ebp + 8], 0xFFF
          jz .al
          mov esi, s_unaligned
.al:      call puts
          mov esi, s_after
          cmp dword [ebp + 8], kernel_end
          jae .af
          mov esi, s_before
.af:      call puts
          mov esi, s_size
          call puts
          mov eax, [ebp + 12]
          sub eax, [ebp + 8]
          call puthex
          mov esi, [ebp + 8]
          mov edi, [ebp + 12]
          call print_module_body
          call newline
          mov esi, s_info_string
          call puts
          lea esi, [ebp + 16]
          call puts
          mov al, '|'
          call putc
          call newline
          jmp .next

.mmap:    mov esi, s_mmap
          call puts
          mov eax, [ebp + 8]           ; entry_size
          call puthex
          mov al, ' '
          call putc
          mov eax, [ebp + 12]          ; entry_version
          call puthex
          call newline
          lea esi, [ebp + 16]
          mov edi, ebp
          add edi, [ebp + 4]
.entry:   cmp esi, edi
          jae .next
          push esi
          mov esi, s_info_mmap
          call puts
          pop esi
          mov eax, [esi + 4]
          call puthex
          mov eax, [esi]
          call puthex
          mov al, ' '
          call putc
          mov eax, [esi + 12]
          call puthex
          mov eax, [esi + 8]
          call puthex
          mov al, ' '
          call putc
          mov eax, [esi + 16]
          call puthex
          call newline
          add esi, [ebp + 8]
          jmp .entry

.next:    test ebp, 7
          jz .tag_aligned
          mov esi, s_unaligned_tag
          call puts
.tag_aligned:
          mov eax, [ebp + 4]
          add eax, 7
          and eax, ~7
          add ebp, eax
          jmp .tag

.end:     mov esi, s_mods
          call puts
          mov eax, [mod_count]
          call puthex
          call newline
          jmp finish

%include "serial.inc"

s_aligned_info:   db 'INFO-ADDRESS aligned', 13, 10, 0
s_unaligned_info: db 'INFO-ADDRESS unaligned', 13, 10, 0
s_unaligned_tag:  db 'TAG unaligned', 13, 10, 0
s_info_total:     db 'INFO TOTAL ', 0
s_info_tag:       db 'INFO TAG ', 0
s_info_loader:    db 'INFO LOADER ', 0
s_info_mem:       db 'INFO MEM ', 0
s_info_string:    db 'INFO STRING |', 0
s_mmap:           db 'MMAP ', 0
s_info_mmap:      db 'INFO MMAP ', 0

section .bss
saved_eax:    resd 1
saved_ebx:    resd 1
saved_eflags: resd 1
saved_cr0:    resd 1
mod_count:    resd 1
              resb 0x2000
stack_top:
kernel_end:
