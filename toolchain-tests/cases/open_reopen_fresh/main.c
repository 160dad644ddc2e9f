#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

static int total_ctor_runs;
void prog_ctor_ran(void) { total_ctor_runs++; }

int main(void)
{
    for (int round = 1; round <= 3; round++) {
        printf("round %d\n", round);
        void *h = dlopen("librenew.so", RTLD_NOW);
        if (!h)
            return 1;
        void (*modify)(void) = (void (*)(void))dlsym(h, "renew_modify");
        int (*runs)(void) = (int (*)(void))dlsym(h, "renew_ctor_runs");
        modify();
        printf("after modify: ctor_runs %d, renew_counter %d\n", runs(), *(int *)dlsym(h, "renew_counter"));
        dlclose(h);
    }
    printf("constructors run in total: %d\n", total_ctor_runs);
    return 0;
}
