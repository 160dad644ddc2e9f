/* Looks provided() up with dlsym(RTLD_DEFAULT): libprovider.so then stays loaded while this
 * library does, whatever its own handle's count. */
#include <dlfcn.h>
#include <stdio.h>

int ask_provided(void)
{
    int (*f)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "provided");
    return f ? f() : -1;
}

__attribute__((destructor)) static void fini(void) { printf("libasker: destructor\n"); }
