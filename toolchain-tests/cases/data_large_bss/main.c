#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

int main(void)
{
    for (int round = 1; round <= 2; round++) {
        void *h = dlopen("libbig.so", RTLD_NOW);
        if (!h)
            return 1;
        unsigned char *pub = (unsigned char *)dlsym(h, "big_public");
        int n = ((int (*)(void))dlsym(h, "big_size"))();
        int zero = 1;
        for (int i = 0; i < n; i++)
            if (pub[i])
                zero = 0;
        printf("round %d: public array zero: %s, private array zero: %s, big_after = %d\n", round,
               zero ? "yes" : "no", ((int (*)(void))dlsym(h, "big_private_is_zero"))() ? "yes" : "no",
               *(int *)dlsym(h, "big_after"));
        unsigned long sum = ((unsigned long (*)(void))dlsym(h, "big_fill"))();
        printf("round %d: filled, checksum %lu, last byte %u, big_after = %d\n", round, sum, pub[n - 1],
               *(int *)dlsym(h, "big_after"));
        dlclose(h);
    }
    return 0;
}
