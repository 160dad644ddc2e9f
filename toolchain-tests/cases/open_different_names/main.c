#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

/* The same file reached by the library search path and by a relative path: one library. */
int main(void)
{
    void *by_name = dlopen("libnamed.so", RTLD_NOW);
    void *by_path = dlopen("./libnamed.so", RTLD_NOW);
    void *by_noload = dlopen("./libnamed.so", RTLD_NOW | RTLD_NOLOAD);
    if (!by_name || !by_path || !by_noload)
        return 1;
    printf("libnamed.so vs ./libnamed.so: %s\n", by_name == by_path ? "same" : "different");
    printf("NOLOAD ./libnamed.so: %s\n", by_noload == by_name ? "same" : "different");
    printf("ctor runs: %d\n", ((int (*)(void))dlsym(by_path, "named_ctor_runs"))());
    printf("three references; closing two\n");
    dlclose(by_name);
    dlclose(by_noload);
    printf("still loaded: %s\n", dlopen("libnamed.so", RTLD_NOW | RTLD_NOLOAD) ? "yes" : "no");
    dlclose(by_path); /* the NOLOAD reference just taken */
    printf("closing the last one\n");
    dlclose(by_path);
    printf("still loaded: %s\n", dlopen("./libnamed.so", RTLD_NOW | RTLD_NOLOAD) ? "yes" : "no");
    return 0;
}
