#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Only the program defines these: no RTLD_NEXT search from a library finds them. */
int nx_prog_only(void) { return 7; }
int nx_prog_data = 5;

typedef void *(*findfn)(const char *);
typedef size_t (*strlenfn)(const char *);

static const char *show(void *p) { return p ? "found" : "NULL"; }

static void libc_name(findfn next, const char *name)
{
    void *p = next(name);
    printf("RTLD_NEXT %s: %s, libc's: %s\n", name, show(p), p == dlsym(RTLD_DEFAULT, name) ? "yes" : "no");
}

static int run(const char *how, int mode)
{
    void *h = dlopen("libnxl.so", mode);
    if (!h)
        return 1;
    findfn next = (findfn)dlsym(h, "nxl_next");
    findfn def = (findfn)dlsym(h, "nxl_default");
    printf("%s:\n", how);
    printf("RTLD_NEXT nx_prog_only: %s\n", show(next("nx_prog_only")));
    printf("RTLD_NEXT nx_prog_data: %s\n", show(next("nx_prog_data")));
    printf("RTLD_NEXT main: %s\n", show(next("main")));
    printf("RTLD_DEFAULT nx_prog_only: %s\n", def("nx_prog_only") == (void *)nx_prog_only ? "the program's" : "other");
    libc_name(next, "malloc");
    libc_name(next, "printf");
    libc_name(next, "strlen");
    libc_name(next, "qsort");
    strlenfn len = (strlenfn)next("strlen");
    printf("strlen through RTLD_NEXT: %zu\n", len ? len("wasi-dl") : (size_t)0);
    dlclose(h);
    return 0;
}

int main(void)
{
    if (run("RTLD_LOCAL", RTLD_NOW | RTLD_LOCAL) || run("RTLD_GLOBAL", RTLD_NOW | RTLD_GLOBAL))
        return 1;
    printf("program data intact: %d %d\n", nx_prog_only(), nx_prog_data);
    return 0;
}
