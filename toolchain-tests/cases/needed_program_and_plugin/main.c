#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

/* The program is linked against libapi.so (-lapi): it is loaded before the program's
 * constructors, the program calls it directly, a plugin that needs it shares the same
 * instance, one function pointer for each function, and its destructor runs at exit after
 * the program's own exit handlers; its exit handler, registered while it was initialised, after
 * that (glibc registers _dl_fini after initialising the program's NEEDED libraries). */
void api_register(const char *who);
int api_count(void);

static void at_exit(void) { printf("main: exit handler, api_count() = %d\n", api_count()); }

__attribute__((constructor)) static void init(void)
{
    printf("main: constructor, api_count() = %d\n", api_count());
    atexit(at_exit);
}

int main(void)
{
    api_register("main");
    void *plugin = dlopen("libplugin.so", RTLD_NOW);
    if (!plugin) {
        printf("dlopen libplugin.so failed: %s\n", dlerror());
        return 1;
    }
    void (*plugin_init)(void) = (void (*)(void))dlsym(plugin, "plugin_init");
    void *(*plugin_api_count)(void) = (void *(*)(void))dlsym(plugin, "plugin_api_count");
    plugin_init();
    printf("main: api_count() = %d\n", api_count());
    int (*mine)(void) = api_count;
    printf("main: the plugin's api_count pointer is mine: %s\n", plugin_api_count() == (void *)mine ? "yes" : "no");
    printf("main: dlsym(RTLD_DEFAULT, api_count) is mine: %s\n", dlsym(RTLD_DEFAULT, "api_count") == (void *)mine ? "yes" : "no");
    void *api = dlopen("libapi.so", RTLD_NOW | RTLD_NOLOAD);
    printf("main: libapi.so already loaded: %s\n", api ? "yes" : "no");
    printf("main: dlsym(libapi, api_register) is what I call: %s\n",
           api && dlsym(api, "api_register") == (void *)api_register ? "yes" : "no");
    dlclose(plugin);
    if (api)
        dlclose(api);
    printf("main: after closing both handles, api_count() = %d\n", api_count());
    return 0;
}
