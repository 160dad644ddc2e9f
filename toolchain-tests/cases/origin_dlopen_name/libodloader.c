#define _GNU_SOURCE
#include <dlfcn.h>

/* $ORIGIN here is this library's directory (sub/), not the program's. */
int od_load_sibling(void)
{
    void *h = dlopen("$ORIGIN/libodsib.so", RTLD_NOW);
    if (!h)
        return -1;
    int v = ((int (*)(void))dlsym(h, "od_sib_value"))();
    void *again = dlopen("${ORIGIN}/libodsib.so", RTLD_NOW);
    if (again != h)
        v = -2;
    dlclose(again);
    dlclose(h);
    return v;
}
