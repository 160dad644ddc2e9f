/* Pointer-initialised globals: every one of them needs a data relocation at load time. */
#include <stddef.h>

struct rd_op { const char *name; int (*fn)(int); int *calls; };

int rd_x = 5;
int rd_arr[4] = {1, 2, 3, 4};
int *rd_px = &rd_x;
int *rd_pend = &rd_arr[3];
int **rd_ppx = &rd_px;
const char *rd_names[] = {"zero", "one", "two", NULL};
static const char msg[] = "static message";
const char *rd_msg = msg;
const char *rd_msg_mid = msg + 7;

static int inc_calls, dbl_calls;
static int op_inc(int v) { inc_calls++; return v + 1; }
static int op_dbl(int v) { dbl_calls++; return v * 2; }
int rd_neg(int v) { return -v; }

struct rd_op rd_ops[] = {
    {"inc", op_inc, &inc_calls},
    {"dbl", op_dbl, &dbl_calls},
    {"neg", rd_neg, NULL},
};
const struct rd_op *rd_default_op = &rd_ops[1];

/* The library's own view: does each relocated pointer equal what its code computes? */
int rd_self_check(void)
{
    return rd_px == &rd_x && rd_pend == rd_arr + 3 && rd_ppx == &rd_px && rd_msg == msg &&
           rd_ops[0].fn == op_inc && rd_ops[1].calls == &dbl_calls && rd_default_op == rd_ops + 1;
}
