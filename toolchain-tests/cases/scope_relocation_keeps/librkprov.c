#include <stdio.h>
__attribute__((constructor)) static void init(void) { printf("librkprov ctor\n"); }
__attribute__((destructor)) static void fini(void) { printf("librkprov dtor\n"); }
int rk_counter = 40;
int rk_two(void) { return 2; }
