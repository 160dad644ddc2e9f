#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

int main(void)
{
    void *g = dlopen("libglobal.so", RTLD_NOW | RTLD_GLOBAL);
    if (!g)
        return 1;
    printf("RTLD_DEFAULT global_fn: %s\n", dlsym(RTLD_DEFAULT, "global_fn") == dlsym(g, "global_fn") ? "same as the handle's" : "wrong");
    printf("RTLD_DEFAULT global_data: %s\n", dlsym(RTLD_DEFAULT, "global_data") == dlsym(g, "global_data") ? "same as the handle's" : "wrong");
    printf("RTLD_DEFAULT globaldep_fn (a dependency): %s\n", dlsym(RTLD_DEFAULT, "globaldep_fn") ? "found" : "NULL");
    void *self = dlopen(NULL, RTLD_NOW);
    printf("dlsym(dlopen(NULL), global_fn): %s\n", dlsym(self, "global_fn") ? "found" : "NULL");

    void *later = dlopen("liblater.so", RTLD_NOW);
    printf("liblater: %s\n", later ? "non-NULL" : "NULL");
    if (!later)
        return 1;
    printf("later_call(10) = %d\n", ((int (*)(int))dlsym(later, "later_call"))(10));

    /* Opening it again RTLD_LOCAL does not take it out of the global scope. */
    void *again = dlopen("libglobal.so", RTLD_NOW | RTLD_LOCAL);
    printf("re-open LOCAL: %s handle, still global: %s\n", again == g ? "same" : "different",
           dlsym(RTLD_DEFAULT, "global_fn") ? "yes" : "no");
    dlclose(again);
    dlclose(later);
    dlclose(self);
    dlclose(g);
    return 0;
}
