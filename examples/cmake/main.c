#include <dlfcn.h>
#include <stdio.h>

void greet(const char *who);

int main(void)
{
    greet("world"); /* libgreet.so: loaded at start-up, found through the RUNPATH */
    void *plugin = dlopen("plugins/libloud.so", RTLD_NOW);
    if (!plugin) {
        printf("dlopen: %s\n", dlerror());
        return 1;
    }
    void (*loud_greet)(char *) = (void (*)(char *))dlsym(plugin, "loud_greet");
    char who[] = "plugin";
    loud_greet(who);
    void *shout = dlopen("libshout.so", RTLD_NOW | RTLD_NOLOAD);
    printf("libshout.so came with the plugin: %s\n", shout ? "yes" : "no");
    if (shout)
        dlclose(shout);
    return dlclose(plugin);
}
