#include <stdio.h>
__attribute__((constructor)) static void init(void) { printf("  ctor gr1\n"); }
__attribute__((destructor)) static void fini(void) { printf("  dtor gr1\n"); }
const char *gr1_id(void) { return "gr1"; }
const char *gr_hook(void);
const char *gr1_via(void) { return gr_hook(); }
const char *gr_parent_hook(void) { return "gr1"; }
