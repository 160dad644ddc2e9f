#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

int main(void)
{
    void *h = dlopen("libquit.so", RTLD_NOW);
    if (!h)
        return 1;
    printf("calling quit_now(3)\n");
    ((void (*)(int))dlsym(h, "quit_now"))(3);
    printf("not reached\n");
    return 0;
}
