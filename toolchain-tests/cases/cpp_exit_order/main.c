#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

static void main_exit_handler(void) { printf("main: exit handler\n"); }

__attribute__((destructor)) static void fini(void) { printf("main: destructor\n"); }

int main(void)
{
    void *h = dlopen("libplug.so", RTLD_NOW);
    if (!h)
        return 1;
    atexit(main_exit_handler);
    printf("plugin ready: %d\n", ((int (*)(void))dlsym(h, "plugin_ready"))());
    return 0;
}
