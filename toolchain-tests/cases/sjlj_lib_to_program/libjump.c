#include <setjmp.h>

static int reached;

int depth_reached(void) { return reached; }

static void descend(jmp_buf to, int depth, int value)
{
    reached++;
    if (depth <= 1)
        longjmp(to, value);
    descend(to, depth - 1, value);
}

void jump_after(jmp_buf to, int depth, int value)
{
    reached = 0;
    descend(to, depth, value);
}
