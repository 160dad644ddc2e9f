#include <stdio.h>
static int ready;
__attribute__((constructor)) static void init(void)
{
    printf("ctor third\n");
    ready = 1;
}
__attribute__((destructor)) static void fini(void) { printf("dtor third\n"); }
int third_ready(void) { return ready; }
