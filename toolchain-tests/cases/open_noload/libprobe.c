#include <stdio.h>
__attribute__((constructor)) static void init(void) { printf("libprobe ctor\n"); }
__attribute__((destructor)) static void fini(void) { printf("libprobe dtor\n"); }
int probe_value(void) { return 7; }
