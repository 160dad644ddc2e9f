/* 64-bit integer and floating-point arithmetic across the module boundary. */
long long num_mul(long long a, long long b) { return a * b; }
long long num_div(long long a, long long b) { return a / b; }
long long num_mod(long long a, long long b) { return a % b; }
unsigned long long num_wrap_add(unsigned long long a, unsigned long long b) { return a + b; }
unsigned long long num_shift(unsigned long long v, int left, int right) { return (v << left) >> right; }
long long num_from_double(double d) { return (long long)d; }
double num_from_ll(long long v) { return (double)v; }
double num_poly(double x) { return ((2.5 * x - 1.25) * x + 0.1) * x - 3.0; }
float num_fhalf(float f) { return f / 2.0f; }
double num_sqrt(double v) /* Newton's method: no libm needed */
{
    double x = v > 1 ? v : 1;
    for (int i = 0; i < 60; i++)
        x = 0.5 * (x + v / x);
    return x;
}
long long num_accumulate(int n, const long long *v)
{
    long long s = 0;
    for (int i = 0; i < n; i++)
        s += v[i];
    return s;
}
double num_global = 0.1;
long long num_big_global = 9000000000000000000LL;
