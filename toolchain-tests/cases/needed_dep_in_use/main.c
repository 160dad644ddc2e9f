#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

int main(void)
{
    void *dep = dlopen("libdep.so", RTLD_NOW);
    int (*dep_call)(void) = (int (*)(void))dlsym(dep, "dep_call");
    printf("dep_call: %d\n", dep_call());
    void *user = dlopen("libdependent.so", RTLD_NOW);
    if (!dep || !user)
        return 1;
    int (*dependent_call)(void) = (int (*)(void))dlsym(user, "dependent_call");
    printf("dependent_call: %d (same libdep instance)\n", dependent_call());
    printf("closing libdep's own handle\n");
    dlclose(dep);
    printf("dependent_call: %d\n", dependent_call());
    printf("closing libdependent\n");
    dlclose(user);
    printf("libdep loaded: %s\n", dlopen("libdep.so", RTLD_NOW | RTLD_NOLOAD) ? "yes" : "no");
    return 0;
}
