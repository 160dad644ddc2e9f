#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

/* At exit, a destructor's dlclose does not unload at once: glibc keeps every library until
 * its own turn comes in _dl_fini (libp.so was loaded after liba.so, so it comes after it). */
int main(void)
{
    if (!dlopen("liba.so", RTLD_NOW))
        return 1;
    printf("main returns\n");
    return 0;
}
