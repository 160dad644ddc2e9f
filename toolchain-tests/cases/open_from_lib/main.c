#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

int main(void)
{
    /* GLOBAL, so that the plugins' references to host_log resolve. */
    void *host = dlopen("libhost.so", RTLD_NOW | RTLD_GLOBAL);
    if (!host) {
        printf("dlopen failed\n");
        return 1;
    }
    int (*run_plugin)(const char *, int, void **) = (int (*)(const char *, int, void **))dlsym(host, "host_run_plugin");
    int (*lines)(void) = (int (*)(void))dlsym(host, "host_log_lines");

    printf("plug_a: %d\n", run_plugin("libplug_a.so", 10, NULL));
    printf("plug_b: %d\n", run_plugin("libplug_b.so", 10, NULL));
    printf("plug_a unloaded again: %s\n", dlopen("libplug_a.so", RTLD_NOW | RTLD_NOLOAD) ? "no" : "yes");

    /* The same library opened by the program and by the library: one handle, one instance. */
    void *mine = dlopen("libplug_b.so", RTLD_NOW);
    void *theirs = NULL;
    printf("plug_b while the program holds it: %d\n", run_plugin("libplug_b.so", 21, &theirs));
    printf("library's handle vs program's: %s\n", theirs == mine ? "same" : "different");
    printf("plug_b still loaded: %s\n", dlopen("libplug_b.so", RTLD_NOW | RTLD_NOLOAD) == mine ? "yes" : "no");
    dlclose(mine); /* the NOLOAD reference */
    dlclose(mine);
    printf("missing plugin: %d\n", run_plugin("libplug_missing.so", 1, NULL));
    printf("host logged %d lines\n", lines());
    dlclose(host);
    return 0;
}
