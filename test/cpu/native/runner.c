/*
 * vmexit native oracle: executes x86 instructions on the host CPU.
 *
 * Built by the test with `gcc -m32 -O1 -no-pie` (see oracle.ts). Reads case
 * records on stdin and writes result records on stdout (layouts below, all
 * little-endian; they must match oracle.ts). For each case it loads the
 * general registers, the status flags and DF, a 64-byte data window at
 * DATA_ADDR, copies the instruction bytes into an executable page followed by
 * a jump back, jumps to them, and records the registers (ESP as seen by the
 * instruction), EFLAGS and the window afterwards. The instruction runs on the
 * host stack, or (for stack instructions) on a stack inside the window.
 *
 * FS and GS hold an LDT data segment (modify_ldt) whose base is DATA_ADDR and
 * whose limit is 4 GiB, so 16-bit address forms (which cannot reach a user
 * address otherwise) and FS/GS overrides run natively; ES is loaded with it
 * too when the case asks. A fault (SIGSEGV, SIGFPE, ...) is caught and
 * reported in the status word; the harness treats it as a generator bug.
 */
#define _GNU_SOURCE
#include <asm/ldt.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define DATA_ADDR 0x00200000u
#define CODE_ADDR 0x00300000u
#define WINDOW 64
#define LDT_SELECTOR 0x7 /* LDT entry 0, TI = 1, RPL = 3 */
#define STACK16_SELECTOR 0xf /* LDT entry 1: 16-bit stack segment based at the window */
#define DATA_MAP 0x11000 /* a 16-bit segment at DATA_ADDR reaches 64 KiB */

/* Input record: 128 bytes. */
struct in_rec {
  uint8_t code[15];
  uint8_t len;
  uint32_t regs[8]; /* EAX ECX EDX EBX ESP(ignored) EBP ESI EDI */
  uint32_t eflags;
  uint32_t options; /* bit 0: ES = the LDT segment; bit 1: SS:ESP from the case (flat SS); bit 2: with SS = a 16-bit segment at the window */
  uint8_t mem[WINDOW];
  uint8_t pad[8];
};

/* Output record: 112 bytes. */
struct out_rec {
  uint32_t regs[8];
  uint32_t eflags;
  uint32_t status; /* 0 ok, else the signal number; | 0x100 when the two runs differed */
  uint8_t mem[WINDOW];
  uint8_t pad[8];
};

_Static_assert(sizeof(struct in_rec) == 128, "in_rec");
_Static_assert(sizeof(struct out_rec) == 112, "out_rec");

/* Shared with the stub below (absolute addresses: the binary is not PIE). */
uint32_t in_regs[8], in_flags, out_regs[8], out_flags, exec_ptr = CODE_ADDR;
uint32_t saved_esp, es_sel, ldt_sel = LDT_SELECTOR, ss_sel, in_options;
uint16_t saved_gs, saved_fs, saved_es, saved_ss;

void run_case(void);
void run_resume(void);
uint32_t resume_ptr = (uint32_t)run_resume;
__asm__(
    ".text\n"
    ".globl run_case\n"
    "run_case:\n"
    "  pushal\n"
    "  movl %esp, saved_esp\n"
    "  movw %ss, saved_ss\n"
    "  movw %gs, saved_gs\n"
    "  movw %fs, saved_fs\n"
    "  movw %es, saved_es\n"
    "  movl ldt_sel, %eax\n"
    "  movw %ax, %fs\n"
    "  movw %ax, %gs\n"
    "  movl es_sel, %eax\n"
    "  movw %ax, %es\n"
    "  pushl in_flags\n"
    "  testl $2, in_options\n"
    "  jnz 1f\n"
    /* The instruction runs on the host stack. */
    "  movl in_regs+0, %eax\n"
    "  movl in_regs+4, %ecx\n"
    "  movl in_regs+8, %edx\n"
    "  movl in_regs+12, %ebx\n"
    "  movl in_regs+20, %ebp\n"
    "  movl in_regs+24, %esi\n"
    "  movl in_regs+28, %edi\n"
    "  popfl\n"
    "  jmp *exec_ptr\n"
    /* The instruction runs on a stack in the data window: SS:ESP from the case. */
    "1:\n"
    "  movl in_regs+0, %eax\n"
    "  movl in_regs+4, %ecx\n"
    "  movl in_regs+8, %edx\n"
    "  movl in_regs+12, %ebx\n"
    "  movl in_regs+20, %ebp\n"
    "  movl in_regs+24, %esi\n"
    "  movl in_regs+28, %edi\n"
    "  popfl\n"
    "  movw ss_sel, %ss\n"
    "  movl in_regs+16, %esp\n"
    "  jmp *exec_ptr\n"
    /* The code page ends with `jmp *resume_ptr`: no flag or stack is touched on the way back. */
    ".globl run_resume\n"
    "run_resume:\n"
    "  movl %esp, out_regs+16\n"
    "  movw saved_ss, %ss\n"
    "  movl saved_esp, %esp\n"
    "  pushfl\n"
    "  popl out_flags\n"
    "  movl %eax, out_regs+0\n"
    "  movl %ecx, out_regs+4\n"
    "  movl %edx, out_regs+8\n"
    "  movl %ebx, out_regs+12\n"
    "  movl %ebp, out_regs+20\n"
    "  movl %esi, out_regs+24\n"
    "  movl %edi, out_regs+28\n"
    "  cld\n"
    "  movw saved_es, %es\n"
    "  movw saved_fs, %fs\n"
    "  movw saved_gs, %gs\n"
    "  popal\n"
    "  ret\n");

static sigjmp_buf fault_jmp;
static volatile int fault_sig;

static void on_fault(int sig) {
  /* Back to the C runtime's segments before touching anything of libc. */
  /* SS was restored by the kernel (it loads the flat SS for the handler). */
  __asm__ volatile("movw saved_gs, %%gs\n movw saved_fs, %%fs\n movw saved_es, %%es\n cld" ::: "memory");
  fault_sig = sig;
  siglongjmp(fault_jmp, 1);
}

int main(void) {
  /* 64 KiB below the window too: ENTER probes the stack at its final ESP. */
  uint8_t *below = mmap((void *)(DATA_ADDR - 0x10000), 0x10000 + DATA_MAP, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  uint8_t *data = below + 0x10000;
  uint8_t *code = mmap((void *)CODE_ADDR, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (data != (uint8_t *)DATA_ADDR || code != (uint8_t *)CODE_ADDR) {
    fprintf(stderr, "native oracle: cannot map the data/code pages at %#x/%#x\n", DATA_ADDR, CODE_ADDR);
    return 2;
  }
  struct user_desc d;
  memset(&d, 0, sizeof d);
  d.entry_number = 0;
  d.base_addr = DATA_ADDR;
  d.limit = 0xfffff;
  d.seg_32bit = 1;
  d.contents = 0; /* data, expand-up */
  d.read_exec_only = 0;
  d.limit_in_pages = 1;
  d.seg_not_present = 0;
  d.useable = 1;
  if (syscall(SYS_modify_ldt, 1, &d, sizeof d) != 0) {
    perror("native oracle: modify_ldt (needed for FS/GS segments)");
    return 2;
  }
  d.entry_number = 1;
  d.limit = 0xffff;
  d.seg_32bit = 0;
  d.limit_in_pages = 0;
  if (syscall(SYS_modify_ldt, 1, &d, sizeof d) != 0) {
    perror("native oracle: modify_ldt (16-bit stack segment)");
    return 2;
  }
  /* A fault may hit with ESP in the data window: handle it on its own stack. */
  static uint8_t altstack[1 << 16];
  stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0 };
  sigaltstack(&ss, NULL);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_fault;
  sa.sa_flags = SA_NODEFER | SA_ONSTACK;
  sigaction(SIGSEGV, &sa, NULL);
  sigaction(SIGBUS, &sa, NULL);
  sigaction(SIGFPE, &sa, NULL);
  sigaction(SIGILL, &sa, NULL);
  sigaction(SIGTRAP, &sa, NULL);

  uint16_t ds;
  __asm__ volatile("movw %%ds, %0" : "=r"(ds));
  static struct in_rec in;
  static struct out_rec out;
  setvbuf(stdout, NULL, _IOFBF, 1 << 20);
  while (fread(&in, sizeof in, 1, stdin) == 1) {
    memcpy(in_regs, in.regs, sizeof in_regs);
    in_flags = in.eflags;
    es_sel = (in.options & 1) ? LDT_SELECTOR : ds;
    in_options = in.options;
    ss_sel = (in.options & 4) ? STACK16_SELECTOR : ds;
    memcpy(code, in.code, in.len);
    /* jmp *resume_ptr */
    code[in.len] = 0xff;
    code[in.len + 1] = 0x25;
    uint32_t slot = (uint32_t)&resume_ptr;
    memcpy(code + in.len + 2, &slot, 4);
    /*
     * Every case runs twice from the same state and the second result is
     * kept. The first run of freshly written code is not always right on
     * every host: an AMD EPYC running ENTER with a nesting level and an
     * overlapping frame was seen to give another result the first time.
     * Results that differ are flagged (status bit 8) for the report.
     */
    static struct out_rec first;
    for (int pass = 0; pass < 2; pass++) {
      memcpy(data, in.mem, WINDOW);
      memset(&out, 0, sizeof out);
      memset(out_regs, 0, sizeof out_regs);
      fault_sig = 0;
      if (sigsetjmp(fault_jmp, 1) == 0) {
        run_case();
      }
      out.status = fault_sig;
      memcpy(out.regs, out_regs, sizeof out.regs);
      out.eflags = out_flags;
      memcpy(out.mem, data, WINDOW);
      if (pass == 0) first = out;
    }
    if (memcmp(&first, &out, sizeof out) != 0) out.status |= 0x100;
    if (fwrite(&out, sizeof out, 1, stdout) != 1) return 3;
  }
  fflush(stdout);
  return 0;
}
