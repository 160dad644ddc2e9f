#include <stdio.h>
__attribute__((constructor)) static void init(void) { printf("  ctor gr3\n"); }
__attribute__((destructor)) static void fini(void) { printf("  dtor gr3\n"); }
const char *gr3_id(void) { return "gr3"; }
const char *gr_hook(void) { return "gr3"; }
/* Defined by libgr1 and libgr2, which need this library: found in a dlopen group's scope. */
__attribute__((weak)) const char *gr_parent_hook(void);
const char *gr3_parent(void) { return gr_parent_hook ? gr_parent_hook() : "none"; }
