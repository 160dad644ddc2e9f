/* Found by dlsym(RTLD_DEFAULT) from the program: it can no longer be unloaded. */
#include <stdio.h>

int pinned(void) { return 7; }

__attribute__((destructor)) static void fini(void) { printf("libpinned: destructor\n"); }
