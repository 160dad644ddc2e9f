#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

/* A library's strong data definitions are interposed by the program's (data is reached
 * through the GOT on both sides); dlsym on the library's handle still gives its own. */
int dup_var = 1;
int dup_arr[4] = {10, 11, 12, 13};

int main(void)
{
    void *h = dlopen("libdv.so", RTLD_NOW);
    if (!h)
        return 1;
    int (*rd)(void) = (int (*)(void))dlsym(h, "dv_read");
    void *(*ad)(void) = (void *(*)(void))dlsym(h, "dv_addr");
    int r = rd();
    printf("dv_read() = %d\n", r);
    printf("the library's &dup_var is the program's: %s\n", ad() == &dup_var ? "yes" : "no");
    printf("dlsym(handle, dup_var) is the library's own: %s\n", dlsym(h, "dup_var") != &dup_var ? "yes" : "no");
    printf("its own value: %d\n", *(int *)dlsym(h, "dup_var"));
    dlclose(h);
    return 0;
}
