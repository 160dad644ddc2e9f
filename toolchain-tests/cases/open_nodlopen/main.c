#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

/* NetBSD's t_df_1_noopen and OpenBSD's df_1_noopen: a library linked with -z nodlopen cannot be
 * loaded by dlopen, neither by name nor as the dependency of a library dlopen loads (glibc:
 * "shared object cannot be dlopen()ed"; nothing stays loaded, no constructor runs), but the
 * program may be linked against one, and dlopen of it once loaded just gives its handle. */

int nolinked_value(void);

static void try_open(const char *name, const char *culprit)
{
    void *h = dlopen(name, RTLD_NOW);
    const char *err = dlerror();
    printf("dlopen(%s): %s", name, h ? "loaded" : "NULL");
    if (!h)
        printf(", dlerror names %s: %s, says it cannot be dlopen()ed: %s", culprit,
               err && strstr(err, culprit) ? "yes" : "no", err && strstr(err, "cannot be dlopen()ed") ? "yes" : "no");
    printf("\n");
    if (h)
        dlclose(h);
}

static const char *loaded(const char *name)
{
    void *h = dlopen(name, RTLD_NOW | RTLD_NOLOAD);
    dlerror();
    if (!h)
        return "no";
    dlclose(h);
    return "yes";
}

int main(void)
{
    printf("main: nolinked_value() = %d\n", nolinked_value());
    try_open("libnoopen.so", "libnoopen.so");
    printf("libnoopen loaded: %s\n", loaded("libnoopen.so"));
    try_open("libnoneeds.so", "libnoopen.so");
    printf("libnoneeds loaded: %s, libnoopen loaded: %s\n", loaded("libnoneeds.so"), loaded("libnoopen.so"));

    void *linked = dlopen("libnolinked.so", RTLD_NOW);
    printf("dlopen(libnolinked.so), loaded at start-up: %s\n", linked ? "handle" : "NULL");
    if (!linked)
        return 1;
    int (*value)(void) = (int (*)(void))dlsym(linked, "nolinked_value");
    printf("its nolinked_value is the program's: %s, = %d\n", value == nolinked_value ? "yes" : "no", value());
    dlclose(linked);

    void *plain = dlopen("libnoplain.so", RTLD_NOW);
    if (!plain)
        return 1;
    printf("noplain_value() = %d\n", ((int (*)(void))dlsym(plain, "noplain_value"))());
    dlclose(plain);
    try_open("./libnoopen.so", "libnoopen.so");
    return 0;
}
