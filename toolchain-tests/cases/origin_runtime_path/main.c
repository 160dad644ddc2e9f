#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static int copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb");
    if (!in)
        return -1;
    FILE *out = fopen(to, "wb");
    if (!out) {
        fclose(in);
        return -1;
    }
    char buf[4096];
    size_t n;
    int ok = 1;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n)
            ok = 0;
    fclose(in);
    return fclose(out) == 0 && ok ? 0 : -1;
}

static int make_dir(const char *path) { return mkdir(path, 0755) == 0 || errno == EEXIST ? 0 : -1; }

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

int main(void)
{
    /* The harness builds everything into the run directory: lay out sub/ and sub/deps/. The
     * user library is copied (the harness keeps its build), the dependency moved away. */
    int laid_out = make_dir("sub") == 0 && make_dir("sub/deps") == 0 &&
                   copy_file("liborigin_user.so", "sub/liborigin_user.so") == 0 &&
                   rename("liborigin_dep.so", "sub/deps/liborigin_dep.so") == 0;
    printf("laid out sub/liborigin_user.so and sub/deps/liborigin_dep.so: %s\n", laid_out ? "yes" : "no");
    if (!laid_out)
        return 1;

    /* The control first (once liborigin_dep.so is loaded, a loader may reuse it by name). */
    void *ctl = dlopen("liborigin_ctl.so", RTLD_NOW);
    char *err = dlerror();
    printf("dlopen(liborigin_ctl.so): %s, dlerror %s, mentions liborigin_dep.so: %s\n", ctl ? "non-NULL" : "NULL",
           err ? "non-NULL" : "NULL", err && strstr(err, "liborigin_dep.so") ? "yes" : "no");
    printf("  liborigin_ctl left loaded: %s\n", dlopen("liborigin_ctl.so", RTLD_NOW | RTLD_NOLOAD) ? "yes" : "no");
    dlerror();

    /* By path: $ORIGIN is sub, so RUNTIME_PATH $ORIGIN/deps finds the dependency. */
    void *h = dlopen("sub/liborigin_user.so", RTLD_NOW);
    err = dlerror();
    printf("dlopen(sub/liborigin_user.so): %s\n", h ? "non-NULL" : "NULL");
    if (!h) {
        printf("  dlerror mentions liborigin_dep.so: %s\n", err && strstr(err, "liborigin_dep.so") ? "yes" : "no");
        return 1;
    }
    int (*user)(int) = (int (*)(int))dlsym(h, "origin_user_fn");
    int (*dep)(int) = (int (*)(int))dlsym(h, "origin_dep_fn"); /* through the handle's dependency */
    printf("origin_user_fn(1) = %d\n", user(1));
    printf("dlsym(user, origin_dep_fn): %s\n", dep ? "found" : "NULL");
    if (!dep)
        return 1;
    int *value = (int *)dlsym(h, "origin_dep_value");
    *value = 100;
    printf("after origin_dep_value = 100: origin_user_fn(1) = %d, origin_dep_fn(1) = %d\n", user(1), dep(1));
    Dl_info info;
    int found = dladdr((void *)dep, &info);
    printf("dladdr(origin_dep_fn): %s, dli_fname ends with sub/deps/liborigin_dep.so: %s\n", found ? "found" : "none",
           found && info.dli_fname && ends_with(info.dli_fname, "sub/deps/liborigin_dep.so") ? "yes" : "no");

    dlclose(h);
    printf("after dlclose: liborigin_user loaded: %s\n",
           dlopen("sub/liborigin_user.so", RTLD_NOW | RTLD_NOLOAD) ? "yes" : "no");
    dlerror();
    return 0;
}
