#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

/* A library opened by its path answers to that path (and to any name that leads to the same
 * file), not to its bare file name: with sub/libbn.so loaded and no libbn.so on the library
 * path, dlopen("libbn.so") fails as it did before (glibc compares the names it was opened by
 * and its SONAME, which it has none of). */

static void try_open(const char *name, int flags)
{
    void *h = dlopen(name, flags);
    const char *err = dlerror();
    printf("dlopen(%s%s): %s", name, flags & RTLD_NOLOAD ? ", NOLOAD" : "", h ? "loaded" : "NULL");
    if (!h && !(flags & RTLD_NOLOAD))
        printf(", names it: %s", err && strstr(err, name) ? "yes" : "no");
    printf("\n");
    if (h)
        dlclose(h);
}

int main(void)
{
    if (rename("libbn.so", "sub/libbn.so") != 0)
        return 1;
    try_open("libbn.so", RTLD_NOW);
    void *h = dlopen("sub/libbn.so", RTLD_NOW);
    if (!h)
        return 1;
    printf("bn_value() = %d\n", ((int (*)(void))dlsym(h, "bn_value"))());
    try_open("libbn.so", RTLD_NOW);
    try_open("libbn.so", RTLD_NOW | RTLD_NOLOAD);
    try_open("./sub/libbn.so", RTLD_NOW | RTLD_NOLOAD);
    try_open("sub/./libbn.so", RTLD_NOW);
    dlclose(h);
    return 0;
}
