/* No printing destructor here: at exit glibc finalises independent libraries in load order while a
 * __cxa_atexit-based loader would go in reverse, so only libpersist prints at exit. */
#include <stdio.h>
int promoted_counter;
static int ctor_runs;
__attribute__((constructor)) static void init(void) { ctor_runs++; printf("libpromoted ctor\n"); }
int promoted_ctor_runs(void) { return ctor_runs; }
