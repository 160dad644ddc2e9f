#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

static void try_open(const char *file, int mode, const char *symbol)
{
    void *h = dlopen(file, mode);
    char *err = dlerror();
    printf("dlopen(%s): %s, dlerror %s, mentions %s: %s\n", file, h ? "non-NULL" : "NULL",
           err ? "non-NULL" : "NULL", symbol, err && strstr(err, symbol) ? "yes" : "no");
    printf("  left loaded: %s\n", dlopen(file, RTLD_NOW | RTLD_NOLOAD) ? "yes" : "no");
    dlerror();
}

int main(void)
{
    /* RTLD_NOW: an undefined function fails the load. (With RTLD_LAZY glibc would defer it.) */
    try_open("libundeffn.so", RTLD_NOW, "undef_nowhere_fn");
    /* Data references are never lazy: RTLD_LAZY fails too. */
    try_open("libundefdata.so", RTLD_LAZY, "undef_nowhere_data");
    try_open("libundefdata.so", RTLD_NOW, "undef_nowhere_data");
    return 0;
}
