#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

static const char *loaded(const char *name)
{
    void *h = dlopen(name, RTLD_NOW | RTLD_NOLOAD);
    if (h)
        dlclose(h); /* NOLOAD took a reference */
    dlerror();
    return h ? "yes" : "no";
}

int main(void)
{
    /* RTLD_LAZY: the undefined function does not stop the load. */
    void *lazy = dlopen("liblazyuser.so", RTLD_LAZY);
    printf("dlopen(liblazyuser.so, RTLD_LAZY): %s\n", lazy ? "non-NULL" : "NULL");
    if (!lazy)
        return 1;
    int (*plain)(void) = (int (*)(void))dlsym(lazy, "lazy_plain");
    int (*call)(int) = (int (*)(int))dlsym(lazy, "lazy_call");
    printf("lazy_plain() = %d (lazy_call not called yet)\n", plain());

    /* RTLD_NOW: the same pattern fails, naming the missing function. */
    void *now = dlopen("libnowuser.so", RTLD_NOW);
    char *err = dlerror();
    printf("dlopen(libnowuser.so, RTLD_NOW): %s, dlerror %s, mentions now_provided: %s\n",
           now ? "non-NULL" : "NULL", err ? "non-NULL" : "NULL",
           err && strstr(err, "now_provided") ? "yes" : "no");
    printf("  libnowuser left loaded: %s\n", loaded("libnowuser.so"));

    void *prov = dlopen("liblazyprov.so", RTLD_LAZY | RTLD_GLOBAL);
    printf("dlopen(liblazyprov.so, RTLD_LAZY | RTLD_GLOBAL): %s\n", prov ? "non-NULL" : "NULL");
    if (!prov)
        return 1;
    /* The first call binds lazy_provided to the now-global provider. */
    printf("lazy_call(5) = %d\n", call(5));
    printf("lazy_call(6) = %d\n", call(6));

    /* With the provider in the global scope, RTLD_NOW succeeds too. */
    now = dlopen("libnowuser.so", RTLD_NOW);
    printf("dlopen(libnowuser.so, RTLD_NOW) again: %s\n", now ? "non-NULL" : "NULL");
    if (!now)
        return 1;
    printf("now_call(3) = %d\n", ((int (*)(int))dlsym(now, "now_call"))(3));

    dlclose(now);
    dlclose(lazy);
    dlclose(prov);
    printf("after dlclose: lazyuser %s, nowuser %s\n", loaded("liblazyuser.so"), loaded("libnowuser.so"));
    return 0;
}
