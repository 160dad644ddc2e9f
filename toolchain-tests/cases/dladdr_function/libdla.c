#define _GNU_SOURCE
#include <dlfcn.h>
#include <string.h>

int dla_target(int v) { return v + 1; }
int dla_other(int v) { return v - 1; }

/* The library asks about its own function. */
int dla_self_check(void)
{
    Dl_info info;
    if (!dladdr((const void *)dla_target, &info))
        return 0;
    return info.dli_sname && strcmp(info.dli_sname, "dla_target") == 0 && info.dli_saddr == (void *)dla_target;
}
