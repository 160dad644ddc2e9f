#include "registry.h"

/* Keeps the program's table of callbacks and counts its own runs (fresh on every load). */
static const struct host_api *host;
static int runs;

static int run(int x)
{
    runs++;
    host->log("double", "run", runs);
    return 2 * x + host->setting("bias");
}

static struct plugin self = {"double", run, 0};

__attribute__((constructor)) static void up(void)
{
    host = host_api();
    registry_add(&self);
}

__attribute__((destructor)) static void down(void)
{
    registry_remove(&self);
    host->log("double", "unregistered after runs", runs);
}
