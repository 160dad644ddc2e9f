#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
    printf("removed libgone.so: %s\n", remove("libgone.so") == 0 ? "yes" : "no");
    void *h = dlopen("libneedy.so", RTLD_NOW);
    char *err = dlerror();
    printf("dlopen(libneedy.so): %s\n", h ? "non-NULL" : "NULL");
    printf("  dlerror: %s, mentions libgone.so: %s\n", err ? "non-NULL" : "NULL",
           err && strstr(err, "libgone.so") ? "yes" : "no");
    printf("  libneedy left loaded: %s\n", dlopen("libneedy.so", RTLD_NOW | RTLD_NOLOAD) ? "yes" : "no");
    dlerror();
    return 0;
}
