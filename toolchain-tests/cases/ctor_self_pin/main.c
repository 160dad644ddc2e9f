#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

int main(void)
{
    void *h = dlopen("libpin.so", RTLD_NOW);
    if (!h) {
        printf("dlopen failed\n");
        return 1;
    }
    void **self = (void **)dlsym(h, "pin_self_handle");
    printf("the constructor's handle is the program's: %s\n", *self == h ? "yes" : "no");
    int (*bump)(void) = (int (*)(void))dlsym(h, "pin_bump");
    int v = bump();
    printf("pin_bump() = %d\n", v);
    printf("dlclose: %d\n", dlclose(h));
    void *still = dlopen("libpin.so", RTLD_NOW | RTLD_NOLOAD);
    printf("still loaded after dlclose: %s\n", still ? "yes" : "no");
    v = bump();
    printf("pin_bump() = %d\n", v);
    printf("main returns\n");
    return 0;
}
