/* libfirst -> libsecond -> libthird: dependencies are constructed first, destroyed last. */
#include <stdio.h>
int second_ready(void);
static int ready;
__attribute__((constructor)) static void init(void)
{
    printf("ctor first (second ready: %s)\n", second_ready() ? "yes" : "no");
    ready = 1;
}
__attribute__((destructor)) static void fini(void) { printf("dtor first\n"); }
int first_ready(void) { return ready; }
