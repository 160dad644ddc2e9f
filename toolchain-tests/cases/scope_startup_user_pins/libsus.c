#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
__attribute__((destructor)) static void fini(void) { printf("dtor sus\n"); }
/* Finds libsup's function through the global scope. */
int sus_call(void)
{
    int (*f)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "sup_value");
    int r = f ? f() * 10 : -1;
    return r;
}
