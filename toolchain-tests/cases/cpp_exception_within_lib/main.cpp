#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

// A C++ library throws and catches exceptions inside itself (a C++ program: side modules
// take the C++ runtime from it).
int main(void)
{
    void *h = dlopen("libparse.so", RTLD_NOW);
    if (!h) {
        printf("dlopen failed\n");
        return 1;
    }
    int (*sum)(const char *) = (int (*)(const char *))dlsym(h, "lib_sum");
    int (*captured)(void) = (int (*)(void))dlsym(h, "lib_captured");
    int (*function_try)(int) = (int (*)(int))dlsym(h, "lib_function_try");
    const char *inputs[] = {"123", "12x4", "", "9"};
    for (int i = 0; i < 4; i++) {
        printf("sum(\"%s\"):\n", inputs[i]);
        int r = sum(inputs[i]);
        printf("  = %d\n", r);
    }
    printf("captured:\n");
    int c = captured();
    printf("  = %d\n", c);
    int a = function_try(2), b = function_try(5);
    printf("function try: %d %d\n", a, b);
    return 0;
}
