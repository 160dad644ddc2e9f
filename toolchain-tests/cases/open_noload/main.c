#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

int main(void)
{
    void *n = dlopen("libprobe.so", RTLD_NOW | RTLD_NOLOAD);
    /* NULL for a library that exists but is not loaded, with nothing for dlerror (glibc); a file
     * that does not exist is an error. */
    printf("NOLOAD before loading: %s (and no constructor ran), dlerror %s\n",
           n ? "non-NULL" : "NULL", dlerror() ? "set" : "NULL");
    n = dlopen("libnosuchfile.so", RTLD_NOW | RTLD_NOLOAD);
    printf("NOLOAD of a missing file: %s, dlerror %s\n", n ? "non-NULL" : "NULL",
           dlerror() ? "set" : "NULL");

    void *h = dlopen("libprobe.so", RTLD_NOW);
    if (!h)
        return 1;
    void *n2 = dlopen("libprobe.so", RTLD_NOW | RTLD_NOLOAD);
    printf("NOLOAD after loading: %s\n", n2 == h ? "the same handle" : "something else");
    printf("probe_value via NOLOAD handle: %d\n", ((int (*)(void))dlsym(n2, "probe_value"))());
    /* NOLOAD compares files, not names: another path to the same file finds it. */
    void *n3 = dlopen("./libprobe.so", RTLD_NOW | RTLD_NOLOAD);
    printf("NOLOAD by another path: %s\n", n3 == h ? "the same handle" : "something else");
    dlclose(n3);

    /* A successful NOLOAD counts as a reference: two dlcloses are needed now. */
    dlclose(h);
    printf("after one dlclose: %s\n", dlopen("libprobe.so", RTLD_NOW | RTLD_NOLOAD) ? "loaded" : "not loaded");
    dlclose(h); /* the reference just taken */
    dlclose(h);
    printf("after all dlcloses\n");
    printf("NOLOAD: %s\n", dlopen("libprobe.so", RTLD_NOW | RTLD_NOLOAD) ? "non-NULL" : "NULL");
    dlerror();
    return 0;
}
