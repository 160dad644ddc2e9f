#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

static void try_open(const char *name)
{
    void *h = dlopen(name, RTLD_NOW);
    char *err = dlerror();
    printf("dlopen(\"%s\"): %s\n", name, h ? "non-NULL" : "NULL");
    printf("  dlerror: %s, mentions the file: %s\n", err ? "non-NULL" : "NULL",
           err && strstr(err, strrchr(name, '/') ? strrchr(name, '/') + 1 : name) ? "yes" : "no");
    printf("  dlerror again: %s\n", dlerror() ? "non-NULL" : "NULL");
}

int main(void)
{
    try_open("libdoesnotexist.so");
    try_open("./libalsomissing.so");
    try_open("nosuchdir/libinside.so");
    return 0;
}
