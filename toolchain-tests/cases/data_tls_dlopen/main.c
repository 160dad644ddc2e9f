#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

/* musl's functional/tls_init_dlopen: a library loaded by dlopen has its thread-local objects
 * initialised for the thread that uses them (the main thread here); dlsym of a thread-local
 * object gives this thread's instance, the one the library's own code uses; a reload starts
 * from the initial values again. */

int main(void)
{
    for (int round = 0; round < 2; round++) {
        void *h = dlopen("libtl.so", RTLD_NOW);
        if (!h)
            return 1;
        int *init = ((int *(*)(void))dlsym(h, "tl_init_addr"))();
        int *zero = ((int *(*)(void))dlsym(h, "tl_zero_addr"))();
        printf("round %d: tl_init = %d, tl_zero = %d, tl_text = %s\n", round, *init, *zero,
               ((const char *(*)(void))dlsym(h, "tl_get_text"))());
        int bumped = ((int (*)(void))dlsym(h, "tl_bump"))();
        printf("round %d: tl_bump() = %d, tl_init = %d, tl_zero = %d\n", round, bumped, *init, *zero);
        int *by_dlsym = (int *)dlsym(h, "tl_init");
        printf("round %d: dlsym(tl_init) is the library's &tl_init: %s, = %d\n", round,
               by_dlsym == init ? "yes" : "no", by_dlsym ? *by_dlsym : -1);
        char *text = (char *)dlsym(h, "tl_text");
        if (text)
            strcpy(text, "changed");
        printf("round %d: tl_text through dlsym: %s\n", round,
               ((const char *(*)(void))dlsym(h, "tl_get_text"))());
        dlclose(h);
    }
    return 0;
}
