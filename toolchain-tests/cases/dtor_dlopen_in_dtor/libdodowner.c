#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

/* Destructors that load, use and unload another library: at this library's dlclose and, for
 * a second copy of the logic, at exit. */
static void use_helper(const char *when)
{
    void *h = dlopen("libdodhelper.so", RTLD_NOW);
    if (!h) {
        printf("  %s: dlopen failed\n", when);
        return;
    }
    int (*call)(int) = (int (*)(int))dlsym(h, "dodhelper_call");
    int r = call(7);
    printf("  %s: dodhelper_call(7) = %d\n", when, r);
    /* And a lookup of this library's own symbol while it is being finalised. */
    void *own = dlsym(RTLD_DEFAULT, "dodowner_marker");
    printf("  %s: own symbol through RTLD_DEFAULT: %s\n", when, own ? "found" : "NULL");
    printf("  %s: dlclose helper: %d\n", when, dlclose(h));
}

int dodowner_marker = 1;

__attribute__((destructor)) static void fini(void)
{
    printf("libdodowner dtor\n");
    use_helper("dtor");
    printf("libdodowner dtor done\n");
}
