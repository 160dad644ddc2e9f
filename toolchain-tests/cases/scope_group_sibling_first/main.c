#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

/* bionic's check_order_reloc_siblings / dt_needed order: every library a dlopen brings in
 * binds its references in the root's breadth-first scope (root, its NEEDED in order, then
 * theirs), so libga's call reaches its sibling libgb before its own dependency libgaa. A
 * library already loaded keeps the bindings of its own load. */

typedef const char *(*ask_fn)(void);

static const char *ask(void *h, const char *name)
{
    ask_fn f = (ask_fn)dlsym(h, name);
    return f ? f() : "(missing)";
}

int main(void)
{
    void *gr = dlopen("libgr.so", RTLD_NOW);
    if (!gr)
        return 1;
    printf("one group: gr_ask() = %s\n", ask(gr, "gr_ask"));
    printf("one group: ga_ask() = %s\n", ask(gr, "ga_ask"));
    printf("one group: dlsym(libgr, grp_answer)() = %s\n", ask(gr, "grp_answer"));
    void *gaa = dlopen("libgaa.so", RTLD_NOW | RTLD_NOLOAD);
    printf("one group: dlsym(libgaa, grp_answer)() = %s\n", gaa ? ask(gaa, "grp_answer") : "(not loaded)");
    if (gaa)
        dlclose(gaa);
    dlclose(gr);
    printf("after dlclose: libga loaded: %s\n", dlopen("libga.so", RTLD_NOW | RTLD_NOLOAD) ? "yes" : "no");

    /* libga first, on its own: its scope is libga, libgaa. */
    void *ga = dlopen("libga.so", RTLD_NOW);
    if (!ga)
        return 1;
    printf("libga alone: ga_ask() = %s\n", ask(ga, "ga_ask"));
    gr = dlopen("libgr.so", RTLD_NOW);
    if (!gr)
        return 1;
    printf("then libgr: gr_ask() = %s\n", ask(gr, "gr_ask"));
    printf("then libgr: ga_ask() = %s\n", ask(gr, "ga_ask"));
    dlclose(gr);
    dlclose(ga);
    return 0;
}
