#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

/* The same for a main(void) (clang's __original_main on wasm). */
int main(void)
{
    Dl_info info;
    memset(&info, 0, sizeof info);
    int r = dladdr((void *)main, &info);
    printf("dladdr(main): %d, dli_sname %s, dli_saddr is main: %s\n", r,
           info.dli_sname ? info.dli_sname : "NULL", info.dli_saddr == (void *)main ? "yes" : "no");
    void *self = dlopen(NULL, RTLD_NOW);
    printf("dlsym(dlopen(NULL), \"main\") is main: %s\n", dlsym(self, "main") == (void *)main ? "yes" : "no");
    return 0;
}
