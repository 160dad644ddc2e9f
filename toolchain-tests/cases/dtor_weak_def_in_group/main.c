/* A weak definition nothing calls is no dependency, also when the library that defines the
 * name strongly is in the same dlopen group and instantiated after it: closing that library
 * unloads it while the weak definer stays in use. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

int main(void)
{
    void *a = dlopen("libwda.so", RTLD_NOW);
    void *c = dlopen("libwdc.so", RTLD_NOW);
    if (!a || !c) {
        printf("dlopen failed\n");
        return 1;
    }
    int (*wdc_value)(void) = (int (*)(void))dlsym(c, "wdc_value");
    printf("wdc_value %d\n", wdc_value ? wdc_value() : -1);
    printf("close wda\n");
    dlclose(a);
    void *again = dlopen("libwda.so", RTLD_NOW | RTLD_NOLOAD);
    printf("wda still loaded: %s\n", again ? "yes" : "no");
    printf("close wdc\n");
    dlclose(c);
    printf("done\n");
    return 0;
}
