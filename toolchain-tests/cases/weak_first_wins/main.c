#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

/* glibc takes the first definition in lookup order, weak or strong (a strong definition later
 * in the scope does not beat an earlier weak one; LD_DYNAMIC_WEAK is not set). */

int main(void)
{
    void *a = dlopen("libwfa.so", RTLD_NOW | RTLD_GLOBAL);
    void *b = dlopen("libwfb.so", RTLD_NOW | RTLD_GLOBAL);
    void *u = dlopen("libwfuser.so", RTLD_NOW);
    if (!a || !b || !u) {
        printf("dlopen failed\n");
        return 1;
    }
    const char *(*who)(void) = (const char *(*)(void))dlsym(u, "wfuser_who");
    int (*data)(void) = (int (*)(void))dlsym(u, "wfuser_data");
    printf("libwfuser calls %s\n", who());
    printf("libwfuser reads wf_data = %d\n", data());
    const char *(*def)(void) = (const char *(*)(void))dlsym(RTLD_DEFAULT, "wf_who");
    printf("RTLD_DEFAULT wf_who: %s\n", def());
    printf("RTLD_DEFAULT wf_data = %d\n", *(int *)dlsym(RTLD_DEFAULT, "wf_data"));
    printf("libwfb's own: %s\n", ((const char *(*)(void))dlsym(b, "wf_who"))());
    dlclose(u);
    dlclose(b);
    dlclose(a);
    return 0;
}
