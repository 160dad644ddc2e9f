#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

#define SYM(type, name) ((type)dlsym(h, name))

int main(void)
{
    void *h = dlopen("libnum.so", RTLD_NOW);
    if (!h)
        return 1;
    typedef long long (*ll2)(long long, long long);
    printf("mul: %lld\n", SYM(ll2, "num_mul")(3000000000LL, 3000000000LL));
    printf("mul negative: %lld\n", SYM(ll2, "num_mul")(-123456789LL, 987654321LL));
    printf("div: %lld, mod: %lld\n", SYM(ll2, "num_div")(-9000000000000000000LL, 7),
           SYM(ll2, "num_mod")(-9000000000000000000LL, 7));
    unsigned long long (*wrap)(unsigned long long, unsigned long long) =
        SYM(unsigned long long (*)(unsigned long long, unsigned long long), "num_wrap_add");
    printf("wrap: %llu %llu\n", wrap(18446744073709551615ULL, 1), wrap(18446744073709551615ULL, 18446744073709551615ULL));
    printf("shift: %llx\n", SYM(unsigned long long (*)(unsigned long long, int, int), "num_shift")(0x00ffffffffffff01ULL, 12, 4));
    printf("from_double: %lld %lld\n", SYM(long long (*)(double), "num_from_double")(-1234567890123.75),
           SYM(long long (*)(double), "num_from_double")(4.5e15));
    printf("from_ll: %.17g\n", SYM(double (*)(long long), "num_from_ll")(9007199254740993LL));
    printf("poly(1.1): %.17g\n", SYM(double (*)(double), "num_poly")(1.1));
    printf("fhalf: %.9g\n", (double)SYM(float (*)(float), "num_fhalf")(3.3f));
    printf("sqrt(2): %.17g\n", SYM(double (*)(double), "num_sqrt")(2.0));
    long long v[] = {1LL << 40, -(1LL << 41), 5, 1LL << 62};
    printf("accumulate: %lld\n", SYM(long long (*)(int, const long long *), "num_accumulate")(4, v));
    double *g = SYM(double *, "num_global");
    long long *bg = SYM(long long *, "num_big_global");
    printf("globals: %.17g %lld\n", *g * 3, *bg + 223372036854775807LL);
    dlclose(h);
    return 0;
}
