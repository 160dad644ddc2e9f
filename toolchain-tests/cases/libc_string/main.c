#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
    void *h = dlopen("libstr.so", RTLD_NOW);
    if (!h)
        return 1;
    int (*format)(char *, size_t, const char *, int, double) = (int (*)(char *, size_t, const char *, int, double))dlsym(h, "str_format");
    size_t (*len)(const char *) = (size_t (*)(const char *))dlsym(h, "str_len");
    void (*copy)(void *, const void *, size_t) = (void (*)(void *, const void *, size_t))dlsym(h, "str_copy");
    void (*shift)(char *, size_t) = (void (*)(char *, size_t))dlsym(h, "str_shift");
    void (*fill)(char *, int, size_t) = (void (*)(char *, int, size_t))dlsym(h, "str_fill");
    int (*compare)(const char *, const char *) = (int (*)(const char *, const char *))dlsym(h, "str_compare");
    const char *(*find)(const char *, int) = (const char *(*)(const char *, int))dlsym(h, "str_find");
    void (*upper)(char *) = (void (*)(char *))dlsym(h, "str_upper");
    const char *(*literal)(void) = (const char *(*)(void))dlsym(h, "str_literal");

    char buf[64];
    int n = format(buf, sizeof buf, "item", 42, 2.0 / 3.0);
    printf("format: \"%s\" (returned %d)\n", buf, n);
    n = format(buf, 8, "truncated", 1, 0.5);
    printf("truncated format: \"%s\" (returned %d)\n", buf, n);
    printf("len(\"hello, world\") = %d\n", (int)len("hello, world"));
    int src[5] = {1, 2, 3, 4, 5}, dst[5] = {0};
    copy(dst, src, sizeof src);
    printf("memcpy: %d %d %d %d %d\n", dst[0], dst[1], dst[2], dst[3], dst[4]);
    char s[16] = "abcdef";
    shift(s, 6);
    printf("memmove: %s\n", s);
    fill(s, '*', 3);
    printf("memset: %s\n", s);
    printf("compare: %d %d %d\n", compare("apple", "banana"), compare("same", "same"), compare("z", "a"));
    const char *text = "find the x here";
    const char *x = find(text, 'x');
    printf("strchr: offset %d, missing %s\n", x ? (int)(x - text) : -1, find(text, 'q') ? "found" : "NULL");
    char up[] = "Mixed Case 123";
    upper(up);
    printf("upper: %s\n", up);
    printf("literal: %s (%d chars)\n", literal(), (int)strlen(literal()));
    dlclose(h);
    return 0;
}
