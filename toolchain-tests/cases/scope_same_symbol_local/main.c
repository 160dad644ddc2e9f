#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

typedef const char *(*strfn)(void);

int main(void)
{
    void *h1 = dlopen("libtwin1.so", RTLD_NOW | RTLD_LOCAL);
    void *h2 = dlopen("libtwin2.so", RTLD_NOW | RTLD_LOCAL);
    if (!h1 || !h2)
        return 1;
    printf("twin_name via h1: %s, via h2: %s\n", ((strfn)dlsym(h1, "twin_name"))(), ((strfn)dlsym(h2, "twin_name"))());
    int *v1 = (int *)dlsym(h1, "twin_value");
    int *v2 = (int *)dlsym(h2, "twin_value");
    printf("twin_value via h1: %d, via h2: %d, addresses %s\n", *v1, *v2, v1 == v2 ? "same" : "different");
    int *(*addr1)(void) = (int *(*)(void))dlsym(h1, "twin_value_addr");
    int *(*addr2)(void) = (int *(*)(void))dlsym(h2, "twin_value_addr");
    printf("each library's own &twin_value matches its handle: %s, %s\n", addr1() == v1 ? "yes" : "no",
           addr2() == v2 ? "yes" : "no");
    *v2 = 20;
    printf("after writing 20 through h2: twin1 reads %d, twin2 reads %d\n", ((int (*)(void))dlsym(h1, "twin_read"))(),
           ((int (*)(void))dlsym(h2, "twin_read"))());
    printf("RTLD_DEFAULT twin_name: %s\n", dlsym(RTLD_DEFAULT, "twin_name") ? "found" : "NULL");
    dlerror();
    dlclose(h1);
    printf("after closing twin1, h2 still says %s\n", ((strfn)dlsym(h2, "twin_name"))());
    dlclose(h2);
    return 0;
}
