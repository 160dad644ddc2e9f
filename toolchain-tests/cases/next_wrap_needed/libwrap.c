/* Interposes nx_compute of its dependency libreal and forwards to it with RTLD_NEXT. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

typedef int (*computefn)(int);

int nx_compute(int x)
{
    computefn real = (computefn)dlsym(RTLD_NEXT, "nx_compute");
    printf("wrap: nx_compute(%d)\n", x);
    return real ? real(x) + 1000 : -1;
}

/* Not `return dlsym(...)`: glibc finds the caller of dlsym from its return address, and a tail
 * call at -O2 would make that the program's. */
void *nx_wrap_next(void)
{
    void *p = dlsym(RTLD_NEXT, "nx_compute");
    dlerror();
    return p;
}
