#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

typedef int (*fn)(int);

static int ends_with(const char *s, const char *suffix)
{
    size_t n = s ? strlen(s) : 0, m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* dladdr on a pointer nobody looked up by name yet. */
static void who(const char *what, const void *addr)
{
    Dl_info info;
    memset(&info, 0, sizeof info);
    if (!dladdr(addr, &info)) {
        printf("%s: dladdr 0\n", what);
        return;
    }
    printf("%s: %s in liblz.so: %s, saddr %s\n", what, info.dli_sname ? info.dli_sname : "NULL",
           ends_with(info.dli_fname, "liblz.so") ? "yes" : "no",
           info.dli_saddr == addr ? "same" : "different");
}

int main(void)
{
    void *lz = dlopen("liblz.so", RTLD_NOW | RTLD_LOCAL);
    if (!lz) {
        printf("dlopen: %s\n", dlerror());
        return 1;
    }
    fn (*get)(int) = (fn (*)(int))dlsym(lz, "lz_get");
    /* First the pointers the library hands out, then the names. */
    fn f5 = get(5), f2 = get(2);
    who("f5 from the library", (const void *)f5);
    printf("f5(1) = %d\n", f5(1));
    printf("dlsym lz_f5 is the library's pointer: %s\n", dlsym(lz, "lz_f5") == (void *)f5 ? "yes" : "no");
    printf("dlsym lz_f2 is the library's pointer: %s\n", dlsym(lz, "lz_f2") == (void *)f2 ? "yes" : "no");
    fn plain = (fn)dlsym(lz, "lz_plain");
    printf("lz_plain(4) = %d\n", plain ? plain(4) : -1);
    who("lz_plain", (const void *)plain);
    printf("lz_plain again: %s\n", dlsym(lz, "lz_plain") == (void *)plain ? "same" : "different");
    int *counter = (int *)dlsym(lz, "lz_counter");
    int *(*counter_addr)(void) = (int *(*)(void))dlsym(lz, "lz_counter_addr");
    printf("lz_counter: %d, the library's own address: %s\n", counter ? *counter : -1,
           counter == counter_addr() ? "yes" : "no");
    const char *text = (const char *)dlsym(lz, "lz_text");
    const char *(*text_addr)(void) = (const char *(*)(void))dlsym(lz, "lz_text_addr");
    printf("lz_text: %s, the library's own address: %s\n", text ? text : "NULL",
           text == text_addr() ? "yes" : "no");

    /* A library linked against liblz, loaded after: same functions, same data. */
    void *user = dlopen("liblzuser.so", RTLD_NOW);
    if (!user) {
        printf("dlopen user: %s\n", dlerror());
        return 1;
    }
    fn (*user_f3)(void) = (fn (*)(void))dlsym(user, "lzuser_f3");
    fn (*user_plain)(void) = (fn (*)(void))dlsym(user, "lzuser_plain");
    int (*user_call)(int) = (int (*)(int))dlsym(user, "lzuser_call");
    int *(*user_counter)(void) = (int *(*)(void))dlsym(user, "lzuser_counter");
    printf("user's lz_f3 is liblz's: %s\n", user_f3() == get(3) ? "yes" : "no");
    printf("user's lz_f3 is dlsym's: %s\n", (void *)user_f3() == dlsym(lz, "lz_f3") ? "yes" : "no");
    printf("user's lz_plain is dlsym's: %s\n", (void *)user_plain() == (void *)plain ? "yes" : "no");
    printf("user's counter is liblz's: %s\n", user_counter() == counter ? "yes" : "no");
    *counter = 2;
    printf("user call(1) = %d\n", user_call(1));
    who("f7 from the library", (const void *)get(7));
    printf("lz_missing: %s\n", dlsym(lz, "lz_missing") ? "found" : "NULL");
    dlclose(user);
    dlclose(lz);
    return 0;
}
