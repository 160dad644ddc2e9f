#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

/* glibc resolves every object of a dlopen group in the global scope, then in the local scope of
 * the group's root: a dependency may use what only its parent defines, also RTLD_LOCAL. */
static void run(const char *root_name, const char *kid_name, int mode, const char *root_fn, const char *ref_fn,
                const char *data)
{
    void *root = dlopen(root_name, mode | RTLD_LOCAL);
    printf("dlopen(%s): %s\n", root_name, root ? "ok" : "NULL");
    if (!root)
        return;
    void *kid = dlopen(kid_name, RTLD_NOW | RTLD_NOLOAD);
    int (*f)(int) = (int (*)(int))dlsym(root, root_fn);
    printf("  %s(3) = %d\n", root_fn, f(3));
    int *(*ref)(void) = (int *(*)(void))dlsym(kid, ref_fn);
    printf("  the child's data reference is the parent's object: %s\n", ref() == dlsym(root, data) ? "yes" : "no");
    printf("  the parent's names stay out of RTLD_DEFAULT: %s\n", dlsym(RTLD_DEFAULT, data) ? "no" : "yes");
    dlclose(kid);
    dlclose(root);
    printf("  unloaded: %s\n", dlopen(kid_name, RTLD_NOW | RTLD_NOLOAD) ? "no" : "yes");
}

int main(void)
{
    run("libgpnow.so", "libgpnowkid.so", RTLD_NOW, "gp_now_root", "gp_now_kid_data_ref", "gp_now_parent_data");
    run("libgplazy.so", "libgplazykid.so", RTLD_LAZY, "gp_lazy_root", "gp_lazy_kid_data_ref", "gp_lazy_parent_data");
    return 0;
}
