/* C kernel test guest: a call chain kmain -> scale -> add whose frames the
   CFI unwinder must get right at every instruction (noinline keeps the
   frames at -O2; the work after each call keeps the calls from becoming
   tail jumps). */
struct point {
    int x;
    int y;
};

int counter = 7;
volatile int sink;

__attribute__((noinline)) int add(int a, int b)
{
    int sum = a + b; /* add body */
    counter += sum;
    return sum;
}

__attribute__((noinline)) int scale(struct point *p, int k)
{
    int r = add(p->x * k, p->y); /* call add */
    sink = r;
    return r * 3;
}

int kmain(void)
{
    struct point pt = { 3, 4 };
    int v = scale(&pt, 2); /* call scale */
    sink = v;
    return v & 0x3f;
}
