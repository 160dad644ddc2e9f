#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

#include <memory>
#include <string>
#include <vector>

#include "plugin.h"

// A C++ plugin that uses the standard library (string, vector, map, function, unique_ptr,
// sort), virtual classes, and static objects (constructed at dlopen, destroyed at exit);
// objects and strings are made on one side and used and freed on the other.
int main()
{
    void *h = dlopen("libshapes.so", RTLD_NOW);
    if (!h) {
        printf("dlopen failed\n");
        return 1;
    }
    auto create = (Plugin * (*)()) dlsym(h, "plugin_create");
    std::unique_ptr<Plugin> plugin(create());
    std::string list;
    for (const std::string &k : plugin->kinds())
        list += k + " ";
    printf("kinds: %s\n", list.c_str());
    std::vector<Shape *> shapes;
    for (int i = 1; i <= 4; i++)
        shapes.push_back(plugin->make(i % 2 ? "square" : "triangle", 2.0 * i));
    printf("circle: %s\n", plugin->make("circle", 1) ? "made" : "unknown");
    for (Shape *s : shapes)
        printf("%s has area %d\n", s->name().c_str(), (int)s->area());
    printf("summary: %s\n", plugin->summary().c_str());
    plugin.reset();
    // Not closed: glibc keeps a library with template statics (STB_GNU_UNIQUE) loaded anyway;
    // the static objects are destroyed at exit.
    printf("exiting\n");
    return 0;
}
