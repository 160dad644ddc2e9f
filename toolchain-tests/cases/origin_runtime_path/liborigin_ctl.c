/* The control: the same NEEDED, but it stays in the run directory, where $ORIGIN/deps does not
 * exist, so liborigin_dep.so cannot be found. */
#include <stdio.h>
__attribute__((constructor)) static void init(void) { printf("liborigin_ctl ctor (must not run)\n"); }
int origin_dep_fn(int v);
int origin_ctl_fn(int v) { return origin_dep_fn(v); }
