/* RTLD_NEXT from a library: glibc searches the library's root scope, which ends with libc.so,
 * and never the program (it comes before the library). */
#define _GNU_SOURCE
#include <dlfcn.h>

/* Not `return dlsym(...)`: glibc finds dlsym's caller from its return address, and a tail call
 * at -O2 would make that the program's. */
void *nxl_next(const char *name)
{
    void *p = dlsym(RTLD_NEXT, name);
    dlerror();
    return p;
}

void *nxl_default(const char *name)
{
    void *p = dlsym(RTLD_DEFAULT, name);
    dlerror();
    return p;
}
