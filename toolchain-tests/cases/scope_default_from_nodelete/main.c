/* dlsym(RTLD_DEFAULT) from a NODELETE library that finds a symbol in another library makes
 * that library a dependency of the caller (glibc's add_dependency records it: only a lookup by
 * the program, or by one of its own libraries, pins the provider instead). The provider stays
 * loaded after its dlclose, and at exit the caller is finalized before it. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

int main(void)
{
    void *p = dlopen("libdnp.so", RTLD_NOW | RTLD_GLOBAL);
    void *n = dlopen("libdnl.so", RTLD_NOW | RTLD_NODELETE);
    if (!p || !n) {
        printf("dlopen failed\n");
        return 1;
    }
    int (*lookup)(void) = (int (*)(void))dlsym(n, "dnl_lookup");
    int value = lookup ? lookup() : -1;
    printf("dnl_lookup() = %d\n", value);
    printf("close dnp\n");
    dlclose(p);
    void *again = dlopen("libdnp.so", RTLD_NOW | RTLD_NOLOAD);
    printf("dnp still loaded: %s\n", again ? "yes" : "no");
    if (again)
        dlclose(again);
    printf("exit\n");
    return 0;
}
