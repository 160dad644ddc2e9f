/* A library that loads plugins itself; the plugins call back into it by name. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

static int log_lines;

void host_log(const char *plugin, const char *msg)
{
    log_lines++;
    printf("[host] %s: %s\n", plugin, msg);
}

int host_log_lines(void) { return log_lines; }

/* Loads NAME, runs its plugin_run(ARG), unloads it. Returns the result or -1. */
int host_run_plugin(const char *name, int arg, void **handle_out)
{
    void *h = dlopen(name, RTLD_NOW);
    if (!h) {
        printf("[host] cannot load %s\n", name);
        return -1;
    }
    if (handle_out)
        *handle_out = h;
    int (*run)(int) = (int (*)(int))dlsym(h, "plugin_run");
    int r = run ? run(arg) : -1;
    dlclose(h);
    return r;
}
