#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>

typedef void (*visit_fn)(int value, void *ctx);
typedef int (*handler_fn)(int event);

struct stats { int count, sum, max; };

static void collect(int value, void *ctx)
{
    struct stats *s = ctx;
    s->count++;
    s->sum += value;
    if (value > s->max)
        s->max = value;
}

static int handler_plus_one(int event) { printf("  handler_plus_one(%d)\n", event); return event + 1; }
static int handler_square(int event) { printf("  handler_square(%d)\n", event); return event * event; }

int main(void)
{
    void *h = dlopen("libevents.so", RTLD_NOW);
    if (!h) {
        printf("dlopen failed\n");
        return 1;
    }
    void (*for_each)(const int *, size_t, visit_fn, void *) =
        (void (*)(const int *, size_t, visit_fn, void *))dlsym(h, "ev_for_each");
    int (*reg)(handler_fn) = (int (*)(handler_fn))dlsym(h, "ev_register");
    int (*fire)(int) = (int (*)(int))dlsym(h, "ev_fire");
    handler_fn (*builtin)(void) = (handler_fn(*)(void))dlsym(h, "ev_builtin_handler");

    int values[] = {4, 9, -2, 15, 7};
    struct stats s = {0, 0, -1000};
    for_each(values, sizeof values / sizeof values[0], collect, &s);
    printf("visited %d values, sum %d, max %d\n", s.count, s.sum, s.max);

    printf("register: %d\n", reg(handler_plus_one));
    printf("register: %d\n", reg(handler_square));
    printf("register library's own: %d\n", reg(builtin()));
    printf("fire(5):\n");
    printf("fire(5) = %d\n", fire(5));
    printf("program calls library's handler directly: %d\n", builtin()(3));
    dlclose(h);
    return 0;
}
