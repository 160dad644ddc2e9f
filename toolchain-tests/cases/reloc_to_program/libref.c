/* Library globals initialised with addresses of the program's globals and functions. */
extern int prog_value;
extern int prog_values[5];
extern const char prog_label[];
int prog_fn(int);

int *rp_value_ptr = &prog_value;
int *rp_third = &prog_values[2];
int (*rp_fn)(int) = prog_fn;
const char *rp_label = prog_label;
const char *rp_label_tail = prog_label + 5;
struct rp_pair { int *p; int (*f)(int); } rp_pair = {&prog_value, prog_fn};

int rp_call_through(int v) { return rp_pair.f(v) + *rp_pair.p; }
