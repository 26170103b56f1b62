; vm86: virtual-8086 mode under a small monitor (SDM vol. 3 ch. 20).
;
; Phase 1, IOPL 0: the vm86 program runs CLI, STI, PUSHF, POPF and INT 10h
; (teletype, AH=0Eh); each is #GP(0) to the ring-0 monitor, which reads the
; opcode at CS:IP, emulates it (a virtual IF, the vm86 stack, a teletype
; buffer) and IRETDs back past it; HLT ends the phase. Phase 2, IOPL 3: CLI,
; STI and PUSHF run natively, INT 33h goes through a DPL 3 gate to a ring-0
; handler that sees the vm86 frame (VM, the segment registers) with DS
; nulled and returns a value in AX; HLT (privileged) is #GP to the monitor.
%include "boot.inc"

R_GP_COUNT  equ 0x0600                  ; #GPs the monitor took
R_GP_ERR    equ 0x0604                  ; their error codes, ORed
R_GP_VM     equ 0x0608                  ; their EFLAGS images, ANDed (VM must stay)
R_CLI       equ 0x060c                  ; CLI, STI, PUSHF, POPF, INT emulated
R_STI       equ 0x0610
R_PUSHF     equ 0x0614
R_POPF      equ 0x0618
R_INT10     equ 0x061c
R_VIF       equ 0x0620                  ; the virtual IF at the end of phase 1
R_TTY       equ 0x0624                  ; the teletype buffer (4 bytes)
R_BX1       equ 0x0628                  ; phase 1: the FLAGS PUSHF showed the program
R_BX3       equ 0x062c                  ; phase 2: the FLAGS PUSHF pushed natively
R_H33_FL    equ 0x0630                  ; INT 33h handler: the frame's EFLAGS, CS, ES; its own DS
R_H33_CS    equ 0x0634
R_H33_ES    equ 0x0638
R_H33_DS    equ 0x063c
R_AX33      equ 0x0640                  ; AX back in vm86 after INT 33h
R_PHASE     equ 0x0644
R_BAD       equ 0x0648                  ; an opcode the monitor did not expect

VM_FLAG     equ 0x20000

%include "pmtest.inc"

; ENTER_VM86 ip, eflags: IRETD into vm86 at 0000:ip, SS:SP 0:RING3_ESP, data segments 0.
%macro ENTER_VM86 2
        push    dword 0                 ; GS
        push    dword 0                 ; FS
        push    dword 0                 ; DS
        push    dword 0                 ; ES
        push    dword 0                 ; SS
        push    dword RING3_ESP
        push    dword %2
        push    dword 0                 ; CS
        push    dword %1
        iretd
%endmacro

main:
        PM_ENTER
        mov     edi, 0x600
        mov     ecx, 0x14
        xor     eax, eax
        rep stosd
        mov     dword [R_GP_VM], 0xffffffff
        mov     dword [R_VIF], 1
        mov     ebx, 13
        mov     eax, monitor
        mov     cx, 0x8e00
        call    set_gate
        mov     ebx, 0x33
        mov     eax, handler33
        mov     cx, 0xee00              ; DPL 3: INT 33h from vm86 at IOPL 3
        call    set_gate
        mov     dword [R_PHASE], 1
        ENTER_VM86 v86_phase1, VM_FLAG | 0x0002

phase2:
        mov     esp, 0x70000
        mov     dword [ss:R_PHASE], 2
        ENTER_VM86 v86_phase2, VM_FLAG | 0x3002

; The monitor: #GP from vm86. Frame: error code, EIP, CS, EFLAGS, ESP, SS, ES, DS, FS, GS.
monitor:
        push    eax
        push    ebx
        push    ecx
        inc     dword [ss:R_GP_COUNT]
        mov     eax, [esp + 12]
        or      [ss:R_GP_ERR], eax
        mov     eax, [esp + 24]
        and     [ss:R_GP_VM], eax
        movzx   ebx, word [esp + 20]    ; CS:IP -> linear
        shl     ebx, 4
        movzx   eax, word [esp + 16]
        add     ebx, eax
        movzx   eax, byte [ss:ebx]
        cmp     al, 0xfa
        je      .cli
        cmp     al, 0xfb
        je      .sti
        cmp     al, 0x9c
        je      .pushf
        cmp     al, 0x9d
        je      .popf
        cmp     al, 0xcd
        je      .int
        cmp     al, 0xf4
        je      .hlt
        mov     [ss:R_BAD], eax
        jmp     pm_leave
.cli:
        inc     dword [ss:R_CLI]
        mov     dword [ss:R_VIF], 0
        jmp     .next1
.sti:
        inc     dword [ss:R_STI]
        mov     dword [ss:R_VIF], 1
        jmp     .next1
.pushf:
        inc     dword [ss:R_PUSHF]
        mov     eax, [esp + 24]         ; FLAGS with the virtual IF
        and     eax, 0xfdff
        cmp     dword [ss:R_VIF], 0
        je      .pushf_store
        or      eax, 0x200
.pushf_store:
        sub     word [esp + 28], 2      ; the vm86 SP
        movzx   ebx, word [esp + 32]
        shl     ebx, 4
        movzx   ecx, word [esp + 28]
        mov     [ss:ebx + ecx], ax
        jmp     .next1
.popf:
        inc     dword [ss:R_POPF]
        movzx   ebx, word [esp + 32]
        shl     ebx, 4
        movzx   ecx, word [esp + 28]
        movzx   eax, word [ss:ebx + ecx]
        add     word [esp + 28], 2
        and     eax, 0x200
        shr     eax, 9
        mov     [ss:R_VIF], eax
        jmp     .next1
.int:
        inc     dword [ss:R_INT10]
        cmp     byte [ss:ebx + 1], 0x10
        jne     .bad_int
        mov     eax, [esp + 8]          ; the program's EAX: AL the character
        mov     ebx, [ss:R_INT10]
        mov     [ss:R_TTY + ebx - 1], al
        add     dword [esp + 16], 2
        jmp     .back
.bad_int:
        mov     dword [ss:R_BAD], 0xcd
        jmp     pm_leave
.hlt:
        cmp     dword [ss:R_PHASE], 1
        je      phase2
        jmp     pm_leave                ; the end of phase 2
.next1:
        inc     dword [esp + 16]
.back:
        pop     ecx
        pop     ebx
        pop     eax
        add     esp, 4                  ; the error code
        iretd

; INT 33h from vm86 at IOPL 3. Frame: EIP, CS, EFLAGS, ESP, SS, ES, DS, FS, GS.
handler33:
        mov     eax, [esp + 8]
        mov     [ss:R_H33_FL], eax
        mov     eax, [esp + 4]
        mov     [ss:R_H33_CS], eax
        mov     eax, [esp + 20]
        mov     [ss:R_H33_ES], eax
        mov     ax, ds
        mov     [ss:R_H33_DS], ax
        mov     eax, 0x3343
        iretd

        bits    16
v86_phase1:
        cli
        sti
        mov     ax, 0x0e41
        int     0x10
        mov     al, 'B'
        int     0x10
        pushf
        pop     bx
        mov     [R_BX1], bx
        push    word 0
        popf                            ; virtual IF cleared
        mov     al, 'C'
        int     0x10
        hlt

v86_phase2:
        cli
        sti
        pushf
        pop     bx
        mov     [R_BX3], bx
        mov     ax, 0x1234
        mov     es, ax
        int     0x33
        mov     [R_AX33], ax
        hlt

back_to_real:
        EXPECT32 dword [R_BAD], 0, "the monitor met only the instructions it emulates"
        EXPECT32 dword [R_GP_COUNT], 9, "nine #GPs from vm86 (eight in phase 1, the HLT of phase 2)"
        EXPECT32 dword [R_GP_ERR], 0, "every one #GP(0)"
        EXPECT32 dword [R_GP_VM], VM_FLAG | 2, "every #GP frame has VM set"
        EXPECT32 dword [R_CLI], 1, "IOPL 0: CLI trapped"
        EXPECT32 dword [R_STI], 1, "IOPL 0: STI trapped"
        EXPECT32 dword [R_PUSHF], 1, "IOPL 0: PUSHF trapped"
        EXPECT32 dword [R_POPF], 1, "IOPL 0: POPF trapped"
        EXPECT32 dword [R_INT10], 3, "IOPL 0: INT 10h trapped three times"
        EXPECT32 dword [R_TTY], 0x00434241, "the emulated teletype got ABC"
        EXPECT16 word [R_BX1], 0x0202, "PUSHF (emulated) showed the virtual IF"
        EXPECT32 dword [R_VIF], 0, "POPF (emulated) cleared the virtual IF"
        EXPECT16 word [R_BX3], 0x3202, "IOPL 3: PUSHF ran natively (IOPL 3, IF from STI)"
        EXPECT32 dword [R_H33_FL], VM_FLAG | 0x3202, "INT 33h: the frame's EFLAGS have VM"
        EXPECT32 dword [R_H33_CS], 0, "INT 33h: the frame's CS is the vm86 one"
        EXPECT32 dword [R_H33_ES], 0x1234, "INT 33h: the frame holds the vm86 ES"
        EXPECT16 word [R_H33_DS], 0, "INT 33h: the handler runs with DS null"
        EXPECT16 word [R_AX33], 0x3343, "IRETD returned to vm86 with the handler's AX"
        SAY     "PASS vm86"
        jmp     finish

        PM_GDT
        PM_TABLES

%include "end.inc"
