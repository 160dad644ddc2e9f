#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

/* A dlopen mode must contain RTLD_LAZY or RTLD_NOW: otherwise NULL and glibc's message
 * (naming the file as given), nothing loaded, no constructor run. */
static void try_mode(const char *what, const char *file, int mode)
{
    void *h = dlopen(file, mode);
    const char *err = dlerror();
    printf("%s: %s, dlerror: %s\n", what, h ? "handle" : "NULL", err ? err : "(none)");
}

int main(void)
{
    try_mode("mode 0", "libok.so", 0);
    try_mode("RTLD_GLOBAL alone", "libok.so", RTLD_GLOBAL);
    try_mode("RTLD_NOLOAD alone", "libok.so", RTLD_NOLOAD);
    try_mode("dlopen(NULL, 0)", NULL, 0);
    void *h = dlopen("libok.so", RTLD_LAZY);
    if (!h)
        return 1;
    printf("RTLD_LAZY: ok_value() = %d\n", ((int (*)(void))dlsym(h, "ok_value"))());
    dlclose(h);
    return 0;
}
