#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

int main(void)
{
    void *outer = dlopen("libouter.so", RTLD_NOW);
    void *closed = dlopen("libclosed.so", RTLD_NOW);
    if (!outer || !closed) {
        printf("dlopen failed\n");
        return 1;
    }
    printf("closing libclosed\n");
    dlclose(closed);
    printf("main returns (libouter stays open)\n");
    return 0;
}
