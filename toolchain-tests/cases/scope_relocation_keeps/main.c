#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

/* glibc's reldep tests: a library whose relocations were resolved to a GLOBAL library's
 * symbols depends on it, whatever kind of relocation it was (data address, function pointer
 * in data, not only calls): closing the provider's handle keeps it loaded until the user
 * goes. */

static int loaded(const char *name)
{
    void *h = dlopen(name, RTLD_NOW | RTLD_NOLOAD);
    if (h)
        dlclose(h);
    return h != NULL;
}

static int run(const char *user, const char *fn)
{
    void *prov = dlopen("librkprov.so", RTLD_NOW | RTLD_GLOBAL);
    void *h = dlopen(user, RTLD_NOW);
    if (!prov || !h) {
        printf("dlopen failed\n");
        return 1;
    }
    int (*f)(void) = (int (*)(void))dlsym(h, fn);
    printf("%s: %s() = %d\n", user, fn, f());
    printf("closing librkprov's handle\n");
    dlclose(prov);
    printf("librkprov still loaded: %s\n", loaded("librkprov.so") ? "yes" : "no");
    printf("%s: %s() = %d\n", user, fn, f());
    printf("closing %s\n", user);
    dlclose(h);
    printf("librkprov still loaded: %s\n", loaded("librkprov.so") ? "yes" : "no");
    return 0;
}

int main(void)
{
    if (run("librkdata.so", "rkdata_read"))
        return 1;
    if (run("librkfn.so", "rkfn_call"))
        return 1;
    return 0;
}
