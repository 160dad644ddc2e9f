#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
    if (rename("libodplug.so", "plugins/libodplug.so") != 0 || rename("libodloader.so", "sub/libodloader.so") != 0 ||
        rename("libodsib.so", "sub/libodsib.so") != 0) {
        printf("cannot lay out the directories\n");
        return 1;
    }
    void *plain = dlopen("libodplug.so", RTLD_NOW);
    dlerror();
    printf("libodplug.so by bare name: %s\n", plain ? "found" : "NULL");
    void *plug = dlopen("$ORIGIN/plugins/libodplug.so", RTLD_NOW);
    printf("$ORIGIN/plugins/libodplug.so from the program: %s\n", plug ? "found" : "NULL");
    if (!plug)
        return 1;
    printf("od_plug_value() = %d\n", ((int (*)(void))dlsym(plug, "od_plug_value"))());
    void *same = dlopen("plugins/libodplug.so", RTLD_NOW | RTLD_NOLOAD);
    printf("the same library as plugins/libodplug.so: %s\n", same == plug ? "yes" : "no");
    dlclose(same);
    void *loader = dlopen("sub/libodloader.so", RTLD_NOW);
    if (!loader)
        return 1;
    printf("$ORIGIN/libodsib.so from sub/libodloader.so: %d\n", ((int (*)(void))dlsym(loader, "od_load_sibling"))());
    void *missing = dlopen("$ORIGIN/nowhere/libodplug.so", RTLD_NOW);
    char *err = dlerror();
    printf("$ORIGIN/nowhere/libodplug.so: %s, dlerror mentions nowhere: %s\n", missing ? "found" : "NULL",
           err && strstr(err, "nowhere") ? "yes" : "no");
    dlclose(loader);
    dlclose(plug);
    return 0;
}
