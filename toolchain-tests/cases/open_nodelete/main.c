#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

int main(void)
{
    /* Opened with RTLD_NODELETE: dlclose does not unload it, its state survives. */
    void *h = dlopen("libpersist.so", RTLD_NOW | RTLD_NODELETE);
    if (!h)
        return 1;
    *(int *)dlsym(h, "persist_counter") = 5;
    printf("dlclose libpersist: %d\n", dlclose(h));
    void *again = dlopen("libpersist.so", RTLD_NOW | RTLD_NOLOAD);
    printf("still loaded: %s\n", again ? "yes" : "no");
    if (!again)
        return 1;
    printf("counter %d, ctor runs %d\n", *(int *)dlsym(again, "persist_counter"),
           ((int (*)(void))dlsym(again, "persist_ctor_runs"))());
    dlclose(again);

    /* Made NODELETE afterwards, by a NOLOAD re-open. */
    void *p = dlopen("libpromoted.so", RTLD_NOW);
    if (!p)
        return 1;
    *(int *)dlsym(p, "promoted_counter") = 9;
    void *p2 = dlopen("libpromoted.so", RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
    printf("promotion handle: %s\n", p2 == p ? "same" : "different");
    dlclose(p2);
    dlclose(p);
    void *p3 = dlopen("libpromoted.so", RTLD_NOW);
    printf("libpromoted after closing everything and reopening: counter %d, ctor runs %d\n",
           *(int *)dlsym(p3, "promoted_counter"), ((int (*)(void))dlsym(p3, "promoted_ctor_runs"))());
    dlclose(p3);
    /* Closing a library that can never be unloaded succeeds, however often, and sets no error. */
    int extra = dlclose(p3) | dlclose(p3) | dlclose(p);
    printf("more dlcloses of libpromoted: %d, dlerror %s\n", extra, dlerror() ? "set" : "NULL");
    printf("main returns\n");
    return 0;
}
