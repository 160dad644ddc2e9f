#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include "registry.h"

/* A program in the style of real plugin hosts: plugins register themselves into the program's
 * table from their constructors and leave it from their destructors; the program runs what is
 * registered, unloads a plugin and loads it again (fresh state, same behaviour); plugins call
 * back through a table of program functions and a function pointer in their data; one plugin
 * loads its own helper through $ORIGIN. */

static struct plugin *plugins;

void registry_add(struct plugin *p)
{
    struct plugin **at = &plugins;
    while (*at)
        at = &(*at)->next;
    p->next = 0;
    *at = p;
    printf("  registered %s\n", p->name);
}

void registry_remove(struct plugin *p)
{
    for (struct plugin **at = &plugins; *at; at = &(*at)->next)
        if (*at == p) {
            *at = p->next;
            printf("  removed %s\n", p->name);
            return;
        }
    printf("  remove: %s is not registered\n", p->name);
}

void host_log(const char *who, const char *what, int n) { printf("  [%s] %s %d\n", who, what, n); }

static int setting(const char *key) { return strcmp(key, "bias") == 0 ? 1 : 0; }

static const struct host_api api = {host_log, setting};

const struct host_api *host_api(void) { return &api; }

static void run_all(int x)
{
    printf("run_all(%d):", x);
    int n = 0;
    for (struct plugin *p = plugins; p; p = p->next)
        n++;
    printf(" %d plugins\n", n);
    for (struct plugin *p = plugins; p; p = p->next) {
        int r = p->run(x);
        printf("  %s(%d) = %d\n", p->name, x, r);
    }
}

static void *load(const char *path)
{
    printf("dlopen(%s)\n", path);
    void *h = dlopen(path, RTLD_NOW);
    if (!h)
        printf("  failed: %s\n", dlerror() ? "error set" : "no error");
    return h;
}

int main(void)
{
    static const char *const names[] = {"libpdouble.so", "libpsquare.so", "libpchain.so"};
    char to[64];
    for (int i = 0; i < 3; i++) {
        snprintf(to, sizeof to, "plugins/%s", names[i]);
        if (rename(names[i], to) != 0)
            return 1;
    }
    if (rename("libphelper.so", "plugins/helpers/libphelper.so") != 0)
        return 1;

    void *dbl = load("plugins/libpdouble.so");
    void *sq = load("plugins/libpsquare.so");
    void *chain = load("plugins/libpchain.so");
    if (!dbl || !sq || !chain)
        return 1;
    run_all(5);
    run_all(6);

    printf("dlclose(double)\n");
    dlclose(dbl);
    run_all(7);

    dbl = load("plugins/libpdouble.so");
    if (!dbl)
        return 1;
    run_all(5);

    printf("dlclose(chain)\n");
    dlclose(chain);
    printf("helper still loaded: %s\n", dlopen("plugins/helpers/libphelper.so", RTLD_NOW | RTLD_NOLOAD) ? "yes" : "no");
    chain = load("plugins/libpchain.so");
    if (!chain)
        return 1;
    run_all(1);

    printf("dlclose(square)\n");
    dlclose(sq);
    printf("dlclose(double)\n");
    dlclose(dbl);
    printf("dlclose(chain)\n");
    dlclose(chain);
    run_all(0);
    return 0;
}
