#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

static int (*lib_is_odd)(int);
static int (*lib_collatz_step)(long long, int);
typedef long long (*foldfn)(int, void *);
static long long (*lib_fold)(int, foldfn, void *);

int prog_is_even(int n) { return n == 0 ? 1 : lib_is_odd(n - 1); }

int prog_collatz_step(long long n, int steps)
{
    if (n == 1)
        return steps;
    return n % 2 ? lib_collatz_step(n, steps) : prog_collatz_step(n / 2, steps + 1);
}

static int depth, max_depth;

/* f(n) = n*n + fold(n-1): goes program -> library -> program ... */
static long long square_step(int n, void *ctx)
{
    depth++;
    if (depth > max_depth)
        max_depth = depth;
    long long r = (long long)n * n + lib_fold(n - 1, square_step, ctx);
    depth--;
    return r;
}

int main(void)
{
    void *h = dlopen("librec.so", RTLD_NOW);
    if (!h)
        return 1;
    lib_is_odd = (int (*)(int))dlsym(h, "lib_is_odd");
    lib_collatz_step = (int (*)(long long, int))dlsym(h, "lib_collatz_step");
    lib_fold = (long long (*)(int, foldfn, void *))dlsym(h, "lib_fold");
    printf("is_even(1000) = %d, is_even(777) = %d, is_odd(999) = %d\n", prog_is_even(1000), prog_is_even(777),
           lib_is_odd(999));
    printf("collatz steps: 27 -> %d, 97 -> %d, 871 -> %d\n", prog_collatz_step(27, 0), prog_collatz_step(97, 0),
           prog_collatz_step(871, 0));
    long long folded = lib_fold(500, square_step, NULL);
    printf("fold squares 1..500 = %lld, depth %d\n", folded, max_depth);
    dlclose(h);
    return 0;
}
