#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

void prog_note(const char *what) { printf("[program] destroyed %s\n", what); }

int main(void)
{
    printf("dlopen\n");
    void *h = dlopen("libobjects.so", RTLD_NOW);
    if (!h) {
        printf("dlopen failed\n");
        return 1;
    }
    int (*sum)(void) = (int (*)(void))dlsym(h, "objects_sum");
    void (*set_third)(int) = (void (*)(int))dlsym(h, "objects_set_third");
    printf("objects_sum() = %d\n", sum());
    set_third(99);
    printf("dlclose\n");
    dlclose(h);
    printf("after dlclose\n");
    return 0;
}
