#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

int prog_value = 40;
int prog_values[5] = {10, 20, 30, 40, 50};
const char prog_label[] = "prog-label";
int prog_fn(int v) { return v * 3; }

struct rp_pair { int *p; int (*f)(int); };

static const char *same(const void *a, const void *b) { return a == b ? "same" : "different"; }

int main(void)
{
    void *h = dlopen("libref.so", RTLD_NOW);
    if (!h) {
        printf("dlopen failed\n");
        return 1;
    }
    int **value_ptr = (int **)dlsym(h, "rp_value_ptr");
    int **third = (int **)dlsym(h, "rp_third");
    int (**fn)(int) = (int (**)(int))dlsym(h, "rp_fn");
    const char **label = (const char **)dlsym(h, "rp_label");
    const char **tail = (const char **)dlsym(h, "rp_label_tail");
    struct rp_pair *pair = (struct rp_pair *)dlsym(h, "rp_pair");
    int (*call_through)(int) = (int (*)(int))dlsym(h, "rp_call_through");

    printf("rp_value_ptr: %s\n", same(*value_ptr, &prog_value));
    printf("rp_third: %s\n", same(*third, &prog_values[2]));
    printf("rp_fn: %s\n", same((void *)*fn, (void *)prog_fn));
    printf("rp_label: %s, \"%s\"\n", same(*label, prog_label), *label);
    printf("rp_label_tail: \"%s\"\n", *tail);
    printf("rp_pair: %s %s\n", same(pair->p, &prog_value), same((void *)pair->f, (void *)prog_fn));
    **value_ptr = 2;
    **third = 33;
    printf("writes through the library's pointers: prog_value = %d, prog_values[2] = %d\n", prog_value,
           prog_values[2]);
    printf("rp_call_through(5) = %d\n", call_through(5));
    dlclose(h);
    return 0;
}
