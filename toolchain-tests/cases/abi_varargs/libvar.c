/* Variadic functions in a library, a va_list handed over from the program, and a call to the
 * program's own variadic function. */
#include <stdarg.h>
#include <stdio.h>

void prog_log(const char *fmt, ...); /* defined by the program */

int var_sum(int n, ...)
{
    va_list ap;
    va_start(ap, n);
    int s = 0;
    for (int i = 0; i < n; i++)
        s += va_arg(ap, int);
    va_end(ap);
    return s;
}

double var_mean(int n, ...)
{
    va_list ap;
    va_start(ap, n);
    double s = 0;
    for (int i = 0; i < n; i++)
        s += va_arg(ap, double);
    va_end(ap);
    return n ? s / n : 0;
}

long long var_mixed(const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    long long acc = 0;
    for (const char *t = types; *t; t++) {
        switch (*t) {
        case 'i': acc = acc * 10 + va_arg(ap, int); break;
        case 'L': acc += va_arg(ap, long long); break;
        case 'd': acc += (long long)(va_arg(ap, double) * 100); break;
        case 's': for (const char *s = va_arg(ap, const char *); *s; s++) acc += *s; break;
        }
    }
    va_end(ap);
    return acc;
}

int var_vformat(char *buf, size_t n, const char *fmt, va_list ap) { return vsnprintf(buf, n, fmt, ap); }

int var_format(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = var_vformat(buf, n, fmt, ap);
    va_end(ap);
    return r;
}

void var_log_through_program(int x)
{
    prog_log("library says %d, %s, %.2f, %lld", x, "text", 1.5, 1LL << 40);
}
