#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

/* Odd names from the edges of bionic's and glibc's error tests: an empty symbol name, a very
 * long one, a file name with a trailing slash, a very long file name, a name that only differs
 * in case. Each fails with an error, the library keeps working and dlerror is then clear. */

static char long_name[5000];

static void sym(void *h, const char *what, const char *name, const char *expect_in_error)
{
    void *p = dlsym(h, name);
    const char *err = dlerror();
    printf("dlsym(%s): %s, error %s", what, p ? "found" : "NULL", err ? "set" : "not set");
    if (err && expect_in_error)
        printf(", names it: %s", strstr(err, expect_in_error) ? "yes" : "no");
    printf("\n");
}

static void open_(const char *what, const char *name, const char *expect_in_error)
{
    void *h = dlopen(name, RTLD_NOW);
    const char *err = dlerror();
    printf("dlopen(%s): %s, error %s", what, h ? "loaded" : "NULL", err ? "set" : "not set");
    if (err && expect_in_error)
        printf(", names it: %s", strstr(err, expect_in_error) ? "yes" : "no");
    printf("\n");
    if (h)
        dlclose(h);
}

int main(void)
{
    void *h = dlopen("libodd.so", RTLD_NOW);
    if (!h)
        return 1;
    sym(h, "handle, \"\"", "", NULL);
    sym(RTLD_DEFAULT, "RTLD_DEFAULT, \"\"", "", NULL);
    memset(long_name, 'q', sizeof long_name - 1);
    sym(h, "handle, 4999 characters", long_name, "qqqqqqqqqqqqqqqq");
    sym(h, "handle, ODD_VALUE", "ODD_VALUE", "ODD_VALUE");
    sym(h, "handle, odd_value ", "odd_value ", NULL);
    printf("odd_value() = %d\n", ((int (*)(void))dlsym(h, "odd_value"))());
    printf("dlerror after success: %s\n", dlerror() ? "set" : "NULL");

    open_("libodd.so/", "libodd.so/", "libodd.so");
    open_("./libodd.so/", "./libodd.so/", "libodd.so");
    open_("LIBODD.SO", "LIBODD.SO", "LIBODD.SO");
    memcpy(long_name, "./", 2);
    open_("./ + 4997 characters", long_name, NULL);
    long_name[0] = 'q';
    long_name[1] = 'q';
    open_("4999 characters", long_name, NULL);
    open_("libodd.so again", "libodd.so", NULL);
    dlclose(h);
    return 0;
}
