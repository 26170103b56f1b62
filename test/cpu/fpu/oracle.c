/*
 * vmexit x87 oracle: executes x87 instructions on the host FPU.
 *
 * Built by the test with `gcc -m32 -O1 -no-pie` (see oracle.ts). Reads case
 * records on stdin and writes result records on stdout (layouts below, all
 * little-endian; they must match oracle.ts). For each case it loads the
 * whole x87 state with FRSTOR (a 108-byte 32-bit protected-mode image: the
 * control, status and tag words and ST(0)..ST(7)), EAX and EFLAGS, a
 * 112-byte data window at DATA_ADDR, copies the instruction bytes into an
 * executable page followed by a jump back, runs them, and takes the state
 * back with FNSAVE (non-waiting, so an unmasked exception left pending by
 * the instruction is recorded, not raised), with EAX, EFLAGS and the window.
 * A fault (SIGFPE for an exception raised by a waiting instruction in the
 * case, SIGSEGV, SIGILL) is reported in the status word, and so is a case
 * whose two runs differed (see main).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define DATA_ADDR 0x00200000u
#define CODE_ADDR 0x00300000u
#define WINDOW 112

/* Input record: 256 bytes. */
struct in_rec {
  uint8_t code[16];
  uint32_t len;
  uint32_t eflags;
  uint32_t eax;
  uint32_t pad0;
  uint8_t fpu[108];
  uint8_t pad1[4];
  uint8_t mem[WINDOW];
};

/* Output record: 256 bytes. */
struct out_rec {
  uint32_t status; /* 0 ok, else the signal number */
  uint32_t eflags;
  uint32_t eax;
  uint32_t pad0;
  uint8_t fpu[108];
  uint8_t pad1[4];
  uint8_t mem[WINDOW];
  uint8_t pad2[16];
};

_Static_assert(sizeof(struct in_rec) == 256, "in_rec");
_Static_assert(sizeof(struct out_rec) == 256, "out_rec");

/* Shared with the stub below (absolute addresses: the binary is not PIE). */
uint8_t in_fpu[108], out_fpu[108];
uint32_t in_eax, in_flags, out_eax, out_flags, saved_esp, exec_ptr = CODE_ADDR;

void run_case(void);
void run_resume(void);
uint32_t resume_ptr = (uint32_t)run_resume;
__asm__(
    ".text\n"
    ".globl run_case\n"
    "run_case:\n"
    "  pushal\n"
    "  movl %esp, saved_esp\n"
    "  frstor in_fpu\n"
    "  pushl in_flags\n"
    "  popfl\n"
    "  movl in_eax, %eax\n"
    "  jmp *exec_ptr\n"
    ".globl run_resume\n"
    "run_resume:\n"
    "  fnsave out_fpu\n"
    "  movl %eax, out_eax\n"
    "  pushfl\n"
    "  popl out_flags\n"
    "  movl saved_esp, %esp\n"
    "  cld\n"
    "  popal\n"
    "  ret\n");

static sigjmp_buf fault_jmp;
static volatile int fault_sig;

static void on_fault(int sig) {
  __asm__ volatile("fnsave out_fpu\n cld" ::: "memory");
  fault_sig = sig;
  siglongjmp(fault_jmp, 1);
}

int main(void) {
  uint8_t *data = mmap((void *)DATA_ADDR, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  uint8_t *code = mmap((void *)CODE_ADDR, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (data != (uint8_t *)DATA_ADDR || code != (uint8_t *)CODE_ADDR) {
    fprintf(stderr, "x87 oracle: cannot map the data/code pages at %#x/%#x\n", DATA_ADDR, CODE_ADDR);
    return 2;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_fault;
  sa.sa_flags = SA_NODEFER;
  sigaction(SIGSEGV, &sa, NULL);
  sigaction(SIGBUS, &sa, NULL);
  sigaction(SIGFPE, &sa, NULL);
  sigaction(SIGILL, &sa, NULL);

  static struct in_rec in;
  static struct out_rec out;
  setvbuf(stdout, NULL, _IOFBF, 1 << 20);
  while (fread(&in, sizeof in, 1, stdin) == 1) {
    memcpy(in_fpu, in.fpu, sizeof in_fpu);
    in_eax = in.eax;
    in_flags = in.eflags;
    memcpy(code, in.code, in.len);
    /* jmp *resume_ptr */
    code[in.len] = 0xff;
    code[in.len + 1] = 0x25;
    uint32_t slot = (uint32_t)&resume_ptr;
    memcpy(code + in.len + 2, &slot, 4);
    /*
     * Every case runs twice from the same state and the second result is
     * kept, as in the native oracle: the first run of freshly written code
     * is not always right on every host (an AMD EPYC was seen to leave the
     * last instruction pointer unrecorded once in thousands of cases).
     * Results that differ are flagged (status bit 8).
     */
    static struct out_rec first;
    for (int pass = 0; pass < 2; pass++) {
      memcpy(data, in.mem, WINDOW);
      memset(&out, 0, sizeof out);
      fault_sig = 0;
      if (sigsetjmp(fault_jmp, 1) == 0) run_case();
      out.status = fault_sig;
      out.eax = out_eax;
      out.eflags = out_flags;
      memcpy(out.fpu, out_fpu, sizeof out.fpu);
      memcpy(out.mem, data, WINDOW);
      __asm__ volatile("fninit");
      if (pass == 0) first = out;
    }
    if (memcmp(&first, &out, sizeof out) != 0) out.status |= 0x100;
    if (fwrite(&out, sizeof out, 1, stdout) != 1) return 3;
  }
  fflush(stdout);
  return 0;
}
