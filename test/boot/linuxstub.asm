; A minimal image in the Linux/x86 boot protocol's format for the boot
; tests: a setup header (protocol 2.15, bzImage, one setup sector) and a
; 32-bit part loaded at 1 MiB that prints over COM1 what the 32-bit entry
; hands it (ESI, the zero page's loader fields, command line, initrd, E820
; map, registers) and leaves through isa-debug-exit. It has no real-mode
; setup code: only a loader using the 32-bit entry can start it.
;   nasm -f bin linuxstub.asm

bits 16
COM1      equ 0x3F8
          org 0
          times 0x1F1 - ($ - $$) db 0
          db 1                      ; 1F1 setup_sects
          dw 0                      ; root_flags
          dd 0                      ; syssize
          dw 0                      ; ram_size
          dw 0                      ; vid_mode
          dw 0                      ; root_dev
          dw 0xAA55                 ; 1FE boot_flag
          jmp short header_end      ; 200 jump (its offset ends the header)
          db 'HdrS'                 ; 202
          dw 0x020F                 ; 206 version 2.15
          dd 0                      ; realmode_swtch
          dw 0                      ; start_sys_seg
          dw 0                      ; kernel_version
          db 0                      ; 210 type_of_loader
          db 0x01                   ; 211 loadflags: LOADED_HIGH
          dw 0                      ; setup_move_size
          dd 0x100000               ; 214 code32_start
          dd 0                      ; 218 ramdisk_image
          dd 0                      ; 21C ramdisk_size
          dd 0                      ; bootsect_kludge
          dw 0                      ; 224 heap_end_ptr
          db 0, 0                   ; ext_loader_ver, ext_loader_type
          dd 0                      ; 228 cmd_line_ptr
          dd 0x01FFFFFF             ; 22C initrd_addr_max: below 32 MiB
          dd 0x1000                 ; 230 kernel_alignment
          db 0, 0                   ; relocatable_kernel, min_alignment
          dw 0                      ; xloadflags
          dd 255                    ; 238 cmdline_size
          dd 0, 0, 0                ; hardware_subarch, hardware_subarch_data
          dd 0, 0                   ; payload_offset, payload_length
          dd 0, 0                   ; setup_data
          dd 0, 0                   ; 258 pref_address
          dd 0x10000                ; 260 init_size: 64 KiB
          dd 0                      ; handover_offset
header_end:
          times 1024 - ($ - $$) db 0

; ---- The protected-mode part, at 1 MiB.
bits 32
section pm vstart=0x100000
pm_start: mov [saved_esi], esi
          mov [saved_ebx], ebx
          mov [saved_ebp], ebp
          mov [saved_edi], edi
          pushfd
          pop dword [saved_eflags]
          mov eax, cr0
          mov [saved_cr0], eax
          mov [saved_cs], cs
          mov [saved_ds], ds
          mov esp, stack_top
          call serial_init
          mov esi, s_start
          call puts
          call print_cpu_state

          mov esi, s_regs
          call puts
          mov eax, [saved_esi]
          call puthex
          mov al, ' '
          call putc
          mov eax, [saved_ebx]
          or eax, [saved_ebp]
          or eax, [saved_edi]
          call puthex               ; EBX | EBP | EDI: zero
          mov al, ' '
          call putc
          movzx eax, word [saved_cs]
          call puthex
          mov al, ' '
          call putc
          movzx eax, word [saved_ds]
          call puthex
          call newline

          mov ebx, [saved_esi]      ; the zero page
          mov esi, s_loader
          call puts
          movzx eax, byte [ebx + 0x210]
          call puthex
          mov al, ' '
          call putc
          movzx eax, byte [ebx + 0x211]
          call puthex
          mov al, ' '
          call putc
          movzx eax, word [ebx + 0x224]
          call puthex
          mov al, ' '
          call putc
          movzx eax, word [ebx + 0x206]  ; the header copied from the file
          call puthex
          call newline

          mov esi, s_cmdline
          call puts
          mov esi, [ebx + 0x228]
          call puts
          mov al, '|'
          call putc
          call newline

          mov esi, s_initrd
          call puts
          mov eax, [ebx + 0x21C]
          call puthex
          mov esi, s_below
          mov eax, [ebx + 0x218]
          add eax, [ebx + 0x21C]
          cmp eax, 0x02000000
          jbe .below
          mov esi, s_above
.below:   call puts
          mov esi, s_pagealigned
          test dword [ebx + 0x218], 0xFFF
          jz .pa
          mov esi, s_unaligned
.pa:      call puts
          mov esi, [ebx + 0x218]
          mov edi, esi
          add edi, [ebx + 0x21C]
          call print_module_body
          call newline

          mov esi, s_mem
          call puts
          mov eax, [ebx + 0x1E0]    ; alt_mem_k
          call puthex
          call newline
          movzx ecx, byte [ebx + 0x1E8]
          lea ebp, [ebx + 0x2D0]
.e820:    jecxz .done
          mov esi, s_e820
          call puts
          mov eax, [ebp + 4]
          call puthex
          mov eax, [ebp]
          call puthex
          mov al, ' '
          call putc
          mov eax, [ebp + 12]
          call puthex
          mov eax, [ebp + 8]
          call puthex
          mov al, ' '
          call putc
          mov eax, [ebp + 16]
          call puthex
          call newline
          add ebp, 20
          dec ecx
          jmp .e820
.done:    jmp finish

%include "serial.inc"

s_start:      db 'LINUX 32-bit entry', 13, 10, 0
s_regs:       db 'ESI EBX|EBP|EDI CS DS ', 0
s_loader:     db 'LOADER TYPE FLAGS HEAP VERSION ', 0
s_initrd:     db 'INITRD size=', 0
s_below:      db ' below-initrd_addr_max', 0
s_above:      db ' above-initrd_addr_max', 0
s_pagealigned: db ' page-aligned', 0
s_mem:        db 'ALT_MEM_K ', 0
s_e820:       db 'E820 ', 0

saved_esi:    dd 0
saved_ebx:    dd 0
saved_ebp:    dd 0
saved_edi:    dd 0
saved_eflags: dd 0
saved_cr0:    dd 0
saved_cs:     dw 0
saved_ds:     dw 0
              align 16
              times 0x1000 db 0
stack_top:
