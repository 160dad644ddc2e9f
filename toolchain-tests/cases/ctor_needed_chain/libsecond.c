#include <stdio.h>
int third_ready(void);
static int ready;
__attribute__((constructor)) static void init(void)
{
    printf("ctor second (third ready: %s)\n", third_ready() ? "yes" : "no");
    ready = 1;
}
__attribute__((destructor)) static void fini(void)
{
    /* Its dependency is still alive while it is destroyed. */
    printf("dtor second (third still ready: %s)\n", third_ready() ? "yes" : "no");
}
int second_ready(void) { return ready; }
