#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

int main(void)
{
    void *u1 = dlopen("libuse1.so", RTLD_NOW);
    printf("opened libuse1\n");
    void *u2 = dlopen("libuse2.so", RTLD_NOW);
    printf("opened libuse2\n");
    if (!u1 || !u2)
        return 1;
    int (*next1)(void) = (int (*)(void))dlsym(u1, "use1_next");
    int (*next2)(void) = (int (*)(void))dlsym(u2, "use2_next");
    int *(*addr1)(void) = (int *(*)(void))dlsym(u1, "use1_counter_addr");
    int *(*addr2)(void) = (int *(*)(void))dlsym(u2, "use2_counter_addr");
    printf("libshared ctor runs: %d\n", *(int *)dlsym(u1, "shared_ctor_runs"));
    printf("one counter: %s\n", addr1() == addr2() ? "same" : "different");
    int a = next1();
    int b = next2();
    int c = next1();
    printf("next: %d %d %d\n", a, b, c);
    printf("closing libuse1\n");
    dlclose(u1);
    printf("libuse2 still counts on: %d\n", next2());
    printf("closing libuse2\n");
    dlclose(u2);
    printf("done\n");
    return 0;
}
