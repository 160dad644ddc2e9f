/* The same pattern, opened with RTLD_NOW: the missing function fails the load until a GLOBAL
 * library provides it. */
#include <stdio.h>
int now_provided(int v);
__attribute__((constructor)) static void init(void) { printf("libnowuser ctor\n"); }
int now_call(int v) { return now_provided(v) + 2; }
