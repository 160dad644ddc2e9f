#include <stdint.h>

/* Signatures that appear nowhere else in the program: each needs its own function type when
 * called through a pointer across modules. */
int sig_thirteen(int a, int b, int c, int d, int e, int f, int g, int h, int i, int j, int k,
                 int l, int m)
{
    return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g + 8 * h + 9 * i + 10 * j + 11 * k +
           12 * l + 13 * m;
}

double sig_mixed(float a, int64_t b, double c, int8_t d, uint16_t e, float f)
{
    return a + (double)b + c + d + e + f;
}

int64_t sig_wide(int64_t a, int32_t b, int64_t c, uint32_t d) { return a * b - c + (int64_t)d; }

void sig_void(int *out, short s, unsigned char u, float f) { *out = s + u + (int)(f * 2); }

float sig_float(void) { return 1.25f; }

/* Calls a program function whose type only the program and this call know. */
typedef double (*prog_cb)(int64_t, float, int, double, int64_t);
double sig_call_back(prog_cb cb) { return cb(1000000000000LL, 0.5f, -3, 2.25, -7); }

/* Hands out a pointer to a function of a fresh signature. */
static long long sig_hidden(char a, long long b, short c) { return a + b + c; }
void *sig_hidden_ptr(void) { return (void *)sig_hidden; }
