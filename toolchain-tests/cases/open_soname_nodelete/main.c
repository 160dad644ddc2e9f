#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

int main(void)
{
    /* A loaded library answers to its SONAME too. */
    void *x = dlopen("libsnx.so", RTLD_NOW);
    if (!x)
        return 1;
    void *by_soname = dlopen("libsnx.so.1", RTLD_NOW | RTLD_NOLOAD);
    printf("dlopen(libsnx.so.1, NOLOAD) is libsnx.so: %s\n", by_soname == x ? "yes" : "no");
    if (by_soname)
        dlclose(by_soname);
    dlclose(x);
    printf("after dlclose, by SONAME: %s\n", dlopen("libsnx.so.1", RTLD_NOW | RTLD_NOLOAD) ? "loaded" : "not loaded");

    /* -z nodelete: dlclose keeps it and its state; its destructor runs at exit. */
    printf("dlopen(libsnpin)\n");
    void *pin = dlopen("libsnpin.so", RTLD_NOW);
    if (!pin)
        return 1;
    int (*count)(void) = (int (*)(void))dlsym(pin, "snpin_count");
    printf("snpin_count() = %d\n", count());
    printf("dlclose(libsnpin)\n");
    dlclose(pin);
    pin = dlopen("libsnpin.so", RTLD_NOW | RTLD_NOLOAD);
    printf("still loaded: %s\n", pin ? "yes" : "no");
    if (pin)
        printf("snpin_count() = %d\n", ((int (*)(void))dlsym(pin, "snpin_count"))());
    printf("exit\n");
    return 0;
}
