#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

/* glibc's dlerror state: every dlopen, dlsym, dlclose and dlinfo call starts by discarding an
 * error nobody read, so after a successful call dlerror() is NULL; dladdr never touches it. */

static void fail_lookup(void *h)
{
    void *p = dlsym(h, "erc_missing");
    printf("  failed dlsym: %s\n", p ? "found" : "NULL");
}

static void report(const char *what)
{
    const char *e = dlerror();
    if (e == NULL)
        printf("%s: dlerror NULL\n", what);
    else if (strstr(e, "erc_missing") != NULL)
        printf("%s: dlerror names erc_missing\n", what);
    else if (strstr(e, "erc_nobody_defines_this") != NULL)
        printf("%s: dlerror names erc_nobody_defines_this\n", what);
    else if (strstr(e, "liberc_absent.so") != NULL)
        printf("%s: dlerror names liberc_absent.so\n", what);
    else
        printf("%s: dlerror other\n", what);
}

int main(void)
{
    void *h = dlopen("liberc.so", RTLD_NOW);
    if (!h) {
        printf("dlopen liberc.so failed\n");
        return 1;
    }

    fail_lookup(h);
    report("failure read at once");
    report("read again");

    fail_lookup(h);
    void *v = dlsym(h, "erc_value");
    printf("  dlsym erc_value: %s\n", v ? "found" : "NULL");
    report("after a successful dlsym");

    void *absent = dlopen("liberc_absent.so", RTLD_NOW);
    printf("  dlopen absent: %s\n", absent ? "handle" : "NULL");
    void *again = dlopen("liberc.so", RTLD_LAZY);
    printf("  dlopen again: %s\n", again == h ? "same handle" : "other");
    report("after a successful dlopen");

    fail_lookup(h);
    printf("  dlclose: %d\n", dlclose(again));
    report("after a successful dlclose");

    fail_lookup(h);
    Lmid_t lmid = -5;
    int rc = dlinfo(h, RTLD_DI_LMID, &lmid);
    printf("  dlinfo: %d, lmid %ld\n", rc, (long)lmid);
    report("after a successful dlinfo");

    fail_lookup(h);
    void *none = dlopen("libercnest.so", RTLD_NOW | RTLD_NOLOAD);
    printf("  NOLOAD of an unloaded library: %s\n", none ? "handle" : "NULL");
    report("after a NOLOAD that found nothing");

    fail_lookup(h);
    void *self = dlopen(NULL, RTLD_NOW);
    printf("  dlopen(NULL): %s\n", self ? "handle" : "NULL");
    report("after dlopen(NULL)");

    /* dladdr neither clears nor sets dlerror. */
    fail_lookup(h);
    Dl_info info;
    int found = dladdr(dlsym(h, "erc_data"), &info);
    report("after a dlsym and a dladdr that found it");
    printf("  dladdr found: %s\n", found ? "yes" : "no");
    fail_lookup(h);
    found = dladdr(&info, &info);
    printf("  dladdr of a stack address: %d\n", found);
    report("after a failed dladdr");
    report("read again");
    found = dladdr(&info, &info);
    report("a failed dladdr alone");

    /* A constructor's failed lookup during a dlopen that succeeds. */
    void *nest = dlopen("libercnest.so", RTLD_NOW);
    printf("  dlopen libercnest.so: %s\n", nest ? "handle" : "NULL");
    report("after a dlopen whose constructor's lookup failed");

    dlclose(nest);
    dlclose(h);
    report("at the end");
    return 0;
}
