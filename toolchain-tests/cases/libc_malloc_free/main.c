#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
    void *h = dlopen("libmem.so", RTLD_NOW);
    if (!h)
        return 1;
    char *(*dup)(const char *) = (char *(*)(const char *))dlsym(h, "mem_dup");
    char *(*sdup)(const char *) = (char *(*)(const char *))dlsym(h, "mem_strdup");
    void (*release)(void *) = (void (*)(void *))dlsym(h, "mem_release");
    char *(*append)(char *, const char *) = (char *(*)(char *, const char *))dlsym(h, "mem_append");
    int (*calloc_zero)(size_t) = (int (*)(size_t))dlsym(h, "mem_calloc_zero");
    void **(*many)(int, size_t) = (void **(*)(int, size_t))dlsym(h, "mem_many");

    char *a = dup("allocated in the library");
    printf("%s, freed by the program\n", a);
    free(a);
    char *b = sdup("strdup in the library");
    printf("%s, freed by the program\n", b);
    free(b);

    char *c = malloc(8);
    strcpy(c, "program");
    c = append(c, " + library realloc");
    c = append(c, " + again");
    printf("%s\n", c);
    release(c);
    printf("program's buffer freed by the library\n");

    printf("calloc zeroed: %s\n", calloc_zero(100000) ? "yes" : "no");

    void **v = many(1000, 16);
    int ok = 1;
    for (int i = 0; i < 1000; i++) {
        unsigned char *p = v[i];
        if (p[0] != (i & 0xff) || p[15 + i] != (i & 0xff))
            ok = 0;
        free(p);
    }
    free(v);
    printf("1000 blocks from the library checked and freed: %s\n", ok ? "yes" : "no");
    dlclose(h);
    return 0;
}
