/* Needs libokbase, but also a symbol nobody defines: loading it must fail as a whole. */
#include <stdio.h>
int okbase_fn(void);
int bad_nowhere(void);
__attribute__((constructor)) static void init(void) { printf("libbadtop ctor (must not run)\n"); }
int badtop_fn(void) { return okbase_fn() + bad_nowhere(); }
