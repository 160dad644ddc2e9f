#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

typedef const char *(*namefn)(void);
typedef void *(*getfn)(void);

/* From the libraries the program is linked against (direct references keep them NEEDED even
 * where the linker drops unused libraries). */
const char *nf_name(void);
void *nf_real_next(void);

static const char *yes(int b) { return b ? "yes" : "no"; }

int main(void)
{
    void *w = dlopen("libnfwrap.so", RTLD_NOW | RTLD_GLOBAL);
    void *r = dlopen("libnfreal.so", RTLD_NOW | RTLD_GLOBAL);
    void *l = dlopen("libnflast.so", RTLD_NOW | RTLD_LOCAL);
    if (!w || !r || !l)
        return 1;
    void *real = dlsym(r, "nf_name");
    printf("RTLD_DEFAULT nf_name: %s\n", ((namefn)dlsym(RTLD_DEFAULT, "nf_name"))());
    printf("RTLD_NEXT from libnfwrap, direct: %s\n", yes(((getfn)dlsym(w, "nf_wrap_next_direct"))() == real));
    printf("RTLD_NEXT from libnfwrap, through a pointer to dlsym: %s\n", yes(((getfn)dlsym(w, "nf_wrap_next_pointer"))() == real));
    printf("RTLD_NEXT from libnfwrap, through its own wrapper: %s\n", yes(((getfn)dlsym(w, "nf_wrap_next_wrapper"))() == real));
    void *(*lookup)(const char *) = (void *(*)(const char *))dlsym(w, "nf_lookup_next");
    printf("RTLD_NEXT from libnfwrap, asked by the program: %s\n", yes(lookup("nf_name") == real));
    printf("RTLD_NEXT from libnfwrap for a local library's symbol: %s\n", lookup("nf_last_only") ? "found" : "NULL");
    printf("RTLD_NEXT from libnfreal: %s\n", nf_real_next() ? "found" : "NULL");
    printf("direct call: %s\n", nf_name());
    printf("RTLD_NEXT from the program: %s\n", yes(dlsym(RTLD_NEXT, "nf_name") == dlsym(w, "nf_name")));
    void *root = dlopen("libnfroot.so", RTLD_NOW | RTLD_LOCAL);
    void *mid = dlopen("libnfmid.so", RTLD_NOW | RTLD_NOLOAD);
    void *base = dlopen("libnfbase.so", RTLD_NOW | RTLD_NOLOAD);
    if (!root || !mid || !base)
        return 1;
    void *found = ((getfn)dlsym(mid, "nf_mid_next"))();
    printf("RTLD_NEXT from libnfmid (needed by libnfroot): %s\n", found ? ((namefn)found)() : "NULL");
    printf("  is libnfbase's: %s\n", yes(found == dlsym(base, "nf_chain")));
    dlclose(base);
    dlclose(mid);
    dlclose(root);
    dlclose(l);
    dlclose(r);
    dlclose(w);
    return 0;
}
