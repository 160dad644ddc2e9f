#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int ends_with(const char *s, const char *suffix)
{
    size_t n = s ? strlen(s) : 0, m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* dli_sname is not printed: glibc reports only a symbol whose extent covers the address (NULL
 * here), a loader may report the nearest symbol below. The library is what must be found. */
static void show(const char *what, const void *addr)
{
    Dl_info info;
    memset(&info, 0, sizeof info);
    int r = dladdr(addr, &info);
    printf("%s: dladdr %s", what, r ? "non-zero" : "0");
    if (r)
        printf(", dli_fname ends with libanon.so: %s", ends_with(info.dli_fname, "libanon.so") ? "yes" : "no");
    printf("\n");
}

int main(void)
{
    void *h = dlopen("libanon.so", RTLD_NOW);
    if (!h)
        return 1;
    const void *(*array_addr)(void) = (const void *(*)(void))dlsym(h, "anon_array_addr");
    int (*(*fn_ptr)(void))(int) = (int (*(*)(void))(int))dlsym(h, "anon_fn_ptr");
    show("static array element", array_addr());
    show("static function", (const void *)fn_ptr());
    printf("static function still callable: %d\n", fn_ptr()(5));
    Dl_info info;
    printf("dladdr(NULL): %s\n", dladdr(NULL, &info) ? "non-zero" : "0");
    /* Neither the stack nor the heap belongs to any object. */
    volatile int on_stack = 1;
    printf("dladdr(a stack variable): %s\n", dladdr((const void *)&on_stack, &info) ? "non-zero" : "0");
    void *block = malloc(64);
    printf("dladdr(a heap block): %s\n", dladdr(block, &info) ? "non-zero" : "0");
    free(block);
    dlclose(h);
    return 0;
}
