#define _GNU_SOURCE
#include <dlfcn.h>

void *sm_default(const char *name)
{
    void *p = dlsym(RTLD_DEFAULT, name);
    return p;
}
