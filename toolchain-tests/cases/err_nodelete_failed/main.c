#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

/* glibc's nodelete2: RTLD_NODELETE on a dlopen that fails keeps nothing (no constructor, not
 * loaded afterwards); once it can load, NODELETE holds it past dlclose until exit. */
int main(void)
{
    void *h = dlopen("libndbad.so", RTLD_NOW | RTLD_NODELETE);
    const char *e = dlerror();
    printf("NODELETE dlopen with an undefined symbol: %s, names it: %s\n", h ? "handle" : "NULL",
           e && strstr(e, "nd_provided") ? "yes" : "no");
    printf("loaded afterwards: %s\n", dlopen("libndbad.so", RTLD_NOW | RTLD_NOLOAD) ? "yes" : "no");
    dlerror();
    void *prov = dlopen("libndprov.so", RTLD_NOW | RTLD_GLOBAL);
    h = dlopen("libndbad.so", RTLD_NOW | RTLD_NODELETE);
    printf("with the provider GLOBAL: %s\n", h ? "handle" : "NULL");
    if (!prov || !h)
        return 1;
    int (*call)(void) = (int (*)(void))dlsym(h, "ndbad_call");
    printf("ndbad_call() = %d\n", call());
    printf("dlclose: %d\n", dlclose(h));
    printf("loaded after dlclose: %s\n", dlopen("libndbad.so", RTLD_NOW | RTLD_NOLOAD) ? "yes" : "no");
    /* Its binding keeps the provider too. */
    dlclose(prov);
    printf("ndbad_call() = %d\n", call());
    printf("main returns\n");
    return 0;
}
