#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

int main(void)
{
    void *h = dlopen("libshapes.so", RTLD_NOW);
    if (!h) {
        printf("dlopen failed\n");
        return 1;
    }
    int (*count)(void) = (int (*)(void))dlsym(h, "shapes_count");
    const char *(*name)(int) = (const char *(*)(int))dlsym(h, "shapes_name");
    int (*area)(int) = (int (*)(int))dlsym(h, "shapes_area");
    int (*scaled)(int, int) = (int (*)(int, int))dlsym(h, "shapes_scaled");
    int (*find)(const char *) = (int (*)(const char *))dlsym(h, "shapes_find");
    for (int i = 0; i < count(); i++)
        printf("%s: area %d, scaled by 3: %d\n", name(i), area(i), scaled(i, 3));
    printf("find(\"square\") = %d, find(\"circle\") = %d\n", find("square"), find("circle"));
    dlclose(h);
    return 0;
}
