/* A library loaded as a dependency and later dlopen'ed by name gets its sorted dependency
 * list then (glibc's l_initfini); glibc sorts it while the library still has its NEEDED list,
 * so the walk follows those edges (here into a cycle). Exit order shows that list. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

int main(void)
{
    printf("open rda\n");
    void *a = dlopen("librda.so", RTLD_NOW);
    printf("open rdb\n");
    void *b = dlopen("librdb.so", RTLD_NOW);
    printf("open rdf\n");
    void *f = dlopen("librdf.so", RTLD_NOW);
    printf("all loaded: %s\n", a && b && f ? "yes" : "no");
    printf("exit\n");
    return 0;
}
