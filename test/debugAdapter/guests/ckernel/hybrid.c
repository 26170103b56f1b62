/* C kernel test guest: C calls an assembly routine (guests/ckernel/
   helper.asm, no CFI) that calls C again; the stack crosses it. */
volatile int sink;
int asm_helper(int x);

__attribute__((noinline)) int leaf(int y)
{
    int z = y * 3; /* leaf body */
    sink = z;
    return z;
}

int kmain(void)
{
    int v = asm_helper(4); /* call helper */
    sink = v;
    return v & 0x3f;
}
