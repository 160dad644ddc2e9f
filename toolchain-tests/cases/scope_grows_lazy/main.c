#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

typedef int (*intfn)(void);

int main(void)
{
    void *b = dlopen("libsgb.so", RTLD_LAZY | RTLD_LOCAL);
    void *e = dlopen("libsge.so", RTLD_LAZY | RTLD_LOCAL);
    printf("libsgb and libsge loaded: %s\n", b && e ? "yes" : "no");
    if (!b || !e)
        return 1;
    /* A later group that needs libsgb: libsgb's scope grows by that group's local scope. */
    void *c = dlopen("libsgc.so", RTLD_LAZY | RTLD_LOCAL);
    printf("libsgc loaded: %s\n", c ? "yes" : "no");
    if (!c)
        return 1;
    printf("sgb_later() = %d (libsgd's, through libsgc's scope)\n", ((intfn)dlsym(b, "sgb_later"))());
    printf("sgb_weak() = %d (a weak reference, bound late the same way)\n", ((intfn)dlsym(b, "sgb_weak"))());
    /* Promoting libsge to the global scope makes it visible to libsgb's lazy reference. */
    void *again = dlopen("libsge.so", RTLD_LAZY | RTLD_NOLOAD | RTLD_GLOBAL);
    printf("libsge promoted: %s\n", again == e ? "yes" : "no");
    printf("sgb_promoted() = %d\n", ((intfn)dlsym(b, "sgb_promoted"))());
    printf("libsgd still out of RTLD_DEFAULT: %s\n", dlsym(RTLD_DEFAULT, "sg_later") ? "no" : "yes");
    dlclose(again);
    dlclose(c);
    dlclose(e);
    dlclose(b);
    return 0;
}
