#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
__attribute__((destructor)) static void fini(void) { printf("dtor dnl\n"); }
/* Finds libdnp's function through the global scope. */
int dnl_lookup(void)
{
    int (*f)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "dnp_value");
    int r = f ? f() : -1;
    return r;
}
