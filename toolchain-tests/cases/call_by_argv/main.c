#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

/* Usage: main LIBRARY NUMBER. Exits with 2 on a usage error. */
int main(int argc, char **argv)
{
    if (argc != 3) {
        printf("usage: main LIBRARY NUMBER (got %d arguments)\n", argc - 1);
        return 2;
    }
    printf("library argument: %s\n", argv[1]);
    void *h = dlopen(argv[1], RTLD_NOW);
    printf("dlopen: %s\n", h ? "non-NULL" : "NULL");
    if (!h)
        return 1;
    int (*scale)(int) = (int (*)(int))dlsym(h, "plugin_scale");
    const char *(*name)(void) = (const char *(*)(void))dlsym(h, "plugin_name");
    if (!scale || !name)
        return 1;
    int n = atoi(argv[2]);
    printf("%s: plugin_scale(%d) = %d\n", name(), n, scale(n));
    dlclose(h);
    return 0;
}
