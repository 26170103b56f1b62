; smp: the local APIC, the MP table and the application processors.
;
; The BSP checks CPUID (APIC present, initial APIC ID 0) and IA32_APIC_BASE
; (BSP, enabled, FEE00000h), finds the MP floating pointer and counts the
; processors of the MP configuration table, then in 32-bit protected mode
; (no firmware runs there, so nothing can undo the flat segments) enables
; its local APIC, runs the APIC timer one-shot and periodic, and wakes the
; APs with INIT-SIPI-SIPI to all excluding self. Each AP starts at 8000h in
; real mode, enters protected mode, compares its APIC ID register with its
; CPUID initial APIC ID, and checks in under a ticket lock (LOCK XADD):
; a bit in a bitmap, a count. Each then adds 1000 to a shared counter with
; LOCK INC. The BSP sends each AP an IPI; each AP's handler answers with an
; IPI back to the BSP. Back in real mode the BSP reports: the number of
; processors and of APs started, the AP IDs in order from the bitmap (the
; order APs ran in does not show), and the counts.
%include "boot.inc"

IDT        equ 0x6000                   ; 256 interrupt gates, shared by every CPU
AP_STACKS  equ 0x70000                  ; 1 KiB per AP, by APIC ID
BSP_STACK  equ 0x90000
APIC       equ 0xfee00000
APIC_ID    equ APIC + 0x20
APIC_VER   equ APIC + 0x30
APIC_TPR   equ APIC + 0x80
APIC_EOI   equ APIC + 0xb0
APIC_SVR   equ APIC + 0xf0
APIC_ICRLO equ APIC + 0x300
APIC_ICRHI equ APIC + 0x310
APIC_LVTT  equ APIC + 0x320
APIC_LINT0 equ APIC + 0x350
APIC_LINT1 equ APIC + 0x360
APIC_LVTE  equ APIC + 0x370
APIC_TICR  equ APIC + 0x380
APIC_TCCR  equ APIC + 0x390
APIC_TDCR  equ APIC + 0x3e0
V_TIMER    equ 0x40
V_REPLY    equ 0x41
V_PING     equ 0x50
V_SPURIOUS equ 0xff

main:
        jmp     bsp_main

        ; ---------------------------------------------------------- AP entry
        ; The Start-up IPI's vector 08h starts each AP at 0800:0000.
        times   0x8000 - 0x7c00 - ($ - $$) db 0
ap_entry:
        cli
        xor     ax, ax
        mov     ds, ax
        lgdt    [gdt_descriptor]
        mov     eax, cr0
        or      al, 1
        mov     cr0, eax
        jmp     dword 0x08:ap32

        bits    32
ap32:
        mov     ax, 0x10
        mov     ds, ax
        mov     es, ax
        mov     ss, ax
        mov     eax, 1
        cpuid
        shr     ebx, 24                  ; initial APIC ID
        mov     esp, ebx
        shl     esp, 10
        add     esp, AP_STACKS + 0x400
        mov     eax, [APIC_ID]
        shr     eax, 24
        cmp     eax, ebx
        je      .same_id
        lock inc dword [id_mismatches]
.same_id:
        lidt    [idt_descriptor]
        mov     dword [APIC_SVR], 0x100 | V_SPURIOUS
        mov     dword [APIC_TPR], 0
        ; Check in under a ticket lock.
        mov     eax, 1
        lock xadd [next_ticket], eax
.wait_turn:
        cmp     [now_serving], eax
        je      .my_turn
        pause
        jmp     .wait_turn
.my_turn:
        bts     [ap_bitmap], ebx
        inc     dword [ap_count]
        inc     dword [now_serving]      ; release: only the holder writes it
        ; A shared counter, 1000 atomic increments per AP.
        mov     ecx, 1000
.add:
        lock inc dword [shared_counter]
        loop    .add
        lock inc dword [aps_done]
        sti
.idle:
        hlt
        jmp     .idle

; An AP's IPI handler: count it, answer the BSP with an IPI, EOI.
ap_ping:
        push    eax
        lock inc dword [pings]
.busy:
        test    dword [APIC_ICRLO], 1 << 12  ; delivery status: wait while a send is pending
        jnz     .busy
        mov     dword [APIC_ICRHI], 0        ; to APIC ID 0, the BSP
        mov     dword [APIC_ICRLO], 0x4000 | V_REPLY
        mov     dword [APIC_EOI], 0
        pop     eax
        iretd

        ; ---------------------------------------------------------- BSP
        bits    16
bsp_main:
        cli
        ; CPUID leaf 1 and IA32_APIC_BASE.
        mov     eax, 1
        cpuid
        mov     [cpuid_edx], edx
        mov     [cpuid_ebx], ebx
        mov     ecx, 0x1b
        rdmsr
        mov     [apic_base], eax
        ; Mask the 8259s: the BIOS's real-mode handlers are no use in protected mode.
        in      al, 0x21
        mov     [pic_masks], al
        in      al, 0xa1
        mov     [pic_masks + 1], al
        mov     al, 0xff
        out     0x21, al
        out     0xa1, al
        mov     [real_sp], sp
        lgdt    [gdt_descriptor]
        mov     eax, cr0
        or      al, 1
        mov     cr0, eax
        jmp     dword 0x08:bsp32

        bits    32
bsp32:
        mov     ax, 0x10
        mov     ds, ax
        mov     es, ax
        mov     fs, ax
        mov     gs, ax
        mov     ss, ax
        mov     esp, BSP_STACK
        call    build_idt
        lidt    [idt_descriptor]
        call    find_mp_table

        ; The local APIC: software-enabled, LINT0 ExtINT (the 8259, for real mode later), LINT1 NMI.
        mov     eax, [APIC_ID]
        shr     eax, 24
        mov     [bsp_apic_id], eax
        mov     eax, [APIC_VER]
        mov     [apic_version], eax
        mov     dword [APIC_SVR], 0x100 | V_SPURIOUS
        mov     dword [APIC_TPR], 0
        mov     dword [APIC_LINT0], 0x700
        mov     dword [APIC_LINT1], 0x400
        mov     dword [APIC_LVTE], 0x10000 | 0xfe
        mov     dword [APIC_TDCR], 0x3   ; divide by 16
        sti

        ; One-shot: one interrupt, then the count stays at 0.
        mov     dword [APIC_LVTT], V_TIMER
        mov     dword [APIC_TICR], 5000
        mov     eax, 0
        call    wait_ticks_above
        mov     ecx, 2000                ; a while longer: no second interrupt
.settle:
        loop    .settle
        mov     eax, [timer_ticks]
        mov     [oneshot_ticks], eax
        mov     eax, [APIC_TCCR]
        mov     [oneshot_count], eax

        ; Periodic: three more interrupts; the handler stops the timer (a zero initial
        ; count) at the fourth, so a slow host cannot let a fifth in.
        mov     dword [stop_at], 4
        mov     dword [APIC_LVTT], 0x20000 | V_TIMER
        mov     dword [APIC_TICR], 100000  ; 1.6 ms
        mov     eax, 3
        call    wait_ticks_above
        mov     ecx, 2000                ; a while longer: stopped means stopped
.periodic_settle:
        loop    .periodic_settle
        mov     dword [APIC_LVTT], 0x10000 | V_TIMER
        mov     eax, [timer_ticks]
        mov     [periodic_ticks], eax

        ; INIT, then two Start-up IPIs (vector 08h), to all excluding self (MP spec B.4).
        mov     dword [APIC_ICRHI], 0
        mov     dword [APIC_ICRLO], 0x000c4500
        mov     eax, 625000              ; 10 ms
        call    delay
        mov     dword [APIC_ICRLO], 0x000c4608
        mov     eax, 12500               ; 200 us
        call    delay
        mov     dword [APIC_ICRLO], 0x000c4608
        mov     eax, 12500
        call    delay

        ; Wait (up to 1 s) for every AP of the MP table to check in and finish its additions.
        mov     ebx, [mp_processors]
        dec     ebx
        mov     esi, 1000
.wait_aps:
        cmp     [ap_count], ebx
        jne     .not_yet
        cmp     [aps_done], ebx
        je      .aps_in
.not_yet:
        mov     eax, 62500               ; 1 ms
        call    delay
        dec     esi
        jnz     .wait_aps
.aps_in:

        ; An IPI to each AP by its APIC ID, one at a time; each answers with one to the
        ; BSP (two answers pending at once would share one IRR bit).
        xor     ecx, ecx
        xor     ebx, ebx                 ; answers expected so far
.ping_next:
        bt      [ap_bitmap], ecx
        jnc     .ping_skip
        inc     ebx
        mov     eax, ecx
        shl     eax, 24
        mov     [APIC_ICRHI], eax
        mov     dword [APIC_ICRLO], 0x4000 | V_PING
        mov     esi, 100
.wait_reply:
        cmp     [replies], ebx
        je      .ping_skip
        mov     eax, 62500               ; 1 ms
        call    delay
        dec     esi
        jnz     .wait_reply
.ping_skip:
        inc     ecx
        cmp     ecx, 64
        jb      .ping_next
        cli

        ; Back to real mode.
        LEAVE_FLAT pm16

; delay: EAX APIC timer counts (divide by 16) in one-shot mode, halting until the interrupt.
delay:
        push    eax
        mov     eax, [timer_ticks]
        mov     [delay_mark], eax
        pop     eax
        mov     dword [APIC_LVTT], V_TIMER
        mov     [APIC_TICR], eax
        mov     eax, [delay_mark]
        ; fall through

; wait_ticks_above: halt until timer_ticks > EAX. The test runs with interrupts off and
; STI; HLT resumes them only at the HLT, so a tick cannot slip in between and be missed.
wait_ticks_above:
        cli
        cmp     [timer_ticks], eax
        ja      .done
        sti
        hlt
        jmp     wait_ticks_above
.done:
        sti
        ret

; build_idt: interrupt gates for the timer, the reply IPI, the ping IPI and the spurious vector.
build_idt:
        mov     edi, IDT
        mov     ecx, 256 * 2
        xor     eax, eax
        rep stosd
        mov     eax, bsp_timer
        mov     ebx, V_TIMER
        call    set_gate
        mov     eax, bsp_reply
        mov     ebx, V_REPLY
        call    set_gate
        mov     eax, ap_ping
        mov     ebx, V_PING
        call    set_gate
        mov     eax, spurious
        mov     ebx, V_SPURIOUS
        jmp     set_gate

; set_gate: EAX handler, EBX vector: a 32-bit interrupt gate in the IDT.
set_gate:
        mov     [IDT + ebx * 8], ax
        mov     word [IDT + ebx * 8 + 2], 0x08
        mov     word [IDT + ebx * 8 + 4], 0x8e00
        shr     eax, 16
        mov     [IDT + ebx * 8 + 6], ax
        ret

bsp_timer:
        push    eax
        inc     dword [timer_ticks]
        mov     eax, [timer_ticks]
        cmp     eax, [stop_at]
        jne     .eoi
        mov     dword [APIC_TICR], 0
.eoi:
        mov     dword [APIC_EOI], 0
        pop     eax
        iretd

bsp_reply:
        inc     dword [replies]
        mov     dword [APIC_EOI], 0
        iretd

spurious:
        inc     dword [spurious_count]   ; no EOI for the spurious vector
        iretd

; find_mp_table: the "_MP_" floating pointer on a 16-byte boundary in F0000-FFFFF with a
; zero checksum; from its "PCMP" table the enabled processors, the BSP flag, the IOAPIC
; address and the IOAPIC input of ISA IRQ0.
find_mp_table:
        mov     esi, 0xf0000
.scan:
        cmp     dword [esi], '_MP_'
        jne     .next
        push    esi
        mov     ecx, 16
        call    sum_bytes
        pop     esi
        test    al, al
        jz      .found
.next:
        add     esi, 16
        cmp     esi, 0x100000
        jb      .scan
        ret
.found:
        mov     dword [mp_found], 1
        mov     esi, [esi + 4]
        cmp     dword [esi], 'PCMP'
        jne     .done
        push    esi
        movzx   ecx, word [esi + 4]
        call    sum_bytes
        pop     esi
        movzx   eax, al
        mov     [mp_table_sum], eax
        movzx   ecx, word [esi + 34]     ; entry count
        add     esi, 44
.entry:
        test    ecx, ecx
        jz      .done
        dec     ecx
        movzx   eax, byte [esi]
        cmp     al, 0
        je      .processor
        cmp     al, 2
        je      .ioapic
        cmp     al, 3
        je      .ioint
        add     esi, 8
        jmp     .entry
.processor:
        test    byte [esi + 3], 1        ; enabled
        jz      .proc_next
        inc     dword [mp_processors]
        test    byte [esi + 3], 2        ; the bootstrap processor
        jz      .proc_next
        movzx   eax, byte [esi + 1]
        mov     [mp_bsp_id], eax
.proc_next:
        add     esi, 20
        jmp     .entry
.ioapic:
        mov     eax, [esi + 4]
        mov     [mp_ioapic_address], eax
        add     esi, 8
        jmp     .entry
.ioint:
        cmp     byte [esi + 5], 0        ; source bus IRQ 0
        jne     .ioint_next
        cmp     byte [esi + 1], 0        ; a vectored interrupt (not ExtINT)
        jne     .ioint_next
        movzx   eax, byte [esi + 7]
        mov     [mp_irq0_pin], eax
.ioint_next:
        add     esi, 8
        jmp     .entry
.done:
        ret

; sum_bytes: AL = the sum of ECX bytes at ESI.
sum_bytes:
        xor     eax, eax
.add:
        add     al, [esi]
        inc     esi
        loop    .add
        ret

        bits    16
pm16:
        REAL_MODE_AGAIN
        mov     sp, [real_sp]
        lidt    [ivt_descriptor]
        mov     al, [pic_masks]
        out     0x21, al
        mov     al, [pic_masks + 1]
        out     0xa1, al
        sti

        mov     eax, [cpuid_edx]
        test    eax, 1 << 9
        CHECK   nz, "CPUID.1:EDX.APIC"
        mov     eax, [cpuid_ebx]
        shr     eax, 24
        EXPECT32 eax, 0, "CPUID.1:EBX initial APIC ID of the BSP"
        mov     eax, [apic_base]
        and     eax, 0xfffff900
        EXPECT32 eax, 0xfee00900, "IA32_APIC_BASE: FEE00000h, enabled, BSP"
        EXPECT32 dword [bsp_apic_id], 0, "APIC ID register of the BSP"
        EXPECT32 dword [apic_version], 0x00050014, "APIC version 14h, six LVT entries"
        EXPECT32 dword [mp_found], 1, "MP floating pointer in F0000h-FFFFFh"
        EXPECT32 dword [mp_table_sum], 0, "MP configuration table checksum"
        EXPECT32 dword [mp_bsp_id], 0, "MP table: the BSP is APIC ID 0"
        EXPECT32 dword [mp_ioapic_address], 0xfec00000, "MP table: the IOAPIC at FEC00000h"
        EXPECT32 dword [mp_irq0_pin], 2, "MP table: ISA IRQ0 on IOAPIC input 2"
        EXPECT32 dword [oneshot_ticks], 1, "APIC timer one-shot: one interrupt"
        EXPECT32 dword [oneshot_count], 0, "APIC timer one-shot: the count stops at 0"
        EXPECT32 dword [periodic_ticks], 4, "APIC timer periodic: three more interrupts"
        EXPECT32 dword [spurious_count], 0, "no spurious interrupts"
        mov     si, msg_processors
        call    puts
        mov     al, [mp_processors]
        call    puthex8
        call    crlf
        mov     si, msg_started
        call    puts
        mov     al, [ap_count]
        call    puthex8
        call    crlf
        ; The AP IDs from the bitmap, in ascending order.
        mov     si, msg_ids
        call    puts
        xor     cx, cx
.id:
        bt      [ap_bitmap], cx
        jnc     .id_next
        mov     al, ' '
        call    putc
        mov     al, cl
        call    puthex8
.id_next:
        inc     cx
        cmp     cx, 64
        jb      .id
        call    crlf
        mov     eax, [mp_processors]
        dec     eax
        EXPECT32 dword [ap_count], eax, "every AP of the MP table started"
        EXPECT32 dword [id_mismatches], 0, "each AP's APIC ID register matches its CPUID initial APIC ID"
        mov     eax, [ap_count]
        imul    eax, eax, 1000
        EXPECT32 dword [shared_counter], eax, "LOCK INC from every AP: 1000 each"
        mov     eax, [ap_count]
        EXPECT32 dword [pings], eax, "an IPI reached each AP"
        EXPECT32 dword [replies], eax, "each AP's IPI reached the BSP"
        SAY     "PASS smp"
        jmp     finish

msg_processors: db "MP processors ", 0
msg_started:    db "APs started ", 0
msg_ids:        db "AP IDs", 0

        FLAT_GDT
idt_descriptor:
        dw      256 * 8 - 1
        dd      IDT

        align   4
cpuid_edx:          dd 0
cpuid_ebx:          dd 0
apic_base:          dd 0
bsp_apic_id:        dd 0xffffffff
apic_version:       dd 0
mp_found:           dd 0
mp_table_sum:       dd 0xff
mp_processors:      dd 0
mp_bsp_id:          dd 0xff
mp_ioapic_address:  dd 0
mp_irq0_pin:        dd 0xff
timer_ticks:        dd 0
stop_at:            dd 0
delay_mark:         dd 0
oneshot_ticks:      dd 0
oneshot_count:      dd 0xffffffff
periodic_ticks:     dd 0
spurious_count:     dd 0
next_ticket:        dd 0
now_serving:        dd 0
ap_count:           dd 0
aps_done:           dd 0
ap_bitmap:          dd 0, 0
id_mismatches:      dd 0
shared_counter:     dd 0
pings:              dd 0
replies:            dd 0
real_sp:            dw 0
pic_masks:          db 0, 0

%include "end.inc"
