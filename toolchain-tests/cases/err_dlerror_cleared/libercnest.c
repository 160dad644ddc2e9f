#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

/* A failed lookup inside a constructor whose error nobody reads. */
__attribute__((constructor)) static void probe(void)
{
    void *p = dlsym(RTLD_DEFAULT, "erc_nobody_defines_this");
    printf("nest ctor: lookup %s\n", p ? "found" : "failed");
}

int ercnest_value(void) { return 3; }
