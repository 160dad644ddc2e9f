#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

int main(void)
{
    /* The program itself uses none of them. */
    void *h = dlopen("libemu.so", RTLD_NOW);
    if (!h) {
        printf("dlopen failed\n");
        return 1;
    }
    const char *names[] = {"emu_mmap", "emu_signal", "emu_process"};
    for (int i = 0; i < 3; i++) {
        int (*f)(void) = (int (*)(void))dlsym(h, names[i]);
        printf("%s: %d\n", names[i], f ? f() : -100);
    }
    return dlclose(h);
}
