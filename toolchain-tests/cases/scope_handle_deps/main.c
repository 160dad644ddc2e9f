#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

const char *prog_only_fn(void) { return "program"; }

typedef const char *(*strfn)(void);

static const char *call(void *h, const char *name)
{
    strfn f = (strfn)dlsym(h, name);
    if (!f) {
        dlerror();
        return "NULL";
    }
    return f();
}

int main(void)
{
    void *u = dlopen("libunrelated.so", RTLD_NOW | RTLD_GLOBAL);
    void *root = dlopen("libroot.so", RTLD_NOW);
    void *mid1 = dlopen("libmid1.so", RTLD_NOW | RTLD_NOLOAD);
    if (!u || !root || !mid1)
        return 1;
    printf("dlsym(root, which_lib)() = %s\n", call(root, "which_lib"));
    printf("root's own call of which_lib() = %s\n", call(root, "root_calls_which"));
    printf("dlsym(mid1, which_lib)() = %s\n", call(mid1, "which_lib"));
    printf("dlsym(root, leaf_only)() = %s\n", call(root, "leaf_only"));
    printf("dlsym(root, mid1_name)() = %s\n", call(root, "mid1_name"));
    /* A handle's search covers the library and its dependencies only. */
    printf("dlsym(root, prog_only_fn) = %s\n", call(root, "prog_only_fn"));
    printf("dlsym(root, unrelated_fn) = %s\n", call(root, "unrelated_fn"));
    printf("dlsym(RTLD_DEFAULT, prog_only_fn)() = %s\n", call(RTLD_DEFAULT, "prog_only_fn"));
    dlclose(mid1);
    dlclose(root);
    dlclose(u);
    return 0;
}
