#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

/* At exit, glibc runs the exit handlers newest first (the program's and those libraries
 * registered, each where it was registered), then the destructors: the program's, then the
 * libraries' (_dl_fini: load order, each before the libraries it depends on). */
static void h1(void) { printf("main: handler 1 (before dlopen)\n"); }
static void h2(void) { printf("main: handler 2 (after dlopen)\n"); }
static void h3(void) { printf("main: handler 3 (after lib_register)\n"); }

__attribute__((destructor)) static void fini(void) { printf("main: destructor\n"); }

int main(void)
{
    atexit(h1);
    void *x = dlopen("libx.so", RTLD_NOW);
    void *y = dlopen("liby.so", RTLD_NOW);
    void *z = dlopen("libz.so", RTLD_NOW);
    void *base = dlopen("libbase.so", RTLD_NOW);
    void *user = dlopen("libuser.so", RTLD_NOW);
    if (!x || !y || !z || !base || !user)
        return 1;
    atexit(h2);
    ((void (*)(void))dlsym(x, "lib_register"))();
    atexit(h3);
    dlclose(z);
    printf("main returns\n");
    return 0;
}
