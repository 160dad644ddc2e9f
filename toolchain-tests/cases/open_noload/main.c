#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

int main(void)
{
    void *n = dlopen("libprobe.so", RTLD_NOW | RTLD_NOLOAD);
    /* Whether a failed NOLOAD sets a dlerror message differs (glibc: no, musl: yes): just clear it. */
    dlerror();
    printf("NOLOAD before loading: %s (and no constructor ran)\n", n ? "non-NULL" : "NULL");

    void *h = dlopen("libprobe.so", RTLD_NOW);
    if (!h)
        return 1;
    void *n2 = dlopen("libprobe.so", RTLD_NOW | RTLD_NOLOAD);
    printf("NOLOAD after loading: %s\n", n2 == h ? "the same handle" : "something else");
    printf("probe_value via NOLOAD handle: %d\n", ((int (*)(void))dlsym(n2, "probe_value"))());

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
