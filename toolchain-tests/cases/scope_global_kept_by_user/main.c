#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

int main(void)
{
    void *prov = dlopen("libprov.so", RTLD_NOW | RTLD_GLOBAL);
    void *user = dlopen("libuser.so", RTLD_NOW);
    if (!prov || !user)
        return 1;
    int (*call)(void) = (int (*)(void))dlsym(user, "user_call");
    printf("user_call() = %d\n", call());
    printf("closing libprov's handle\n");
    dlclose(prov);
    printf("libprov still loaded: %s\n", dlopen("libprov.so", RTLD_NOW | RTLD_NOLOAD) ? "yes" : "no");
    dlclose(prov); /* the NOLOAD reference */
    printf("user_call() = %d\n", call());
    printf("closing libuser\n");
    dlclose(user);
    printf("libprov still loaded: %s\n", dlopen("libprov.so", RTLD_NOW | RTLD_NOLOAD) ? "yes" : "no");
    return 0;
}
