#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

int main(void)
{
    printf("before dlopen\n");
    void *h = dlopen("libprio.so", RTLD_NOW);
    printf("after dlopen: %s\n", h ? "non-NULL" : "NULL");
    if (!h)
        return 1;
    printf("before dlclose\n");
    printf("dlclose: %d\n", dlclose(h));
    printf("after dlclose\n");
    return 0;
}
