#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

int main(void)
{
    void *h = dlopen("libreg.so", RTLD_NOW);
    void *k = dlopen("libkept.so", RTLD_NOW);
    if (!h || !k) {
        printf("dlopen failed\n");
        return 1;
    }
    ((void (*)(void))dlsym(h, "reg_later"))();
    ((void (*)(void))dlsym(k, "kept_register"))();
    printf("before dlclose\n");
    dlclose(h);
    printf("after dlclose\n");
    printf("main returns\n");
    return 0;
}
