#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

static int live;
void prog_live(int delta) { live += delta; }

int main(void)
{
    void *early = dlopen("libearlier.so", RTLD_NOW | RTLD_GLOBAL);
    if (!early)
        return 1;
    int (*earlier_fn)(void) = (int (*)(void))dlsym(early, "earlier_fn");
    *(int *)dlsym(early, "earlier_value") = 2;

    void *bad = dlopen("libbadtop.so", RTLD_NOW);
    char *err = dlerror();
    printf("dlopen(libbadtop.so): %s, mentions bad_nowhere: %s\n", bad ? "non-NULL" : "NULL",
           err && strstr(err, "bad_nowhere") ? "yes" : "no");
    printf("live libokbase instances: %d\n", live);
    printf("libbadtop loaded: %s, libokbase loaded: %s\n",
           dlopen("libbadtop.so", RTLD_NOW | RTLD_NOLOAD) ? "yes" : "no",
           dlopen("libokbase.so", RTLD_NOW | RTLD_NOLOAD) ? "yes" : "no");
    dlerror();

    printf("earlier library still works: %d\n", earlier_fn());
    printf("dlerror is clear: %s\n", dlerror() ? "no" : "yes");
    void *ok = dlopen("libokbase.so", RTLD_NOW);
    printf("libokbase on its own: %s, okbase_fn() = %d, live %d\n", ok ? "non-NULL" : "NULL",
           ok ? ((int (*)(void))dlsym(ok, "okbase_fn"))() : -1, live);
    bad = dlopen("libbadtop.so", RTLD_NOW);
    printf("libbadtop again, with libokbase loaded: %s\n", bad ? "non-NULL" : "NULL");
    dlerror();
    printf("libokbase still fine: okbase_fn() = %d, live %d\n", ((int (*)(void))dlsym(ok, "okbase_fn"))(), live);
    dlclose(ok);
    dlclose(early);
    printf("live at the end: %d\n", live);
    return 0;
}
