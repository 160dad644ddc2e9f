#include <stdio.h>
__attribute__((constructor)) static void init(void) { printf("  ctor gr4\n"); }
__attribute__((destructor)) static void fini(void) { printf("  dtor gr4\n"); }
const char *gr4_id(void) { return "gr4"; }
__attribute__((weak)) const char *gr_hook(void) { return "gr4 (weak)"; }
