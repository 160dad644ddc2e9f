#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

/* bionic's dlclose_unload: once a library is unloaded, dladdr no longer attributes its old
 * function and data addresses to it (glibc unmaps it; dladdr returns 0), while a library that
 * dlclose keeps (-z nodelete) still answers. Nothing is loaded between the dlclose and the
 * dladdr calls, so no other library can have taken the addresses over. */

static const char *base(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

int main(void)
{
    void *g = dlopen("libgone.so", RTLD_NOW);
    void *s = dlopen("libstay.so", RTLD_NOW);
    if (!g || !s)
        return 1;
    int (*fn)(void) = (int (*)(void))dlsym(g, "gone_fn");
    int *data = (int *)dlsym(g, "gone_data");
    int *bss = ((int *(*)(void))dlsym(g, "gone_bss_addr"))();
    int (*sfn)(void) = (int (*)(void))dlsym(s, "stay_fn");
    int *sdata = (int *)dlsym(s, "stay_data");

    Dl_info info;
    int r = dladdr((void *)fn, &info);
    printf("open: gone_fn %d %s %s\n", r, r ? base(info.dli_fname) : "-", r && info.dli_sname ? info.dli_sname : "-");
    r = dladdr(&data[2], &info);
    printf("open: gone_data[2] %d %s %s\n", r, r ? base(info.dli_fname) : "-", r && info.dli_sname ? info.dli_sname : "-");
    r = dladdr(bss, &info);
    printf("open: gone_bss %d %s\n", r, r ? base(info.dli_fname) : "-");
    printf("gone_fn() = %d\n", fn());

    int closed_g = dlclose(g);
    int closed_s = dlclose(s);
    /* Ask before anything else can be mapped: results kept, printed afterwards. */
    int after_fn = dladdr((void *)fn, &info);
    int after_data = dladdr(&data[2], &info);
    int after_bss = dladdr(bss, &info);
    Dl_info sinfo;
    int stay_r = dladdr((void *)sfn, &sinfo);
    int stay_d = dladdr(&sdata[1], &info);
    const char *stay_name = stay_r && sinfo.dli_sname ? sinfo.dli_sname : "-";

    printf("dlclose: %d %d\n", closed_g, closed_s);
    printf("closed: gone_fn %d, gone_data[2] %d, gone_bss %d\n", after_fn, after_data, after_bss);
    printf("libgone still loaded: %s\n", dlopen("libgone.so", RTLD_NOW | RTLD_NOLOAD) ? "yes" : "no");
    printf("kept: stay_fn %d %s, stay_data[1] %d\n", stay_r, stay_name, stay_d);
    printf("stay_fn() = %d\n", sfn());

    /* A fresh load answers again for its new addresses. */
    g = dlopen("libgone.so", RTLD_NOW);
    if (!g)
        return 1;
    fn = (int (*)(void))dlsym(g, "gone_fn");
    data = (int *)dlsym(g, "gone_data");
    r = dladdr((void *)fn, &info);
    printf("reopened: gone_fn %d %s\n", r, r ? base(info.dli_fname) : "-");
    r = dladdr(data, &info);
    printf("reopened: gone_data %d %s\n", r, r && info.dli_sname ? info.dli_sname : "-");
    dlclose(g);
    return 0;
}
