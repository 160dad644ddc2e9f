#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

static const char *state(const char *e) { return e ? "non-NULL" : "NULL"; }

int fine_marker(void) { return 1; }

int main(void)
{
    printf("at start: %s\n", state(dlerror()));

    dlsym(RTLD_DEFAULT, "first_missing_symbol");
    char *e = dlerror();
    printf("after a failed dlsym: %s, mentions it: %s\n", state(e), e && strstr(e, "first_missing_symbol") ? "yes" : "no");
    printf("read again: %s\n", state(dlerror()));

    /* Two errors in a row: dlerror reports the last one. */
    dlopen("libfirst_missing.so", RTLD_NOW);
    dlsym(RTLD_DEFAULT, "second_missing_symbol");
    e = dlerror();
    printf("after two errors: %s, mentions the second: %s, mentions the first: %s\n", state(e),
           e && strstr(e, "second_missing_symbol") ? "yes" : "no", e && strstr(e, "libfirst_missing") ? "yes" : "no");
    printf("read again: %s\n", state(dlerror()));

    /* Successful calls do not produce errors. */
    void *h = dlopen("libfine.so", RTLD_NOW);
    dlsym(h, "fine_fn");
    void *self = dlopen(NULL, RTLD_NOW);
    dlsym(self, "fine_marker");
    dlclose(self);
    dlclose(h);
    printf("after successful dlopen/dlsym/dlclose: %s\n", state(dlerror()));

    /* The error state is shared with libraries: an error raised in one is read in the other. */
    h = dlopen("libfine.so", RTLD_NOW);
    int (*try_open)(const char *) = (int (*)(const char *))dlsym(h, "fine_try_open");
    int (*mentions)(const char *) = (int (*)(const char *))dlsym(h, "fine_error_mentions");
    int opened = try_open("libthird_missing.so");
    e = dlerror();
    printf("library's failed dlopen: %d, program's dlerror %s, mentions the file: %s\n", opened, state(e),
           e && strstr(e, "libthird_missing.so") ? "yes" : "no");
    dlsym(h, "fourth_missing_symbol");
    printf("program's failed dlsym, library's dlerror mentions it: %d\n", mentions("fourth_missing_symbol"));
    printf("library reads again: %d\n", mentions("fourth_missing_symbol"));
    printf("program reads: %s\n", state(dlerror()));
    dlclose(h);
    return 0;
}
