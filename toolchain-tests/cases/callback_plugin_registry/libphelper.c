#include "registry.h"

__attribute__((constructor)) static void up(void) { host_log("helper", "constructor", 0); }
__attribute__((destructor)) static void down(void) { host_log("helper", "destructor", 0); }
int helper_step(int x) { return x + 100; }
