#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

/* The GNU extensions of <dlfcn.h> that a portable program may use: dlmopen in the base
 * namespace, dlvsym on a library without symbol versions, dlinfo(RTLD_DI_LMID),
 * RTLD_DEEPBIND (with nothing to interpose), RTLD_BINDING_MASK. */
int main(void)
{
    void *h = dlmopen(LM_ID_BASE, "libgnu.so", RTLD_NOW);
    if (!h) {
        printf("dlmopen failed: %s\n", dlerror());
        return 1;
    }
    int (*f)(void) = (int (*)(void))dlvsym(h, "gnu_value", "ANY_VERSION_1.0");
    printf("dlvsym: %d, same as dlsym: %s\n", f ? f() : -1,
           (void *)f == dlsym(h, "gnu_value") ? "yes" : "no");
    Lmid_t lmid = -5;
    int rc = dlinfo(h, RTLD_DI_LMID, &lmid);
    printf("dlinfo(RTLD_DI_LMID): %d, lmid %ld\n", rc, (long)lmid);
    void *again = dlopen("libgnu.so", RTLD_NOW | RTLD_NOLOAD);
    printf("dlmopen gave the library dlopen knows: %s\n", again == h ? "yes" : "no");
    void *deep = dlopen("libgnu.so", RTLD_LAZY | RTLD_DEEPBIND);
    int *d = deep ? (int *)dlsym(deep, "gnu_data") : NULL;
    printf("RTLD_DEEPBIND: %s, gnu_data %d\n", deep ? "loaded" : "NULL", d ? *d : -1);
    printf("RTLD_BINDING_MASK covers LAZY and NOW: %s\n",
           (RTLD_BINDING_MASK & RTLD_LAZY) && (RTLD_BINDING_MASK & RTLD_NOW) ? "yes" : "no");
    dlclose(deep);
    dlclose(again);
    dlclose(h);
    return 0;
}
