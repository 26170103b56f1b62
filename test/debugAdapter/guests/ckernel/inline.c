/* C kernel test guest: a function inlined into its caller (always_inline,
   so at -O0 too), shown as a frame of its own above the caller's. */
volatile int sink;

static inline __attribute__((always_inline)) int twice(int x)
{
    int t = x * 2 + sink; /* twice body */
    return t;
}

__attribute__((noinline)) int add3(int a)
{
    int r = twice(a) + 3; /* call twice */
    sink = r;
    return r;
}

int kmain(void)
{
    int v = add3(5); /* call add3 */
    sink = v;
    return v & 0x3f;
}
