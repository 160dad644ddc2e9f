#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

typedef const char *(*strfn)(void);

const char *wo_hook(void) { return "program override"; }
int wo_data = 99;

int main(void)
{
    void *h = dlopen("libhooks.so", RTLD_NOW);
    if (!h)
        return 1;
    printf("library calls wo_hook: %s\n", ((strfn)dlsym(h, "wo_call_hook"))());
    printf("library calls wo_other: %s\n", ((strfn)dlsym(h, "wo_call_other"))());
    printf("library's &wo_hook is the program's: %s\n", ((strfn(*)(void))dlsym(h, "wo_hook_ptr"))() == wo_hook ? "yes" : "no");
    printf("library reads wo_data: %d\n", ((int (*)(void))dlsym(h, "wo_read_data"))());
    printf("RTLD_DEFAULT wo_hook is the program's: %s\n", dlsym(RTLD_DEFAULT, "wo_hook") == (void *)wo_hook ? "yes" : "no");
    /* dlsym on the library's handle searches the library itself first: its own weak definition. */
    strfn own = (strfn)dlsym(h, "wo_hook");
    printf("dlsym(handle, wo_hook): %s, returns \"%s\"\n", own == wo_hook ? "the program's" : "the library's", own());
    dlclose(h);
    return 0;
}
