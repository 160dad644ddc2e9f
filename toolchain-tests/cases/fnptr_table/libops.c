/* Tables of function pointers: data relocations against local and exported functions. */
static int op_add(int a, int b) { return a + b; }
int ops_sub(int a, int b) { return a - b; }
static int op_mul(int a, int b) { return a * b; }
static int op_div(int a, int b) { return b ? a / b : 0; }
static int op_mod(int a, int b) { return b ? a % b : 0; }

typedef int (*binop)(int, int);

binop const ops_table[] = {op_add, ops_sub, op_mul, op_div, op_mod};
const char *const ops_names[] = {"add", "sub", "mul", "div", "mod"};
const int ops_count = sizeof ops_table / sizeof ops_table[0];
binop ops_mutable[2] = {op_add, op_mul};

const binop *ops_get_table(void) { return ops_table; }
int ops_apply(int i, int a, int b) { return ops_table[i](a, b); }
int ops_apply_mutable(int i, int a, int b) { return ops_mutable[i](a, b); }
