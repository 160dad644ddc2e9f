#include <stdio.h>
__attribute__((constructor)) static void init(void) { printf("ctor wdb\n"); }
__attribute__((destructor)) static void fini(void) { printf("dtor wdb\n"); }
/* A weak definition nothing here calls (wasm-ld still imports it). */
__attribute__((weak)) const char *wd_name(void) { return "wdb"; }
int wdb_value(void) { return 7; }
