#define _GNU_SOURCE
#include <dlfcn.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

static double prog_callback(int64_t a, float b, int c, double d, int64_t e)
{
    return (double)(a / 1000000000) + b + c + d + (double)e;
}

int main(void)
{
    void *h = dlopen("libsig.so", RTLD_NOW);
    if (!h) {
        printf("dlopen failed\n");
        return 1;
    }
    int (*thirteen)(int, int, int, int, int, int, int, int, int, int, int, int, int) =
        (int (*)(int, int, int, int, int, int, int, int, int, int, int, int, int))dlsym(h, "sig_thirteen");
    printf("thirteen ints: %d\n", thirteen(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1));
    double (*mixed)(float, int64_t, double, int8_t, uint16_t, float) =
        (double (*)(float, int64_t, double, int8_t, uint16_t, float))dlsym(h, "sig_mixed");
    printf("mixed: %.3f\n", mixed(0.5f, -40, 1.25, -3, 65535, 0.25f));
    int64_t (*wide)(int64_t, int32_t, int64_t, uint32_t) =
        (int64_t(*)(int64_t, int32_t, int64_t, uint32_t))dlsym(h, "sig_wide");
    int64_t w = wide(3000000000LL, -2, 5, 4000000000u);
    printf("wide: %s\n", w == 3000000000LL * -2 - 5 + 4000000000LL ? "right" : "wrong");
    void (*v)(int *, short, unsigned char, float) = (void (*)(int *, short, unsigned char, float))dlsym(h, "sig_void");
    int out = 0;
    v(&out, -300, 200, 2.5f);
    printf("void with out-pointer: %d\n", out);
    float (*fl)(void) = (float (*)(void))dlsym(h, "sig_float");
    printf("float(void): %.2f\n", fl());
    double (*cb)(double (*)(int64_t, float, int, double, int64_t)) =
        (double (*)(double (*)(int64_t, float, int, double, int64_t)))dlsym(h, "sig_call_back");
    printf("callback into the program: %.3f\n", cb(prog_callback));
    long long (*hidden)(char, long long, short) = (long long (*)(char, long long, short))((void *(*)(void))dlsym(h, "sig_hidden_ptr"))();
    printf("static function through a pointer: %lld\n", hidden(2, 40, -1));
    dlclose(h);
    return 0;
}
