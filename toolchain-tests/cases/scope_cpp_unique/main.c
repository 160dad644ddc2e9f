#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

typedef int (*bump_fn)(void);
typedef void *(*addr_fn)(void);

int main(void)
{
    void *a = dlopen("libuqa.so", RTLD_NOW | RTLD_LOCAL);
    void *b = dlopen("libuqb.so", RTLD_NOW | RTLD_LOCAL);
    if (!a || !b) {
        printf("dlopen failed\n");
        return 1;
    }
    bump_fn bump_a = (bump_fn)dlsym(a, "uqa_bump");
    bump_fn bump_b = (bump_fn)dlsym(b, "uqb_bump");
    int first = bump_a();
    printf("libuqa bump: %d\n", first);
    int second = bump_b();
    printf("libuqb bump: %d\n", second);
    const char *what[3] = {"variable template", "template static member", "inline function's static"};
    const char *suffix[3] = {"inline_address", "template_address", "static_address"};
    for (int i = 0; i < 3; i++) {
        char name_a[64], name_b[64];
        snprintf(name_a, sizeof name_a, "uqa_%s", suffix[i]);
        snprintf(name_b, sizeof name_b, "uqb_%s", suffix[i]);
        void *pa = ((addr_fn)dlsym(a, name_a))();
        void *pb = ((addr_fn)dlsym(b, name_b))();
        printf("%s: %s object\n", what[i], pa == pb ? "one" : "two");
    }
    /* The library whose definitions every other one uses cannot go (glibc marks it NODELETE);
     * the other one can. */
    dlclose(a);
    dlclose(b);
    printf("libuqa loaded: %s\n", dlopen("libuqa.so", RTLD_NOW | RTLD_NOLOAD) ? "yes" : "no");
    printf("libuqb loaded: %s\n", dlopen("libuqb.so", RTLD_NOW | RTLD_NOLOAD) ? "yes" : "no");
    /* A third copy loaded later joins the same objects. */
    void *c = dlopen("libuqc.so", RTLD_NOW | RTLD_LOCAL);
    int third = ((bump_fn)dlsym(c, "uqc_bump"))();
    printf("libuqc bump: %d\n", third);
    dlclose(c);
    printf("main returns\n");
    return 0;
}
