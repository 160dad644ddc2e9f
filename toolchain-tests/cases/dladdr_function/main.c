#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

int prog_marker(int v) { return v * 2; }

static int ends_with(const char *s, const char *suffix)
{
    size_t n = s ? strlen(s) : 0, m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void show(const char *what, const void *addr, const char *file_suffix)
{
    Dl_info info;
    memset(&info, 0, sizeof info);
    int r = dladdr(addr, &info);
    printf("%s: dladdr %s\n", what, r ? "non-zero" : "0");
    if (!r)
        return;
    printf("  dli_sname: %s\n", info.dli_sname ? info.dli_sname : "NULL");
    printf("  dli_saddr: %s\n", info.dli_saddr == addr ? "same" : "different");
    if (file_suffix)
        printf("  dli_fname ends with %s: %s\n", file_suffix, ends_with(info.dli_fname, file_suffix) ? "yes" : "no");
    else
        printf("  dli_fname: %s\n", info.dli_fname ? "non-NULL" : "NULL");
}

int main(void)
{
    void *h = dlopen("libdla.so", RTLD_NOW);
    if (!h)
        return 1;
    show("dla_target", dlsym(h, "dla_target"), "libdla.so");
    show("dla_other", dlsym(h, "dla_other"), "libdla.so");
    show("prog_marker", (const void *)prog_marker, NULL);
    printf("library's own dladdr check: %s\n", ((int (*)(void))dlsym(h, "dla_self_check"))() ? "ok" : "wrong");
    dlclose(h);
    return 0;
}
