#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

static int ctors, dtors;
void prog_ctor(void) { ctors++; }
void prog_dtor(void) { dtors++; }

int main(void)
{
    int all_fresh = 1, calls_ok = 1;
    for (int round = 1; round <= 300; round++) {
        void *h = dlopen("libcycle.so", RTLD_NOW);
        if (!h) {
            printf("round %d: dlopen failed\n", round);
            return 1;
        }
        int (*work)(int) = (int (*)(int))dlsym(h, "cycle_work");
        int (*(*get_twice)(void))(int) = (int (*(*)(void))(int))dlsym(h, "cycle_get_twice");
        if (!work || !get_twice) {
            printf("round %d: dlsym failed\n", round);
            return 1;
        }
        if (!work(round))
            all_fresh = 0;
        if (get_twice()(round) != 2 * round)
            calls_ok = 0;
        if (ctors != round || dtors != round - 1) {
            printf("round %d: %d ctors, %d dtors\n", round, ctors, dtors);
            return 1;
        }
        if (dlclose(h) != 0) {
            printf("round %d: dlclose failed\n", round);
            return 1;
        }
        if (round % 100 == 0)
            printf("%d rounds: ctors %d, dtors %d\n", round, ctors, dtors);
    }
    printf("every instance fresh: %s\n", all_fresh ? "yes" : "no");
    printf("every call right: %s\n", calls_ok ? "yes" : "no");
    return 0;
}
