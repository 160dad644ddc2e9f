#include <dlfcn.h>
#include <stdio.h>

int main(void)
{
    void *plugin = dlopen(PLUGIN_DIR "/libloud.so", RTLD_NOW);
    if (!plugin) {
        printf("dlopen: %s\n", dlerror());
        return 1;
    }
    void (*loud_greet)(char *) = (void (*)(char *))dlsym(plugin, "loud_greet");
    char who[] = "plugin";
    loud_greet(who);
    return dlclose(plugin);
}
