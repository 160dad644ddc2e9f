/* A library the program is linked against (-lapi) and a plugin needs too: one instance. */
#include <stdio.h>
#include <stdlib.h>

static int registered;

void api_register(const char *who)
{
    registered++;
    printf("api: %s registered (%d in all)\n", who, registered);
}

int api_count(void) { return registered; }

static void api_exit_handler(void) { printf("api: exit handler\n"); }

__attribute__((constructor)) static void init(void)
{
    printf("api: constructor\n");
    atexit(api_exit_handler);
}
__attribute__((destructor)) static void fini(void) { printf("api: destructor, %d registered\n", registered); }
