#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

/* The same library, loaded again after its dependencies changed, binds to what is loaded now:
 * nothing of its previous load (bindings or data) survives a dlclose. */
static int round_with(const char *provider, const char *other)
{
    void *p = dlopen(provider, RTLD_NOW | RTLD_GLOBAL);
    if (!p) {
        printf("dlopen %s failed\n", provider);
        return 1;
    }
    void *u = dlopen("libuser.so", RTLD_NOW);
    if (!u) {
        printf("dlopen libuser.so failed\n");
        return 1;
    }
    int (*use)(void) = (int (*)(void))dlsym(u, "use");
    int first = use();
    int second = use();
    printf("with %s: %d then %d\n", provider, first, second);
    printf("%s still loaded: %s\n", other, dlopen(other, RTLD_NOW | RTLD_NOLOAD) ? "yes" : "no");
    dlerror();
    dlclose(u);
    dlclose(p);
    printf("libuser.so loaded after close: %s\n",
           dlopen("libuser.so", RTLD_NOW | RTLD_NOLOAD) ? "yes" : "no");
    dlerror();
    return 0;
}

int main(void)
{
    if (round_with("libprova.so", "libprovb.so") || round_with("libprovb.so", "libprova.so") ||
        round_with("libprova.so", "libprovb.so"))
        return 1;
    return 0;
}
