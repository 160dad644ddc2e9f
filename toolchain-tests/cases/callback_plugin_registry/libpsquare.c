#include "registry.h"

/* Reaches the program through a function pointer in its initialised data. */
static void (*say)(const char *, const char *, int) = host_log;

static int run(int x)
{
    say("square", "run", x);
    return x * x;
}

static struct plugin self = {"square", run, 0};

__attribute__((constructor)) static void up(void) { registry_add(&self); }
__attribute__((destructor)) static void down(void)
{
    registry_remove(&self);
    say("square", "unregistered", 0);
}
