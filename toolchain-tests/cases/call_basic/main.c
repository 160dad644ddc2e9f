#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

int main(void)
{
    void *h = dlopen("libcalc.so", RTLD_NOW);
    printf("dlopen: %s\n", h ? "non-NULL" : "NULL");
    if (!h)
        return 1;
    int (*add)(int, int) = (int (*)(int, int))dlsym(h, "calc_add");
    int (*mul)(int, int) = (int (*)(int, int))dlsym(h, "calc_mul");
    int (*neg)(int) = (int (*)(int))dlsym(h, "calc_negate");
    unsigned (*hash)(const char *) = (unsigned (*)(const char *))dlsym(h, "calc_hash");
    void (*acc)(int) = (void (*)(int))dlsym(h, "calc_accumulate");
    int (*total)(void) = (int (*)(void))dlsym(h, "calc_total");
    if (!add || !mul || !neg || !hash || !acc || !total) {
        printf("dlsym failed\n");
        return 1;
    }
    printf("calc_add(2, 40) = %d\n", add(2, 40));
    printf("calc_mul(-6, 7) = %d\n", mul(-6, 7));
    printf("calc_negate(5) = %d\n", neg(5));
    printf("calc_hash(\"wasi-dl\") = %u\n", hash("wasi-dl"));
    printf("calc_total() = %d\n", total());
    for (int i = 1; i <= 10; i++)
        acc(i);
    printf("calc_total() after 1..10 = %d\n", total());
    printf("dlclose: %d\n", dlclose(h));
    return 0;
}
