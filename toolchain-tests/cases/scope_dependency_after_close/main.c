/* glibc's dlclose gives a library that stays loaded, was looked up in the closed library's
 * scope and has no local scope of its own one now: itself and its direct NEEDED libraries.
 * A later dlopen of it by name finds it open and keeps that scope: dlsym on the handle
 * searches libsqb and libsqc, not libsqd (libsqc's dependency). A library first opened by
 * name gets the whole breadth-first list. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

static void ask(const char *label, void *h, const char *name)
{
    void *p = dlsym(h, name);
    dlerror();
    printf("%s %s: %s\n", label, name, p ? "found" : "not found");
}

int main(void)
{
    void *s = dlopen("libsqs.so", RTLD_NOW);
    void *a = dlopen("libsqa.so", RTLD_NOW);
    if (!s || !a) {
        printf("dlopen failed\n");
        return 1;
    }
    dlclose(a);
    void *b = dlopen("libsqb.so", RTLD_NOW);
    ask("libsqb", b, "sqc_id");
    ask("libsqb", b, "sqd_id");
    /* libsqc was in libsqa's scope as well: its own scope is itself and libsqd. */
    void *c = dlopen("libsqc.so", RTLD_NOW);
    ask("libsqc", c, "sqd_id");
    ask("libsqs", s, "sqd_id");
    dlclose(c);
    dlclose(b);
    dlclose(s);
    /* Opened by name while only a dependency: the whole list, also after a failed dlopen of
     * another library that needs it (glibc never made that one's scope visible). */
    s = dlopen("libsqs.so", RTLD_NOW);
    void *f = dlopen("libsqf.so", RTLD_NOW);
    dlerror();
    printf("libsqf: %s\n", f ? "loaded" : "failed");
    b = dlopen("libsqb.so", RTLD_NOW);
    ask("libsqb again", b, "sqd_id");
    dlclose(b);
    dlclose(s);
    return 0;
}
