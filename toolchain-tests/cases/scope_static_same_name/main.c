#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

int main(void)
{
    void *a = dlopen("libstat1.so", RTLD_NOW | RTLD_GLOBAL);
    void *b = dlopen("libstat2.so", RTLD_NOW | RTLD_GLOBAL);
    if (!a || !b)
        return 1;
    int (*get1)(void) = (int (*)(void))dlsym(a, "stat1_get");
    int (*get2)(void) = (int (*)(void))dlsym(b, "stat2_get");
    void (*bump1)(void) = (void (*)(void))dlsym(a, "stat1_bump");
    printf("stat1_get = %d, stat2_get = %d\n", get1(), get2());
    bump1();
    bump1();
    printf("after bumping libstat1 twice: stat1_get = %d, stat2_get = %d\n", get1(), get2());
    printf("helper visible: %s, state visible: %s\n", dlsym(RTLD_DEFAULT, "helper") ? "yes" : "no",
           dlsym(RTLD_DEFAULT, "state") ? "yes" : "no");
    dlerror();
    dlclose(b);
    dlclose(a);
    return 0;
}
