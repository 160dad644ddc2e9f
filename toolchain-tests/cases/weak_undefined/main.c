#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

int wk_optional(int v) { return v * 10; }
int wk_present_data = 77;

int main(void)
{
    void *h = dlopen("libweak.so", RTLD_NOW);
    printf("dlopen with unresolved weak references: %s\n", h ? "non-NULL" : "NULL");
    if (!h)
        return 1;
    ((void (*)(void))dlsym(h, "wk_report"))();
    int (*(*optional_ptr)(void))(int) = (int (*(*)(void))(int))dlsym(h, "wk_optional_ptr");
    int *(*present_addr)(void) = (int *(*)(void))dlsym(h, "wk_present_addr");
    printf("library's wk_optional is the program's: %s\n", optional_ptr() == wk_optional ? "yes" : "no");
    printf("library's &wk_present_data is the program's: %s\n", present_addr() == &wk_present_data ? "yes" : "no");
    dlclose(h);
    return 0;
}
