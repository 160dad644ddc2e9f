#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

int main(void)
{
    void *h1 = dlopen("libonce.so", RTLD_NOW);
    void *h2 = dlopen("libonce.so", RTLD_LAZY); /* a different mode does not make a new instance */
    if (!h1 || !h2)
        return 1;
    printf("handles: %s\n", h1 == h2 ? "same" : "different");
    int (*runs)(void) = (int (*)(void))dlsym(h1, "once_ctor_runs");
    int (*next1)(void) = (int (*)(void))dlsym(h1, "once_next");
    int (*next2)(void) = (int (*)(void))dlsym(h2, "once_next");
    printf("ctor runs: %d\n", runs());
    printf("functions: %s\n", next1 == next2 ? "same" : "different");
    int a = next1();
    int b = next2();
    printf("next via h1: %d, via h2: %d\n", a, b);
    printf("first dlclose: %d\n", dlclose(h1));
    printf("still usable: next %d, ctor runs %d\n", next2(), runs());
    printf("still loaded: %s\n", dlopen("libonce.so", RTLD_NOW | RTLD_NOLOAD) == h2 ? "yes" : "no");
    dlclose(h2); /* the NOLOAD reference */
    printf("second dlclose\n");
    dlclose(h2);
    printf("loaded after second dlclose: %s\n", dlopen("libonce.so", RTLD_NOW | RTLD_NOLOAD) ? "yes" : "no");
    return 0;
}
