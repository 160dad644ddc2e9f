#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

int main(void)
{
    fprintf(stderr, "program: starting\n");
    void *h = dlopen("libwarn.so", RTLD_NOW);
    if (!h)
        return 1;
    ((void (*)(const char *))dlsym(h, "warn_twice"))("disk almost full");
    fprintf(stderr, "program: done\n");
    printf("stdout line from the program\n");
    dlclose(h);
    return 0;
}
