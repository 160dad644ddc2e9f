#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* `..` is resolved by the file system, not by the text: after a symbolic link to a/b,
 * `l/../libdd.so` is a/libdd.so (the link's target's parent), not ./libdd.so; after a file,
 * `libdd.so/../libdd.so` is no path at all (Not a directory). */

static void try_open(const char *name)
{
    void *h = dlopen(name, RTLD_NOW);
    const char *err = dlerror();
    if (h) {
        printf("dlopen(%s): dd_where() = %d\n", name, ((int (*)(void))dlsym(h, "dd_where"))());
        dlclose(h);
    } else {
        printf("dlopen(%s): NULL, names it: %s\n", name, err && strstr(err, name) ? "yes" : "no");
    }
}

int main(void)
{
    unlink("l"); /* left by an earlier run in the same directory */
    if (rename("libddsub.so", "a/libdd.so") != 0 || rename("libddtop.so", "libdd.so") != 0 || symlink("a/b", "l") != 0)
        return 1;
    try_open("./libdd.so");
    try_open("a/libdd.so");
    try_open("a/b/../libdd.so");
    try_open("l/../libdd.so");
    try_open("./l/../libdd.so");
    try_open("libdd.so/../libdd.so");
    try_open("a/libdd.so/../libdd.so");
    return 0;
}
