#include <stdio.h>
__attribute__((constructor)) static void init(void) { printf("  ctor gr0\n"); }
__attribute__((destructor)) static void fini(void) { printf("  dtor gr0\n"); }
const char *gr0_id(void) { return "gr0"; }
/* No gr_hook of its own: bound in its lookup scope. */
const char *gr_hook(void);
const char *gr0_via(void) { return gr_hook(); }
