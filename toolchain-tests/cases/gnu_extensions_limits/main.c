#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

/* What wasi-dl refuses, and how: a new namespace for dlmopen, dlinfo requests other than
 * RTLD_DI_LMID. Each is a failure with a dlerror message; the library stays usable. */
int main(void)
{
    void *other = dlmopen(LM_ID_NEWLM, "libgnu.so", RTLD_NOW);
    printf("dlmopen(LM_ID_NEWLM): %s, dlerror: %s\n", other ? "handle" : "NULL", dlerror());
    void *h = dlopen("libgnu.so", RTLD_NOW);
    if (!h)
        return 1;
    char origin[256];
    printf("dlinfo(RTLD_DI_ORIGIN): %d, dlerror: %s\n", dlinfo(h, RTLD_DI_ORIGIN, origin), dlerror());
    void *map = NULL;
    printf("dlinfo(RTLD_DI_LINKMAP): %d, dlerror: %s\n", dlinfo(h, RTLD_DI_LINKMAP, &map), dlerror());
    printf("still usable: %d\n", ((int (*)(void))dlsym(h, "gnu_value"))());
    dlclose(h);
    return 0;
}
