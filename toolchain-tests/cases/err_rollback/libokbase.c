/* A healthy library that libbadtop needs. */
#include <stdio.h>
void prog_live(int delta);
__attribute__((constructor)) static void init(void) { printf("libokbase ctor\n"); prog_live(1); }
__attribute__((destructor)) static void fini(void) { printf("libokbase dtor\n"); prog_live(-1); }
int okbase_fn(void) { return 10; }
