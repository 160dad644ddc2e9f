#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>

int main(void)
{
    void *h = dlopen("libparse.so", RTLD_NOW);
    if (!h)
        return 1;
    long (*parse)(const char *, int, int *) = (long (*)(const char *, int, int *))dlsym(h, "parse_long");
    int (*is_max)(long) = (int (*)(long))dlsym(h, "parse_is_long_max");
    int (*read_errno)(void) = (int (*)(void))dlsym(h, "parse_read_errno");
    void (*set_errno)(int) = (void (*)(int))dlsym(h, "parse_set_errno");
    int (*lib_erange)(void) = (int (*)(void))dlsym(h, "parse_erange");
    int (*lib_einval)(void) = (int (*)(void))dlsym(h, "parse_einval");

    printf("ERANGE and EINVAL agree: %s\n", lib_erange() == ERANGE && lib_einval() == EINVAL ? "yes" : "no");
    int used;
    errno = 0;
    long v = parse("  12345xyz", 10, &used);
    printf("parse \"  12345xyz\": %ld, consumed %d, errno %s\n", v, used, errno == 0 ? "0" : "set");
    v = parse("-ff", 16, &used);
    printf("parse \"-ff\" base 16: %ld, consumed %d\n", v, used);
    v = parse("0x1F", 0, &used);
    printf("parse \"0x1F\" base 0: %ld, consumed %d\n", v, used);
    errno = 0;
    v = parse("999999999999999999999999", 10, &used);
    printf("parse overflow: LONG_MAX %s, consumed %d, errno is ERANGE in the program: %s\n", is_max(v) ? "yes" : "no",
           used, errno == ERANGE ? "yes" : "no");
    errno = EINVAL;
    printf("program set EINVAL, library reads EINVAL: %s\n", read_errno() == EINVAL ? "yes" : "no");
    set_errno(0);
    printf("library cleared errno, program reads 0: %s\n", errno == 0 ? "yes" : "no");
    set_errno(ERANGE);
    printf("library set ERANGE, program reads ERANGE: %s\n", errno == ERANGE ? "yes" : "no");
    dlclose(h);
    return 0;
}
