#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>

void prog_log(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("[prog_log] ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
}

static int (*lib_vformat)(char *, size_t, const char *, va_list);

/* The program's variadic function hands its va_list to the library. */
static int my_format(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = lib_vformat(buf, n, fmt, ap);
    va_end(ap);
    return r;
}

int main(void)
{
    void *h = dlopen("libvar.so", RTLD_NOW);
    if (!h)
        return 1;
    int (*sum)(int, ...) = (int (*)(int, ...))dlsym(h, "var_sum");
    double (*mean)(int, ...) = (double (*)(int, ...))dlsym(h, "var_mean");
    long long (*mixed)(const char *, ...) = (long long (*)(const char *, ...))dlsym(h, "var_mixed");
    int (*format)(char *, size_t, const char *, ...) = (int (*)(char *, size_t, const char *, ...))dlsym(h, "var_format");
    void (*log_through)(int) = (void (*)(int))dlsym(h, "var_log_through_program");
    lib_vformat = (int (*)(char *, size_t, const char *, va_list))dlsym(h, "var_vformat");

    printf("var_sum(5, 1..5) = %d\n", sum(5, 1, 2, 3, 4, 5));
    printf("var_sum(0) = %d\n", sum(0));
    printf("var_mean(4, ...) = %g\n", mean(4, 1.5, 2.5, 3.0, -1.0));
    printf("var_mixed = %lld\n", mixed("iiLds", 4, 2, 1000000000000LL, 2.5, "AB"));
    char buf[80];
    int n = format(buf, sizeof buf, "%d-%s-%c-%05.1f-%lld", 7, "seven", 'S', 7.26, -7LL);
    printf("var_format: \"%s\" (%d)\n", buf, n);
    n = my_format(buf, sizeof buf, "via va_list: %s %d %x", "ok", 99, 0xbeefu);
    printf("%s (%d)\n", buf, n);
    log_through(3);
    dlclose(h);
    return 0;
}
