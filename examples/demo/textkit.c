/*
 * textkit: runs a piece of text through every plugin found in a directory.
 *
 *   textkit PLUGIN_DIR [TEXT]
 *
 * Plugins are side modules (libNAME.so) discovered at run time with readdir, loaded with
 * dlopen, described by a struct they export, and called through function pointers. They call
 * back into the program (textkit_note) and into libc (toupper, qsort, snprintf, malloc).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "textkit.h"

int textkit_verbose = 1;

void textkit_note(const char *plugin, const char *message) {
    if (textkit_verbose) printf("    [%s] %s\n", plugin, message);
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s PLUGIN_DIR [TEXT]\n", argv[0]);
        return 2;
    }
    const char *dir = argv[1];
    const char *text = argc > 2 ? argv[2] : "The quick brown fox jumps over the lazy dog";

    /* Find the plugins: every lib*.so in the directory, in name order. */
    DIR *d = opendir(dir);
    if (!d) {
        perror(dir);
        return 1;
    }
    char *names[64];
    int count = 0;
    struct dirent *entry;
    while ((entry = readdir(d)) && count < 64) {
        size_t len = strlen(entry->d_name);
        if (strncmp(entry->d_name, "lib", 3) == 0 && len > 6 && strcmp(entry->d_name + len - 3, ".so") == 0)
            names[count++] = strdup(entry->d_name);
    }
    closedir(d);
    qsort(names, count, sizeof names[0], by_name);
    printf("textkit: %d plugins in %s\n", count, dir);
    printf("input:   \"%s\"\n\n", text);

    char out[1024];
    for (int i = 0; i < count; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!lib) {
            printf("%-10s cannot load: %s\n", names[i], dlerror());
            free(names[i]);
            continue;
        }
        const struct textkit_plugin *plugin = dlsym(lib, "textkit_plugin");
        if (!plugin) {
            printf("%-10s is not a textkit plugin: %s\n", names[i], dlerror());
            dlclose(lib);
            free(names[i]);
            continue;
        }
        Dl_info info;
        const char *from = dladdr((void *)plugin->transform, &info) ? info.dli_fname : "?";
        printf("%s: %s (from %s)\n", plugin->name, plugin->summary, from);
        plugin->transform(text, out, sizeof out);
        printf("    => %s\n\n", out);
        dlclose(lib);
        free(names[i]);
    }
    return 0;
}
