#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

/* Its constructor dlopens a library that needs this one, while this one is still being
 * constructed: the nested dlopen finds it loaded and runs no second constructor. */
static int ready;
static void *child;

int npa_ready(void) { return ready; }

__attribute__((constructor)) static void init(void)
{
    printf("libnpa ctor begins\n");
    child = dlopen("libnpb.so", RTLD_NOW);
    printf("libnpa ctor: nested dlopen %s\n", child ? "ok" : "failed");
    if (child) {
        int (*probe)(void) = (int (*)(void))dlsym(child, "npb_probe");
        int v = probe();
        printf("libnpa ctor: npb_probe() = %d\n", v);
    }
    ready = 1;
    printf("libnpa ctor ends\n");
}

__attribute__((destructor)) static void fini(void) { printf("libnpa dtor\n"); }
