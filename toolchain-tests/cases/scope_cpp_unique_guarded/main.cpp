#include <dlfcn.h>
#include <cstdio>

typedef int (*register_fn)(const char *);
typedef const void *(*registry_fn)(void);

int main()
{
    void *a = dlopen("libgua.so", RTLD_NOW | RTLD_LOCAL);
    void *b = dlopen("libgub.so", RTLD_NOW | RTLD_LOCAL);
    if (!a || !b) {
        std::printf("dlopen failed: %s\n", dlerror());
        return 1;
    }
    register_fn reg_a = (register_fn)dlsym(a, "gua_register");
    register_fn reg_b = (register_fn)dlsym(b, "gub_register");
    int n1 = reg_a("one");
    std::printf("after libgua: %d names\n", n1);
    int n2 = reg_b("two");
    std::printf("after libgub: %d names\n", n2);
    int n3 = reg_a("three");
    std::printf("after libgua again: %d names\n", n3);
    const void *ra = ((registry_fn)dlsym(a, "gua_registry"))();
    const void *rb = ((registry_fn)dlsym(b, "gub_registry"))();
    std::printf("one registry: %s\n", ra == rb ? "yes" : "no");
    return 0;
}
