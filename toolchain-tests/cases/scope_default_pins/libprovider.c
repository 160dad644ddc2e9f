/* A GLOBAL library whose function libasker finds with dlsym(RTLD_DEFAULT). */
#include <stdio.h>

int provided(void) { return 5; }

__attribute__((destructor)) static void fini(void) { printf("libprovider: destructor\n"); }
