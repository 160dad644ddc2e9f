#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

static int is_loaded(const char *name)
{
    void *h = dlopen(name, RTLD_NOW | RTLD_NOLOAD);
    if (h)
        dlclose(h);
    return h != NULL;
}

#define SYM(h, type, name) ((type)dlsym(h, name))

int main(void)
{
    void *h = dlopen("libdtop.so", RTLD_NOW);
    if (!h) {
        printf("dlopen failed\n");
        return 1;
    }
    printf("libdbase constructed %d time(s)\n", SYM(h, int (*)(void), "dbase_runs")());
    printf("left saw base constructed: %s\n", SYM(h, int (*)(void), "dleft_saw_base")() ? "yes" : "no");
    printf("right saw base constructed: %s\n", SYM(h, int (*)(void), "dright_saw_base")() ? "yes" : "no");
    printf("top saw both sides constructed: %s\n", SYM(h, int (*)(void), "dtop_saw_sides")() ? "yes" : "no");
    int *l = SYM(h, int *(*)(void), "dleft_base_addr")();
    int *r = SYM(h, int *(*)(void), "dright_base_addr")();
    printf("left and right share one dbase_value: %s\n", l == r ? "same" : "different");
    printf("dlsym(top, dbase_value) is that one: %s\n", dlsym(h, "dbase_value") == (void *)l ? "same" : "different");
    int b1 = SYM(h, int (*)(void), "dleft_bump")();
    int b2 = SYM(h, int (*)(void), "dright_bump")();
    int b3 = SYM(h, int (*)(void), "dleft_bump")();
    printf("bumps: left %d, right %d, left %d\n", b1, b2, b3);
    dlclose(h);
    printf("after dlclose: top %d, left %d, right %d, base %d\n", is_loaded("libdtop.so"),
           is_loaded("libdleft.so"), is_loaded("libdright.so"), is_loaded("libdbase.so"));
    return 0;
}
