#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

static const char *mentions(const char *err, const char *what) { return err && strstr(err, what) ? "yes" : "no"; }

int main(void)
{
    void *h = dlopen("libhidden.so", RTLD_NOW | RTLD_LOCAL);
    if (!h)
        return 1;
    printf("dlsym(handle, hidden_fn): %s\n", dlsym(h, "hidden_fn") ? "found" : "NULL");

    void *d = dlsym(RTLD_DEFAULT, "hidden_fn");
    char *err = dlerror();
    printf("dlsym(RTLD_DEFAULT, hidden_fn): %s, dlerror %s, mentions symbol: %s\n", d ? "found" : "NULL",
           err ? "non-NULL" : "NULL", mentions(err, "hidden_fn"));
    void *self = dlopen(NULL, RTLD_NOW);
    printf("dlsym(dlopen(NULL), hidden_data): %s\n", dlsym(self, "hidden_data") ? "found" : "NULL");
    dlerror();

    void *c = dlopen("libneedshidden.so", RTLD_NOW);
    err = dlerror();
    printf("dlopen(libneedshidden.so): %s, dlerror %s, mentions a hidden symbol: %s\n", c ? "non-NULL" : "NULL",
           err ? "non-NULL" : "NULL", strstr(err ? err : "", "hidden_") ? "yes" : "no");
    printf("left loaded after the failure: %s\n", dlopen("libneedshidden.so", RTLD_NOW | RTLD_NOLOAD) ? "yes" : "no");
    dlerror();

    /* Promote libhidden to the global scope. */
    void *g = dlopen("libhidden.so", RTLD_NOW | RTLD_NOLOAD | RTLD_GLOBAL);
    printf("promotion returns the same handle: %s\n", g == h ? "yes" : "no");
    printf("dlsym(RTLD_DEFAULT, hidden_fn) now: %s\n", dlsym(RTLD_DEFAULT, "hidden_fn") == dlsym(h, "hidden_fn") ? "same as the handle's" : "wrong");
    c = dlopen("libneedshidden.so", RTLD_NOW);
    printf("dlopen(libneedshidden.so) now: %s\n", c ? "non-NULL" : "NULL");
    if (!c)
        return 1;
    printf("consumer_call() = %d\n", ((int (*)(void))dlsym(c, "consumer_call"))());
    dlclose(c);
    dlclose(g);
    dlclose(h);
    dlclose(self);
    return 0;
}
