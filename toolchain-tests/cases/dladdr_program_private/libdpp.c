#define _GNU_SOURCE
#include <dlfcn.h>
/* Asks dladdr about program addresses the program hands over. */
int dpp_ask(const void *addr, const char **file)
{
    Dl_info info;
    if (!dladdr(addr, &info))
        return 0;
    *file = info.dli_fname;
    return 1;
}
