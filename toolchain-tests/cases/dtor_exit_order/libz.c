/* Closed by the program: its destructor runs at dlclose, not at exit. */
#include <stdio.h>

__attribute__((destructor)) static void fini(void) { printf("libz: destructor\n"); }
