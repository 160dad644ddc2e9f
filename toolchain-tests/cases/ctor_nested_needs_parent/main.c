#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

int main(void)
{
    void *a = dlopen("libnpa.so", RTLD_NOW);
    if (!a) {
        printf("dlopen failed\n");
        return 1;
    }
    printf("main: libnpa ready %d\n", ((int (*)(void))dlsym(a, "npa_ready"))());
    void *b = dlopen("libnpb.so", RTLD_NOW | RTLD_NOLOAD);
    printf("main: libnpb loaded: %s, npb_probe() = %d\n", b ? "yes" : "no",
           b ? ((int (*)(void))dlsym(b, "npb_probe"))() : -1);
    printf("main returns\n");
    return 0;
}
