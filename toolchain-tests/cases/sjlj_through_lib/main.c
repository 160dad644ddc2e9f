#define _GNU_SOURCE
#include <dlfcn.h>
#include <setjmp.h>
#include <stdio.h>

/* The program's setjmp, a call into a side module, the side module calls back into the
 * program, which longjmps: the jump passes through the library's frames (which do not
 * finish). Then the reverse: the library's setjmp, a call into the program, which calls the
 * library's longjmp: back through the program's frames. */
static jmp_buf outer;
static int callbacks;
static void (*escape)(int);

static void call_escape(int v)
{
    callbacks++;
    escape(v);
    printf("not reached\n");
}

static void bail_out(int why)
{
    callbacks++;
    longjmp(outer, why);
}

int main(void)
{
    void *h = dlopen("libvisit.so", RTLD_NOW);
    if (!h) {
        printf("dlopen failed\n");
        return 1;
    }
    int (*visit)(int, void (*)(int)) = (int (*)(int, void (*)(int)))dlsym(h, "visit");
    int (*finished)(void) = (int (*)(void))dlsym(h, "finished");
    int (*guarded)(void (*)(int)) = (int (*)(void (*)(int)))dlsym(h, "guarded");
    escape = (void (*)(int))dlsym(h, "escape");

    int got = setjmp(outer);
    if (got == 0) {
        visit(5, bail_out);
        printf("not reached\n");
        return 1;
    }
    printf("jumped out with %d; the library finished %d visits\n", got, finished());

    /* The library's setjmp catches its own longjmp, called from the program. */
    printf("guarded returned %d\n", guarded(call_escape));
    printf("%d callbacks\n", callbacks);
    dlclose(h);
    return 0;
}
