#define _GNU_SOURCE
#include <dlfcn.h>
#include <setjmp.h>
#include <stdio.h>

/* A longjmp in a side module lands at a setjmp in the program: the library gets the program's
 * jmp_buf and jumps out of several of its own frames. */
static jmp_buf where;

int main(void)
{
    void *h = dlopen("libjump.so", RTLD_NOW);
    if (!h) {
        printf("dlopen failed\n");
        return 1;
    }
    void (*jump_after)(jmp_buf, int, int) = (void (*)(jmp_buf, int, int))dlsym(h, "jump_after");
    int (*depth_reached)(void) = (int (*)(void))dlsym(h, "depth_reached");
    volatile int rounds = 0;
    for (int value = 1; value <= 3; value++) {
        int got = setjmp(where);
        if (got == 0) {
            jump_after(where, 4 * value, value * 10);
            printf("not reached\n");
            return 1;
        }
        rounds++;
        printf("setjmp returned %d after %d library frames\n", got, depth_reached());
    }
    /* longjmp(.., 0) makes setjmp return 1. */
    int got = setjmp(where);
    if (got == 0)
        jump_after(where, 1, 0);
    printf("value 0 arrives as %d; %d rounds\n", got, rounds);
    dlclose(h);
    return 0;
}
