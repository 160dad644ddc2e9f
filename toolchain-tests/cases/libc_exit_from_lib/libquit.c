/* Calls exit() from inside the library: the program's exit status, flushed stdout, and the
 * library's destructor still running at exit. */
#include <stdio.h>
#include <stdlib.h>
__attribute__((destructor)) static void fini(void) { printf("libquit dtor at exit\n"); }
void quit_now(int code)
{
    printf("libquit: exiting with %d", code); /* no newline: exit must flush it */
    exit(code);
}
