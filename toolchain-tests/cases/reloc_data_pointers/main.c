#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

struct rd_op { const char *name; int (*fn)(int); int *calls; };

static const char *same(const void *a, const void *b) { return a == b ? "same" : "different"; }

static int run(void *h, int round)
{
    int *x = (int *)dlsym(h, "rd_x");
    int *arr = (int *)dlsym(h, "rd_arr");
    int **px = (int **)dlsym(h, "rd_px");
    int **pend = (int **)dlsym(h, "rd_pend");
    int ***ppx = (int ***)dlsym(h, "rd_ppx");
    const char **names = (const char **)dlsym(h, "rd_names");
    const char **m = (const char **)dlsym(h, "rd_msg");
    const char **mid = (const char **)dlsym(h, "rd_msg_mid");
    struct rd_op *ops = (struct rd_op *)dlsym(h, "rd_ops");
    struct rd_op **def = (struct rd_op **)dlsym(h, "rd_default_op");
    int (*self_check)(void) = (int (*)(void))dlsym(h, "rd_self_check");

    printf("round %d\n", round);
    printf("library self-check: %s\n", self_check() ? "ok" : "BROKEN");
    printf("rd_px: %s, *rd_px = %d\n", same(*px, x), **px);
    printf("rd_pend: %s, *rd_pend = %d\n", same(*pend, arr + 3), **pend);
    printf("rd_ppx: %s\n", same(*ppx, px));
    printf("rd_names:");
    for (int i = 0; names[i]; i++)
        printf(" %s", names[i]);
    printf("\n");
    printf("rd_msg: %s / rd_msg_mid: %s / offset %d\n", *m, *mid, (int)(*mid - *m));
    for (int i = 0; i < 3; i++)
        printf("op %s(10) = %d\n", ops[i].name, ops[i].fn(10));
    printf("calls counted: inc %d, dbl %d, neg counter %s\n", *ops[0].calls, *ops[1].calls,
           ops[2].calls ? "non-NULL" : "NULL");
    printf("rd_ops[2].fn vs dlsym(rd_neg): %s\n", same((void *)ops[2].fn, dlsym(h, "rd_neg")));
    printf("rd_default_op: %s, name %s\n", same(*def, &ops[1]), (*def)->name);
    /* Scribble over the relocated pointers: a fresh load must relocate again. */
    *px = NULL;
    names[0] = "scribbled";
    ops[0].fn = NULL;
    return 0;
}

int main(void)
{
    for (int round = 1; round <= 2; round++) {
        void *h = dlopen("librel.so", RTLD_NOW);
        if (!h) {
            printf("dlopen failed\n");
            return 1;
        }
        run(h, round);
        dlclose(h);
    }
    return 0;
}
