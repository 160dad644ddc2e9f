#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>

/* Paths with a '/' are files from the working directory, also after chdir(). */
int main(void)
{
    if (rename("libsub.so", "sub/libsub.so") != 0 || chdir("sub") != 0) {
        printf("cannot set up\n");
        return 1;
    }
    void *h = dlopen("./libsub.so", RTLD_NOW);
    printf("after chdir(sub), ./libsub.so: %s\n", h ? "found" : "NULL");
    if (!h)
        return 1;
    printf("sub_value() = %d\n", ((int (*)(void))dlsym(h, "sub_value"))());
    void *again = dlopen("../sub/libsub.so", RTLD_NOW);
    printf("../sub/libsub.so is the same library: %s\n", again == h ? "yes" : "no");
    void *missing = dlopen("./libnone.so", RTLD_NOW);
    printf("./libnone.so: %s\n", missing ? "found" : "NULL");
    if (chdir("..") != 0)
        return 1;
    void *back = dlopen("sub/libsub.so", RTLD_NOW);
    printf("after chdir(..), sub/libsub.so is the same library: %s\n", back == h ? "yes" : "no");
    dlclose(back);
    dlclose(again);
    dlclose(h);
    return 0;
}
