#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>

/* A library is one file, whatever the name it is opened by: a symlink or a hard link to a
 * loaded library gives the same handle and the same state (glibc compares device and inode). */
static void *open_as(const char *name, void *first)
{
    void *h = dlopen(name, RTLD_NOW);
    if (!h) {
        printf("%s: NULL\n", name);
        return NULL;
    }
    int (*inc)(void) = (int (*)(void))dlsym(h, "foo_inc");
    printf("%s: same handle %s, foo_inc() = %d\n", name, h == first ? "yes" : "no", inc());
    return h;
}

int main(void)
{
    unlink("libfoo.so.1");
    unlink("hard.so");
    if (symlink("libfoo.so", "libfoo.so.1") != 0 || link("libfoo.so", "hard.so") != 0) {
        printf("cannot make links\n");
        return 1;
    }
    void *h = open_as("./libfoo.so", NULL);
    void *s = open_as("./libfoo.so.1", h);
    void *l = open_as("./hard.so", h);
    void *n = dlopen("libfoo.so.1", RTLD_NOW | RTLD_NOLOAD);
    printf("NOLOAD by the symlink's bare name: %s\n", n == h ? "the same handle" : "something else");
    dlclose(n);
    dlclose(l);
    dlclose(s);
    printf("closing the last reference\n");
    dlclose(h);
    unlink("libfoo.so.1");
    unlink("hard.so");
    return 0;
}
