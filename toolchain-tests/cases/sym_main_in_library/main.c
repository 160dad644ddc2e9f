#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

/* dlsym(handle, "main") on a library that defines main gives that library's main (clang names
 * it __main_argc_argv, or __original_main beside a wrapper, on wasm), callable with its own
 * signature; dladdr names it main; RTLD_DEFAULT still gives the program's. */
static const char *sname(void *p)
{
    Dl_info info;
    if (!dladdr(p, &info) || !info.dli_sname)
        return "NULL";
    return info.dli_sname;
}

int main(int argc, char **argv)
{
    void *a = dlopen("libmnargs.so", RTLD_NOW);
    void *v = dlopen("libmnvoid.so", RTLD_NOW);
    if (!a || !v) {
        printf("dlopen failed\n");
        return 1;
    }
    int (*ma)(int, char **) = (int (*)(int, char **))dlsym(a, "main");
    printf("libmnargs main: %s, not the program's: %s, dladdr says %s\n", ma ? "found" : "NULL",
           (void *)ma != (void *)main ? "yes" : "no", ma ? sname((void *)ma) : "-");
    if (ma) {
        char *args[] = {"plugin", NULL};
        int r = ma(1, args);
        printf("returned %d\n", r);
    }
    int (*mv)(void) = (int (*)(void))dlsym(v, "main");
    printf("libmnvoid main: %s, dladdr says %s\n", mv ? "found" : "NULL", mv ? sname((void *)mv) : "-");
    if (mv)
        printf("returned %d\n", mv());
    printf("RTLD_DEFAULT main is the program's: %s\n",
           dlsym(RTLD_DEFAULT, "main") == (void *)main ? "yes" : "no");
    dlclose(v);
    dlclose(a);
    return argc > 5;
}
