#include <stdio.h>
__attribute__((constructor)) static void init(void) { printf("ctor closed\n"); }
__attribute__((destructor)) static void fini(void) { printf("dtor closed\n"); }
int closed_id(void) { return 1; }
