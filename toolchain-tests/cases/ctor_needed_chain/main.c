#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

int main(void)
{
    void *h = dlopen("libfirst.so", RTLD_NOW);
    if (!h) {
        printf("dlopen failed\n");
        return 1;
    }
    int (*ready)(void) = (int (*)(void))dlsym(h, "first_ready");
    printf("first ready: %s\n", ready() ? "yes" : "no");
    printf("dlclose\n");
    dlclose(h);
    printf("libthird still loaded: %s\n", dlopen("libthird.so", RTLD_NOW | RTLD_NOLOAD) ? "yes" : "no");
    return 0;
}
