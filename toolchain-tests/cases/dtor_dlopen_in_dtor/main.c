#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

int main(void)
{
    void *h = dlopen("libdodowner.so", RTLD_NOW | RTLD_GLOBAL);
    if (!h) {
        printf("dlopen failed\n");
        return 1;
    }
    printf("closing libdodowner\n");
    int r = dlclose(h);
    printf("dlclose returned %d\n", r);
    printf("libdodhelper loaded: %s\n", dlopen("libdodhelper.so", RTLD_NOW | RTLD_NOLOAD) ? "yes" : "no");
    printf("libdodowner loaded: %s\n", dlopen("libdodowner.so", RTLD_NOW | RTLD_NOLOAD) ? "yes" : "no");
    /* Reopened and never closed: its destructor runs at exit and loads the helper again. */
    h = dlopen("libdodowner.so", RTLD_NOW | RTLD_GLOBAL);
    printf("main returns\n");
    return 0;
}
