#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

int main(void)
{
    printf("main: dlopen libloader\n");
    void *h = dlopen("libloader.so", RTLD_NOW);
    printf("main: dlopen returned %s\n", h ? "non-NULL" : "NULL");
    if (!h)
        return 1;
    int (*value)(void) = (int (*)(void))dlsym(h, "loader_value");
    void *(*helper_handle)(void) = (void *(*)(void))dlsym(h, "loader_helper_handle");
    printf("loader_value() = %d\n", value());
    void *mine = dlopen("libhelper.so", RTLD_NOW | RTLD_NOLOAD);
    printf("program's handle for libhelper: %s as the library's\n", mine == helper_handle() ? "same" : "different");
    dlclose(mine);
    printf("main: dlclose libloader\n");
    dlclose(h);
    printf("libhelper still loaded: %s\n", dlopen("libhelper.so", RTLD_NOW | RTLD_NOLOAD) ? "yes" : "no");
    return 0;
}
