/* dlerror state is one per thread, shared by the program and its libraries. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <string.h>

int fine_fn(void) { return 1; }
int fine_try_open(const char *name) { return dlopen(name, RTLD_NOW) != NULL; }
/* 1 if there is a pending error mentioning WHAT, 0 if it does not, -1 if there is none. */
int fine_error_mentions(const char *what)
{
    char *e = dlerror();
    return e ? strstr(e, what) != NULL : -1;
}
