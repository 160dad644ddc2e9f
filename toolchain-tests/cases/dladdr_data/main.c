#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

int prog_data[4] = {1, 2, 3, 4};

static int ends_with(const char *s, const char *suffix)
{
    size_t n = s ? strlen(s) : 0, m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* addr lies inside the object `base` (named `name`). */
static void show(const char *what, const void *addr, const void *base, const char *file_suffix)
{
    Dl_info info;
    memset(&info, 0, sizeof info);
    int r = dladdr(addr, &info);
    printf("%s: dladdr %s\n", what, r ? "non-zero" : "0");
    if (!r)
        return;
    printf("  dli_sname: %s\n", info.dli_sname ? info.dli_sname : "NULL");
    printf("  dli_saddr is the object's start: %s\n", info.dli_saddr == base ? "yes" : "no");
    if (file_suffix)
        printf("  dli_fname ends with %s: %s\n", file_suffix, ends_with(info.dli_fname, file_suffix) ? "yes" : "no");
}

int main(void)
{
    void *h = dlopen("libdld.so", RTLD_NOW);
    if (!h)
        return 1;
    int *value = (int *)dlsym(h, "dld_value");
    int *array = (int *)dlsym(h, "dld_array");
    const char *text = (const char *)dlsym(h, "dld_text");
    int *zeroed = (int *)dlsym(h, "dld_zeroed");
    show("&dld_value", value, value, "libdld.so");
    show("&dld_array[5]", array + 5, array, "libdld.so");
    show("dld_text + 2", text + 2, text, "libdld.so");
    show("&dld_zeroed[3] (.bss)", zeroed + 3, zeroed, "libdld.so");
    show("&prog_data[1] (program)", &prog_data[1], prog_data, NULL);
    dlclose(h);
    return 0;
}
