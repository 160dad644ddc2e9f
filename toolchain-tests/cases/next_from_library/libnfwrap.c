/* Interposes nf_name: opened RTLD_GLOBAL before libnfreal, it comes first in the global scope,
 * and finds libnfreal's definition with RTLD_NEXT: called directly, through a function pointer
 * to dlsym, and through a wrapper of its own. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

typedef const char *(*namefn)(void);
typedef void *(*symfn)(void *, const char *);
static char buf[64];

const char *nf_name(void)
{
    namefn next = (namefn)dlsym(RTLD_NEXT, "nf_name");
    snprintf(buf, sizeof buf, "libnfwrap -> %s", next ? next() : "nothing");
    return buf;
}

/* Not `return dlsym(...)`: glibc finds dlsym's caller from its return address, and a tail call
 * at -O2 would make that the program's. */
void *nf_wrap_next_direct(void)
{
    void *p = dlsym(RTLD_NEXT, "nf_name");
    dlerror();
    return p;
}

static symfn volatile lookup = dlsym;

void *nf_wrap_next_pointer(void)
{
    void *p = lookup(RTLD_NEXT, "nf_name");
    dlerror();
    return p;
}

static __attribute__((noinline)) void *find_next(const char *name)
{
    void *p = (dlsym)(RTLD_NEXT, name);
    dlerror();
    return p;
}

void *nf_wrap_next_wrapper(void)
{
    void *p = find_next("nf_name");
    return p;
}

/* A lookup helper the program calls: the caller is still libnfwrap. */
void *nf_lookup_next(const char *name)
{
    void *p = dlsym(RTLD_NEXT, name);
    dlerror();
    return p;
}
