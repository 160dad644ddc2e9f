/* Opens libp.so in its constructor; closes it in its destructor, which runs at exit. */
#include <dlfcn.h>
#include <stdio.h>

static void *p;

__attribute__((constructor)) static void init(void)
{
    printf("liba: constructor\n");
    p = dlopen("libp.so", RTLD_NOW);
}

__attribute__((destructor)) static void fini(void)
{
    printf("liba: destructor begins\n");
    int r = dlclose(p);
    printf("liba: destructor closed libp.so: %d\n", r);
}
