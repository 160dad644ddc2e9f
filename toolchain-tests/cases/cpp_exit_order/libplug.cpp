// A C++ plugin never closed: its objects' destructors run at exit among the exit handlers
// (newest first), its __attribute__((destructor)) function after all of them.
#include <stdio.h>
#include <stdlib.h>

struct P {
    const char *name;
    explicit P(const char *n) : name(n) { printf("plugin: object %s constructed\n", name); }
    ~P() { printf("plugin: object %s destroyed\n", name); }
};

static P one("one");
static P two("two");

static void plugin_exit_handler(void) { printf("plugin: exit handler\n"); }

__attribute__((constructor)) static void init(void) { atexit(plugin_exit_handler); }
__attribute__((destructor)) static void fini(void) { printf("plugin: destructor\n"); }

extern "C" int plugin_ready(void) { return 1; }
