/* A library never closed: its exit handler runs in its place among the program's, its
 * __attribute__((destructor)) function after all of them and after the program's own. */
#include <stdio.h>
#include <stdlib.h>

static void lib_handler(void) { printf("libx: exit handler\n"); }

__attribute__((destructor)) static void fini(void) { printf("libx: destructor\n"); }

void lib_register(void) { atexit(lib_handler); }
