/* C kernel test guest: variables of every kind the debugger shows —
   locals in nested blocks, parameters, globals and file statics; base
   types, pointers, structures with bit fields, unions, multi-dimensional
   arrays, enums, typedefs, const/volatile, function pointers, char arrays
   and char pointers as strings. */
typedef unsigned int u32;

enum color { RED, GREEN = 5, BLUE };

struct flags {
    unsigned ready : 1;
    unsigned mode : 3;
    int level : 4;
};

struct point {
    int x;
    int y;
};

union word {
    u32 value;
    unsigned char bytes[4];
};

struct node {
    int value;
    struct node *next;
};

int counter = 7;
static const char *greeting = "hello";
char banner[16] = "vmexit";
int grid[2][3] = { { 1, 2, 3 }, { 4, 5, 6 } };
enum color paint = GREEN;
struct flags status = { 1, 5, -3 };
union word w = { 0x11223344 };
struct node second = { 2, 0 };
struct node first = { 1, &second };
int (*op)(int, int);
volatile int sink;
float gain = 0.5f;
double ratio = 1.25;
_Bool ready = 1;
long long big = -5000000000LL;
short small = -2;
unsigned char byte = 200;

__attribute__((noinline)) int add(int a, int b)
{
    int sum = a + b; /* add body */
    counter += sum;
    return sum;
}

__attribute__((noinline)) int walk(struct node *list, int limit)
{
    int total = 0;
    for (int i = 0; i < limit && list; i++) {
        int value = list->value; /* walk body */
        total = op(total, value); /* call add */
        list = list->next;
    }
    return total;
}

int kmain(void)
{
    struct point pt = { 3, 4 };
    char name[8] = "kern";
    u32 mask = 0xff;
    op = add;
    int v = walk(&first, 2); /* call walk */
    sink = v + pt.x + name[0] + (int)mask + paint + status.mode + w.bytes[0] + greeting[0] + (int)(gain * ratio) + ready + (int)big + small + byte;
    return v;
}
