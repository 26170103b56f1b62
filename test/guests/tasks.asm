; tasks: hardware task switches (SDM vol. 3 ch. 7). CALL through a task gate
; to task A, which sees NT, its back link and both busy bits, and IRETs back;
; JMP to task A (no NT, the caller's busy bit cleared), which JMPs back; and a
; stack overflow as kernels meet it: with paging on, a PUSH into the guard
; page below the stack is #PF, whose delivery faults again, so #DF, through a
; task gate to task B with a fresh stack (and CR3 from its TSS). Task B sees
; the error code, the link, CR2 and the faulting task's saved state, repairs
; that task's stack in its TSS and IRETs back to it.
;
; (EFLAGS are checked for NT only: after the CALL task switch QEMU 7.2's TCG
; showed task A the caller's ZF and PF instead of its TSS image's clear ones;
; test/cpu/tasks.test.ts checks the whole EFLAGS load.)
%include "boot.inc"

R_A_TR      equ 0x0600                  ; task A, first entry (CALL): TR, EFLAGS, back link
R_A_FLAGS   equ 0x0604
R_A_LINK    equ 0x0608
R_BUSY_MAIN equ 0x060c                  ; the main TSS's type seen from task A: busy (CALL)
R_MAIN_EAX  equ 0x0610                  ; main's EAX after task A's IRET
R_BUSY_A    equ 0x0614                  ; task A's type after its IRET: available
R_A2_FLAGS  equ 0x0618                  ; task A, second entry (JMP): EFLAGS
R_BUSY_MN2  equ 0x061c                  ; the main TSS's type seen from task A: available (JMP)
R_BACK      equ 0x0620                  ; main after task A jumped back
R_B_TR      equ 0x0624                  ; task B (#DF): TR, back link, error code, EFLAGS
R_B_LINK    equ 0x0628
R_B_ERR     equ 0x062c
R_B_FLAGS   equ 0x0630
R_B_EIP     equ 0x0634                  ; the faulting task's saved EIP and SS
R_B_CR2     equ 0x0638
R_RECOVER   equ 0x063c                  ; main after task B's IRET
PAGE_DIR    equ 0x20000
PAGE_TABLE  equ 0x21000

%include "pmtest.inc"

; BASE gdt-entry, address: fill a descriptor's base.
%macro BASE 2
        mov     eax, %2
        mov     [%1 + 2], ax
        shr     eax, 16
        mov     [%1 + 4], al
        mov     [%1 + 7], ah
%endmacro

main:
        PM_ENTER
        BASE    gdt_task_a, tss_a
        BASE    gdt_task_b, tss_b
        mov     dword [idt + 8 * 8], 0x00500000   ; #DF: task gate to task B (50h)
        mov     dword [idt + 8 * 8 + 4], 0x00008500
        ; Paging: the first 4 MiB identity-mapped, but for the guard page at 4F000h.
        mov     edi, PAGE_TABLE
        mov     eax, 0x003              ; present, writable, supervisor
        mov     ecx, 1024
.map:
        stosd
        add     eax, 0x1000
        loop    .map
        mov     dword [PAGE_TABLE + 0x4f * 4], 0
        mov     dword [PAGE_DIR], PAGE_TABLE + 3
        mov     eax, PAGE_DIR
        mov     [tss + 0x1c], eax       ; every task's CR3 (a task switch loads it)
        mov     [tss_a + 0x1c], eax
        mov     [tss_b + 0x1c], eax
        mov     cr3, eax
        mov     eax, cr0
        or      eax, 0x80000000
        mov     cr0, eax

        mov     eax, 0x12345678
        call    0x48:0                  ; task gate 48h -> task A; back here by its IRET
        mov     [R_MAIN_EAX], eax
        mov     al, [gdt + 0x40 + 5]
        mov     [R_BUSY_A], al

        jmp     0x40:0                  ; task A again, without nesting
        mov     dword [R_BACK], 1       ; task A jumped back to the main task

        ; A stack overflow into the guard page: #PF, whose own frame faults too, so #DF.
        mov     esp, 0x50000
overflow:
        push    eax
        mov     dword [R_RECOVER], 0xbad ; not reached: task B resumes at `recovered`
recovered:
        mov     dword [R_RECOVER], 1
        mov     eax, cr0
        and     eax, 0x7fffffff
        mov     cr0, eax
        int     0x30                    ; back to real mode

task_a:
        str     ax
        mov     [R_A_TR], ax
        pushfd
        pop     eax
        and     eax, 0x4000             ; NT
        mov     [R_A_FLAGS], eax
        mov     ax, [tss_a]
        mov     [R_A_LINK], ax
        mov     al, [gdt + 0x38 + 5]
        mov     [R_BUSY_MAIN], al
        mov     eax, 0xaaaa
        iretd                           ; NT: back to the caller
        pushfd                          ; the JMP resumes here
        pop     eax
        and     eax, 0x4000
        mov     [R_A2_FLAGS], eax
        mov     al, [gdt + 0x38 + 5]
        mov     [R_BUSY_MN2], al
        jmp     0x38:0                  ; back to the main task
        jmp     $

task_b:
        str     ax
        mov     [R_B_TR], ax
        mov     ax, [tss_b]
        mov     [R_B_LINK], ax
        pop     dword [R_B_ERR]
        pushfd
        pop     eax
        and     eax, 0x4000
        mov     [R_B_FLAGS], eax
        mov     eax, [tss + 0x20]
        mov     [R_B_EIP], eax
        mov     eax, cr2
        mov     [R_B_CR2], eax
        ; Repair the faulting task: a good stack, resume at `recovered`.
        mov     dword [tss + 0x38], 0x70000
        mov     dword [tss + 0x20], recovered
        iretd
        jmp     $

        bits    16
back_to_real:
        EXPECT16 word [R_A_TR], 0x40, "CALL via a task gate: TR is task A's TSS"
        EXPECT32 dword [R_A_FLAGS], 0x4000, "task A runs nested (NT)"
        EXPECT16 word [R_A_LINK], 0x38, "task A's back link: the main TSS"
        EXPECT16 word [R_BUSY_MAIN], 0x8b, "the caller stays busy during a CALL"
        EXPECT32 dword [R_MAIN_EAX], 0x12345678, "IRET restored the main task's EAX"
        EXPECT16 word [R_BUSY_A], 0x89, "task A is available after its IRET"
        EXPECT32 dword [R_A2_FLAGS], 0, "JMP to task A: not nested (NT clear)"
        EXPECT16 word [R_BUSY_MN2], 0x89, "JMP cleared the main task's busy bit"
        EXPECT32 dword [R_BACK], 1, "task A jumped back to the main task"
        EXPECT16 word [R_B_TR], 0x50, "#DF through a task gate: TR is task B's TSS"
        EXPECT16 word [R_B_LINK], 0x38, "task B's back link: the faulting task"
        EXPECT32 dword [R_B_ERR], 0, "#DF's error code 0 on task B's stack"
        EXPECT32 dword [R_B_FLAGS], 0x4000, "task B runs nested (NT)"
        EXPECT32 dword [R_B_EIP], overflow, "the faulting task was saved at the PUSH"
        EXPECT32 dword [R_B_CR2], 0x4fffc, "CR2: the PUSH's address in the guard page"
        EXPECT32 dword [R_RECOVER], 1, "task B's IRET resumed the repaired task"
        SAY     "PASS tasks"
        jmp     finish

        PM_GDT
gdt_task_a:
        dq      0x0000890000000067       ; 40h: task A's TSS, base filled in at run time
        dq      0x0000850000400000       ; 48h: task gate to 40h, DPL 0
gdt_task_b:
        dq      0x0000890000000067       ; 50h: task B's TSS (#DF)
        PM_TABLES

        align   4
tss_a:
        dd      0, 0, 0, 0, 0, 0, 0, 0   ; link, ESP0-2/SS0-2, CR3
        dd      task_a, 0x0002           ; EIP, EFLAGS
        dd      0, 0, 0, 0, 0x60000, 0, 0, 0 ; EAX ECX EDX EBX ESP EBP ESI EDI
        dd      0x10, 0x08, 0x10, 0x10, 0, 0 ; ES CS SS DS FS GS
        dd      0, 0                     ; LDT, T and I/O map base
tss_b:
        dd      0, 0, 0, 0, 0, 0, 0, 0
        dd      task_b, 0x0002
        dd      0, 0, 0, 0, 0x5f000, 0, 0, 0
        dd      0x10, 0x08, 0x10, 0x10, 0, 0
        dd      0, 0

%include "end.inc"
