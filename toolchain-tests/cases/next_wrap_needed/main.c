#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

int main(void)
{
    void *w = dlopen("libwrap.so", RTLD_NOW);
    void *r = dlopen("libreal.so", RTLD_NOW | RTLD_NOLOAD);
    if (!w || !r)
        return 1;
    int (*compute)(int) = (int (*)(int))dlsym(w, "nx_compute");
    printf("dlsym(libwrap, nx_compute) is libwrap's: %s\n", (void *)compute != dlsym(r, "nx_compute") ? "yes" : "no");
    int v = compute(21);
    printf("result: %d\n", v);
    void *(*wrap_next)(void) = (void *(*)(void))dlsym(w, "nx_wrap_next");
    void *(*real_next)(void) = (void *(*)(void))dlsym(r, "nx_real_next");
    printf("RTLD_NEXT from libwrap is libreal's nx_compute: %s\n", wrap_next() == dlsym(r, "nx_compute") ? "yes" : "no");
    printf("RTLD_NEXT from libreal: %s\n", real_next() ? "found" : "NULL");
    dlclose(r);
    dlclose(w);
    return 0;
}
