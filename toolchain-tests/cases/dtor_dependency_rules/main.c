#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

int main(void)
{
    /* A weak definition is not a dependency: closing the strong provider unloads it. */
    printf("dlopen(libdrstrong, GLOBAL), dlopen(libdrweak)\n");
    void *strong = dlopen("libdrstrong.so", RTLD_NOW | RTLD_GLOBAL);
    void *weak = dlopen("libdrweak.so", RTLD_NOW);
    if (!strong || !weak)
        return 1;
    printf("dlclose(libdrstrong)\n");
    dlclose(strong);
    printf("libdrstrong unloaded: %s\n", dlopen("libdrstrong.so", RTLD_NOW | RTLD_NOLOAD) ? "no" : "yes");

    /* A NODELETE provider gets no dependency: exit order stays load order. */
    printf("dlopen(libdrprov, NODELETE|GLOBAL), dlopen(libdruser)\n");
    void *prov = dlopen("libdrprov.so", RTLD_NOW | RTLD_GLOBAL | RTLD_NODELETE);
    void *user = dlopen("libdruser.so", RTLD_NOW);
    if (!prov || !user)
        return 1;
    printf("dr_use() = %d\n", ((int (*)(void))dlsym(user, "dr_use"))());

    /* A NEEDED cycle (libdrcya <-> libdrcyb, libdrcyb -> libdrcyd), then an unrelated library. */
    printf("dlopen(libdrcya)\n");
    void *a = dlopen("libdrcya.so", RTLD_NOW);
    printf("dlopen(libdrcyz)\n");
    void *z = dlopen("libdrcyz.so", RTLD_NOW);
    if (!a || !z)
        return 1;
    printf("dr_a(1) = %d\n", ((int (*)(int))dlsym(a, "dr_a"))(1));
    printf("exit\n");
    return 0;
}
