#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

int main(void)
{
    void *h = dlopen("libclose.so", RTLD_NOW);
    if (!h)
        return 1;
    printf("dlclose\n");
    dlclose(h);
    printf("after dlclose\n");
    return 0;
}
