#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

typedef int (*intfn)(int);

int main(void)
{
    void *h = dlopen("libmany.so", RTLD_NOW);
    if (!h)
        return 1;
    const intfn *table = (const intfn *)dlsym(h, "mx_table");
    int count = *(const int *)dlsym(h, "mx_count");
    printf("mx_count = %d\n", count);
    long long sum = 0;
    int found = 0, match = 0, distinct = 1;
    for (int i = 0; i < count; i++) {
        char name[24];
        snprintf(name, sizeof name, "mx_fn_%03d", i);
        intfn f = (intfn)dlsym(h, name);
        if (!f)
            continue;
        found++;
        if (f == table[i])
            match++;
        if (i > 0 && f == table[i - 1])
            distinct = 0;
        sum += f(3);
    }
    printf("found %d, equal to the table entry %d, neighbours distinct %s\n", found, match, distinct ? "yes" : "no");
    printf("sum of mx_fn_NNN(3) = %lld\n", sum);
    printf("mx_fn_300 exists: %s\n", dlsym(h, "mx_fn_300") ? "yes" : "no");
    dlerror();
    dlclose(h);
    return 0;
}
