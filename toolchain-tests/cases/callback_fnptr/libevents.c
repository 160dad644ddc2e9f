/* Calls the program back through pointers it was given (the program's functions are static). */
#include <stddef.h>

typedef void (*visit_fn)(int value, void *ctx);
typedef int (*handler_fn)(int event);

void ev_for_each(const int *values, size_t n, visit_fn visit, void *ctx)
{
    for (size_t i = 0; i < n; i++)
        visit(values[i], ctx);
}

#define MAX_HANDLERS 4
static handler_fn handlers[MAX_HANDLERS];
static int nhandlers;

int ev_register(handler_fn h)
{
    if (nhandlers == MAX_HANDLERS)
        return -1;
    handlers[nhandlers] = h;
    return nhandlers++;
}

int ev_fire(int event)
{
    int total = 0;
    for (int i = 0; i < nhandlers; i++)
        total += handlers[i](event);
    return total;
}

/* A library-private function handed to the program. */
static int lib_handler(int event) { return event * 100; }
handler_fn ev_builtin_handler(void) { return lib_handler; }
