/* A plugin that needs libapi.so, which the program already has. */
#include <stdio.h>

void api_register(const char *who);
int api_count(void);

void plugin_init(void) { api_register("plugin"); }

/* The plugin's pointer to the API function, for the program to compare. */
void *plugin_api_count(void) { return (void *)api_count; }

__attribute__((constructor)) static void init(void) { printf("plugin: constructor, api_count() = %d\n", api_count()); }
__attribute__((destructor)) static void fini(void) { printf("plugin: destructor\n"); }
