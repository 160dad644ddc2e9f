#include <dlfcn.h>
#include <stdio.h>

typedef int (*intfn)(void);

/* Looks up all 128 names (and 64 absent ones) in `h`; returns how many answered right. */
static int round_of_lookups(void *h, intfn *seen, int *stable)
{
    int right = 0;
    char name[96];
    for (int tens = 1; tens <= 8; tens++) {
        for (int unit = 0; unit < 8; unit++) {
            int i = tens * 10 + unit;
            snprintf(name, sizeof name, "a_function_name_that_is_longer_than_forty_bytes_number_%d", i);
            intfn f = (intfn)dlsym(h, name);
            if (f && f() == 1000 + i)
                right++;
            if (seen[i] && seen[i] != f)
                *stable = 0;
            seen[i] = f;
            snprintf(name, sizeof name, "s_%d", i);
            intfn g = (intfn)dlsym(h, name);
            if (g && g() == i)
                right++;
            /* Same 48-byte prefix, another number: nobody defines it. */
            snprintf(name, sizeof name, "a_function_name_that_is_longer_than_forty_bytes_number_%d", i + 100);
            if (dlsym(h, name) == NULL && dlerror() != NULL)
                right++;
        }
    }
    return right;
}

int main(void)
{
    intfn seen[100] = {0};
    int stable = 1;
    void *h = dlopen("libmemo.so", RTLD_NOW);
    if (!h) {
        printf("dlopen: %s\n", dlerror());
        return 1;
    }
    for (int round = 0; round < 3; round++)
        printf("round %d: %d of 192 right\n", round, round_of_lookups(h, seen, &stable));
    printf("the same function each time: %s\n", stable ? "yes" : "no");

    /* Another library comes and goes between rounds. */
    void *o = dlopen("libother.so", RTLD_NOW);
    printf("round 3: %d of 192 right\n", round_of_lookups(h, seen, &stable));
    dlclose(o);
    printf("round 4: %d of 192 right\n", round_of_lookups(h, seen, &stable));
    printf("still the same function: %s\n", stable ? "yes" : "no");

    /* The library itself goes and comes back: answers for the old handle must not be reused. */
    dlclose(h);
    void *again = dlopen("libmemo.so", RTLD_NOW);
    intfn fresh[100] = {0};
    int fresh_stable = 1;
    for (int round = 5; round < 7; round++)
        printf("round %d: %d of 192 right\n", round, round_of_lookups(again, fresh, &fresh_stable));
    printf("the same function each time after the reopen: %s\n", fresh_stable ? "yes" : "no");
    printf("a short name is not a long one: %s\n",
           dlsym(again, "a_function_name_that_is_longer_than_forty_bytes_number_") == NULL ? "yes" : "no");
    return dlclose(again);
}
