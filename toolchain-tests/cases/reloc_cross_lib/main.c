#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

struct both { int *p; int (*f)(int); };

static const char *same(const void *a, const void *b) { return a == b ? "same" : "different"; }

int main(void)
{
    void *hu = dlopen("libuser.so", RTLD_NOW); /* LOCAL: libprovider comes along as a dependency */
    void *hp = dlopen("libprovider.so", RTLD_NOW | RTLD_NOLOAD);
    printf("libuser: %s, libprovider loaded with it: %s\n", hu ? "non-NULL" : "NULL", hp ? "yes" : "no");
    if (!hu || !hp)
        return 1;
    int **data = (int **)dlsym(hu, "pu_data");
    int **last = (int **)dlsym(hu, "pu_last");
    int (**func)(int) = (int (**)(int))dlsym(hu, "pu_func");
    struct both *both = (struct both *)dlsym(hu, "pu_both");
    int (*use)(void) = (int (*)(void))dlsym(hu, "pu_use");
    int *pv_array = (int *)dlsym(hp, "pv_array");

    printf("pu_data: %s\n", same(*data, dlsym(hp, "pv_data")));
    printf("pu_last: %s\n", same(*last, pv_array + 2));
    printf("pu_func: %s\n", same((void *)*func, dlsym(hp, "pv_func")));
    printf("pu_both: %s %s %s %s\n", same(both[0].p, dlsym(hp, "pv_data")),
           same((void *)both[0].f, dlsym(hp, "pv_func")), same(both[1].p, pv_array),
           same((void *)both[1].f, (void *)*func));
    printf("pu_use() = %d\n", use());
    *(int *)dlsym(hp, "pv_data") = 1;
    pv_array[0] = 70;
    printf("after writing libprovider's data: pu_use() = %d\n", use());
    dlclose(hp);
    dlclose(hu);
    return 0;
}
