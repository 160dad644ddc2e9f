#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

/* glibc orders a dlopen group's constructors and destructors with _dl_sort_maps: the group in
 * breadth-first load order, sorted by a depth-first walk from its back; constructors run in the
 * reverse of that order, destructors in it. */
int main(void)
{
    printf("dlopen(libcs1)\n");
    void *one = dlopen("libcs1.so", RTLD_NOW);
    printf("dlopen(libcs6)\n");
    void *six = dlopen("libcs6.so", RTLD_NOW);
    if (!one || !six)
        return 1;
    printf("dlclose(libcs1)\n");
    dlclose(one);
    printf("dlclose(libcs6)\n");
    dlclose(six);
    printf("dlopen(libcs1) again, and libcs6\n");
    one = dlopen("libcs1.so", RTLD_NOW);
    six = dlopen("libcs6.so", RTLD_NOW);
    printf("exit\n");
    return 0;
}
