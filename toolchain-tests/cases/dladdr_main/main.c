#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

/* glibc's dlfcn/default.c and tst-dladdr ask dladdr about main: its symbol is "main" (clang
 * calls it __main_argc_argv on wasm), at main's own address, in the program's file. */
int main(int argc, char **argv)
{
    Dl_info info;
    memset(&info, 0, sizeof info);
    int r = dladdr((void *)main, &info);
    printf("dladdr(main): %d, dli_sname %s, dli_saddr is main: %s\n", r,
           info.dli_sname ? info.dli_sname : "NULL", info.dli_saddr == (void *)main ? "yes" : "no");
    printf("dli_fname is argv[0]: %s\n", info.dli_fname && strcmp(info.dli_fname, argv[0]) == 0 ? "yes" : "no");
    printf("dlsym(RTLD_DEFAULT, \"main\") is main: %s\n", dlsym(RTLD_DEFAULT, "main") == (void *)main ? "yes" : "no");
    void *h = dlopen("libdlm.so", RTLD_NOW);
    if (!h)
        return 1;
    int ok = ((int (*)(void))dlsym(h, "dlm_names_main"))();
    printf("from a library: %s\n", ok ? "main" : "something else");
    dlclose(h);
    return argc > 5;
}
