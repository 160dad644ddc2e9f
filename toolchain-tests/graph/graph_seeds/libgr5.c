#include <stdio.h>
__attribute__((constructor)) static void init(void) { printf("  ctor gr5\n"); }
__attribute__((destructor)) static void fini(void) { printf("  dtor gr5\n"); }
const char *gr5_id(void) { return "gr5"; }
const char *gr_hook(void) { return "gr5"; }
