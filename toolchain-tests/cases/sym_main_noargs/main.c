#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

/* A main without parameters (clang calls it __original_main on wasm). */
int main(void)
{
    void *self = dlopen(NULL, RTLD_NOW);
    if (!self)
        return 1;
    printf("dlsym(RTLD_DEFAULT, main) is main: %s\n", dlsym(RTLD_DEFAULT, "main") == (void *)main ? "yes" : "no");
    printf("dlsym(dlopen(NULL), main) is main: %s\n", dlsym(self, "main") == (void *)main ? "yes" : "no");
    return 0;
}
