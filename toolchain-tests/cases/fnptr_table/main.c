#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

typedef int (*binop)(int, int);

static int prog_max(int a, int b) { return a > b ? a : b; }

int main(void)
{
    void *h = dlopen("libops.so", RTLD_NOW);
    if (!h) {
        printf("dlopen failed\n");
        return 1;
    }
    const binop *table = (const binop *)dlsym(h, "ops_table");
    const char *const *names = (const char *const *)dlsym(h, "ops_names");
    const int *count = (const int *)dlsym(h, "ops_count");
    const binop *(*get_table)(void) = (const binop *(*)(void))dlsym(h, "ops_get_table");
    int (*apply)(int, int, int) = (int (*)(int, int, int))dlsym(h, "ops_apply");
    binop *mutable_ops = (binop *)dlsym(h, "ops_mutable");
    int (*apply_mutable)(int, int, int) = (int (*)(int, int, int))dlsym(h, "ops_apply_mutable");

    printf("table == ops_get_table(): %s\n", (const void *)table == (const void *)get_table() ? "same" : "different");
    printf("count = %d\n", *count);
    for (int i = 0; i < *count; i++)
        printf("%s(17, 5): direct %d, via library %d\n", names[i], table[i](17, 5), apply(i, 17, 5));
    printf("table[1] == dlsym(ops_sub): %s\n", (void *)table[1] == dlsym(h, "ops_sub") ? "same" : "different");
    int distinct = 1;
    for (int i = 0; i < *count; i++)
        for (int j = i + 1; j < *count; j++)
            if (table[i] == table[j])
                distinct = 0;
    printf("all entries distinct: %s\n", distinct ? "yes" : "no");
    printf("mutable[1](6, 7) = %d\n", apply_mutable(1, 6, 7));
    mutable_ops[1] = prog_max; /* the program stores its own (static) function in the library's table */
    printf("after storing prog_max: mutable[1](6, 7) = %d\n", apply_mutable(1, 6, 7));
    mutable_ops[0] = table[1];
    printf("after storing ops_sub: mutable[0](6, 7) = %d\n", apply_mutable(0, 6, 7));
    dlclose(h);
    return 0;
}
