#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

/* OpenBSD's ld.so "hidden" regress and bionic's local-symbol tests: a symbol that is not
 * exported (hidden visibility, static, -fvisibility=hidden) is neither found by dlsym nor
 * used to bind another module's reference, and a library's own uses of a hidden name stay
 * on its own definition even when a global library exports the same name. */

__attribute__((visibility("hidden"))) int prog_hidden(void) { return 41; }
int prog_visible(void) { return 42; }

static void lookup(void *handle, const char *what, const char *name)
{
    void *p = dlsym(handle, name);
    const char *err = dlerror();
    printf("dlsym(%s, %s): %s", what, name, p ? "found" : "NULL");
    if (!p)
        printf(", dlerror names it: %s", err && strstr(err, name) ? "yes" : "no");
    printf("\n");
}

int main(void)
{
    printf("prog_hidden() = %d, prog_visible() = %d\n", prog_hidden(), prog_visible());
    lookup(RTLD_DEFAULT, "RTLD_DEFAULT", "prog_hidden");
    lookup(RTLD_DEFAULT, "RTLD_DEFAULT", "prog_visible");

    void *b = dlopen("libhvb.so", RTLD_NOW | RTLD_GLOBAL);
    void *a = dlopen("libhva.so", RTLD_NOW | RTLD_GLOBAL);
    if (!a || !b)
        return 1;
    /* 11 + 12 + 13 + 14 + 15: libhva's own hidden definitions, not libhvb's global ones. */
    printf("hva_sum() = %d\n", ((int (*)(void))dlsym(a, "hva_sum"))());
    int (*secret)(void) = ((int (*(*)(void))(void))dlsym(a, "hva_secret_ptr"))();
    printf("hidden hv_secret through its pointer = %d\n", secret());
    lookup(a, "libhva", "hv_name");
    lookup(a, "libhva", "hv_value");
    lookup(a, "libhva", "hv_secret");
    lookup(a, "libhva", "hv_static_fn");
    lookup(a, "libhva", "hv_static_data");
    lookup(a, "libhva", "hva_sum");
    lookup(b, "libhvb", "hv_name");

    void *def = dlopen(NULL, RTLD_NOW);
    int (*name)(void) = (int (*)(void))dlsym(def, "hv_name");
    int *value = (int *)dlsym(def, "hv_value");
    printf("dlopen(NULL): hv_name() = %d, hv_value = %d\n", name ? name() : -1, value ? *value : -1);
    printf("dlopen(NULL): hv_secret %s\n", dlsym(def, "hv_secret") ? "found" : "NULL");
    dlerror();

    /* Another library's reference is never bound to a hidden definition. */
    void *c = dlopen("libhvc.so", RTLD_NOW);
    const char *err = dlerror();
    printf("dlopen(libhvc): %s, dlerror names hv_secret: %s\n", c ? "loaded" : "NULL",
           err && strstr(err, "hv_secret") ? "yes" : "no");
    void *e = dlopen("libhve.so", RTLD_NOW);
    err = dlerror();
    printf("dlopen(libhve): %s, dlerror names prog_hidden: %s\n", e ? "loaded" : "NULL",
           err && strstr(err, "prog_hidden") ? "yes" : "no");
    void *f = dlopen("libhvf.so", RTLD_NOW);
    if (!f)
        return 1;
    printf("hvf_call() = %d\n", ((int (*)(void))dlsym(f, "hvf_call"))());

    void *d = dlopen("libhvd.so", RTLD_NOW);
    if (!d)
        return 1;
    lookup(d, "libhvd", "hvd_internal");
    lookup(d, "libhvd", "hvd_internal_data");
    lookup(d, "libhvd", "hvd_exported_data");
    lookup(d, "libhvd", "hvd_exported");
    printf("hvd_exported() = %d\n", ((int (*)(void))dlsym(d, "hvd_exported"))());

    dlclose(d);
    dlclose(f);
    dlclose(a);
    dlclose(b);
    return 0;
}
