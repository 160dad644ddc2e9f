#include <stdio.h>
__attribute__((constructor)) static void init(void) { printf("  ctor gr2\n"); }
__attribute__((destructor)) static void fini(void) { printf("  dtor gr2\n"); }
const char *gr2_id(void) { return "gr2"; }
__attribute__((weak)) const char *gr_hook(void) { return "gr2 (weak)"; }
const char *gr_parent_hook(void) { return "gr2"; }
