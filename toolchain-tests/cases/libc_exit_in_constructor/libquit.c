/* Calls exit() in its constructor, during the program's dlopen. */
#include <stdio.h>
#include <stdlib.h>

static void quit_exit_handler(void) { printf("libquit: exit handler\n"); }

__attribute__((constructor)) static void init(void)
{
    printf("libquit: constructor calls exit(3)\n");
    atexit(quit_exit_handler);
    exit(3);
}

__attribute__((destructor)) static void fini(void) { printf("libquit: destructor\n"); }
