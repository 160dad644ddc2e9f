#define _GNU_SOURCE
#include <dlfcn.h>

const char *nf_name(void) { return "libnfreal"; }

/* Nothing after libnfreal in the global scope defines nf_name. */
void *nf_real_next(void)
{
    void *p = dlsym(RTLD_NEXT, "nf_name");
    dlerror();
    return p;
}
