#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

static void try_open(const char *name)
{
    void *h = dlopen(name, RTLD_NOW);
    char *err = dlerror();
    printf("dlopen(\"%s\"): %s, dlerror %s, mentions the file: %s\n", name, h ? "non-NULL" : "NULL",
           err ? "non-NULL" : "NULL", err && strstr(err, name) ? "yes" : "no");
}

int main(void)
{
    try_open("libjunk.so");
    try_open("libempty.so");
    printf("NOLOAD libjunk.so: %s\n", dlopen("libjunk.so", RTLD_NOW | RTLD_NOLOAD) ? "non-NULL" : "NULL");
    dlerror();
    void *h = dlopen("libgood.so", RTLD_NOW);
    printf("a good library afterwards: %s, good_fn() = %d\n", h ? "non-NULL" : "NULL",
           h ? ((int (*)(void))dlsym(h, "good_fn"))() : -1);
    try_open("libjunk.so");
    dlclose(h);
    return 0;
}
