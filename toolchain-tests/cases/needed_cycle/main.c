#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

static int dtors;
void prog_count_dtor(void) { dtors++; }

static int is_loaded(const char *name)
{
    void *h = dlopen(name, RTLD_NOW | RTLD_NOLOAD);
    if (h)
        dlclose(h);
    return h != NULL;
}

int main(void)
{
    for (int round = 1; round <= 2; round++) {
        /* Enter the cycle from a different side each round. */
        const char *first = round == 1 ? "libcyca.so" : "libcycb.so";
        void *h = dlopen(first, RTLD_NOW);
        if (!h) {
            printf("dlopen failed\n");
            return 1;
        }
        printf("round %d: opened %s; a loaded %d, b loaded %d\n", round, first, is_loaded("libcyca.so"),
               is_loaded("libcycb.so"));
        printf("ctor runs: a %d, b %d\n", *(int *)dlsym(h, "cyca_ctor_runs"), *(int *)dlsym(h, "cycb_ctor_runs"));
        int (*is_even)(int) = (int (*)(int))dlsym(h, "cyca_is_even");
        int (*is_odd)(int) = (int (*)(int))dlsym(h, "cycb_is_odd");
        printf("is_even(10) = %d, is_even(7) = %d, is_odd(9) = %d\n", is_even(10), is_even(7), is_odd(9));
        printf("sums: a %d, b %d\n", ((int (*)(void))dlsym(h, "cyca_sum"))(), ((int (*)(void))dlsym(h, "cycb_sum"))());
        dlclose(h);
        printf("after dlclose: a loaded %d, b loaded %d, destructors so far %d\n", is_loaded("libcyca.so"),
               is_loaded("libcycb.so"), dtors);
    }
    return 0;
}
