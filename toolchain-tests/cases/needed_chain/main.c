#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

static const char *loaded(const char *name)
{
    void *h = dlopen(name, RTLD_NOW | RTLD_NOLOAD);
    if (h)
        dlclose(h); /* NOLOAD took a reference */
    return h ? "loaded" : "not loaded";
}

int main(void)
{
    printf("before: b %s, c %s\n", loaded("libchain_b.so"), loaded("libchain_c.so"));
    void *h = dlopen("libchain_a.so", RTLD_NOW);
    if (!h) {
        printf("dlopen failed\n");
        return 1;
    }
    printf("after dlopen(a): b %s, c %s\n", loaded("libchain_b.so"), loaded("libchain_c.so"));
    int (*step)(int) = (int (*)(int))dlsym(h, "chain_a_step");
    printf("chain_a_step(4) = %d\n", step(4));
    /* dlsym on a's handle also searches a's dependencies. */
    int (*c_step)(int) = (int (*)(int))dlsym(h, "chain_c_step");
    int *c_data = (int *)dlsym(h, "chain_c_data");
    printf("dlsym(a, chain_c_step): %s, dlsym(a, chain_c_data): %s\n", c_step ? "found" : "NULL",
           c_data ? "found" : "NULL");
    *c_data = 2000;
    printf("after chain_c_data = 2000: chain_a_step(4) = %d, chain_c_step(1) = %d\n", step(4), c_step(1));
    /* ... but not the other way round: c's handle does not see a. */
    void *hc = dlopen("libchain_c.so", RTLD_NOW | RTLD_NOLOAD);
    printf("dlsym(c, chain_a_only): %s\n", dlsym(hc, "chain_a_only") ? "found" : "NULL");
    dlerror();
    dlclose(hc);
    dlclose(h);
    printf("after dlclose(a): b %s, c %s\n", loaded("libchain_b.so"), loaded("libchain_c.so"));
    return 0;
}
