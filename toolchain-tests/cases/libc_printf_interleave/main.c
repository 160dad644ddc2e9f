#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

int main(void)
{
    void *h = dlopen("libsay.so", RTLD_NOW);
    if (!h)
        return 1;
    void (*all)(int) = (void (*)(int))dlsym(h, "say_all_ways");
    void (*partial)(const char *) = (void (*)(const char *))dlsym(h, "say_partial");
    printf("program 1\n");
    all(7);
    printf("program 2\n");
    /* A line assembled from both sides. */
    printf("mixed: ");
    partial("from lib");
    printf(" + from program]");
    partial("lib again");
    printf("]\n");
    fflush(stdout);
    all(-3);
    printf("program 3 (no newline at the end)");
    dlclose(h);
    return 0;
}
