/* Loaded after libx and never closed: at exit glibc destroys independent libraries in the
 * order they were loaded (a library before those it depends on), so after libx. */
#include <stdio.h>

__attribute__((destructor)) static void fini(void) { printf("liby: destructor\n"); }
