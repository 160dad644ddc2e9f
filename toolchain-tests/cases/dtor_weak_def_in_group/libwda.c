#include <stdio.h>
__attribute__((constructor)) static void init(void) { printf("ctor wda\n"); }
__attribute__((destructor)) static void fini(void) { printf("dtor wda\n"); }
const char *wd_name(void) { return "wda"; }
