int cyca_is_even(int n);
int cyca_value(void);
void prog_count_dtor(void);

int cycb_ctor_runs;
__attribute__((constructor)) static void init(void) { cycb_ctor_runs++; }
__attribute__((destructor)) static void fini(void) { prog_count_dtor(); }

int cycb_is_odd(int n) { return n == 0 ? 0 : cyca_is_even(n - 1); }
int cycb_value(void) { return 2; }
int cycb_sum(void) { return 20 + cyca_value(); }
